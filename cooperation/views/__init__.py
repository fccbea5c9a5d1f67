"""Cooperation views, one module per area: products, plaza, hot, cart (and tasks)."""
