"""Cooperation services, one module per area (products, cart, tasks)."""
