"""Cooperation reads, scoped by the actor: products, plaza, hot products, cart (and tasks)."""
