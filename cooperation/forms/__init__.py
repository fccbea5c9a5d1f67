"""Cooperation forms, one module per area (products, cart, tasks)."""
