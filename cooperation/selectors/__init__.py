"""Cooperation reads, scoped by the actor: products, plaza, hot products, cart (and tasks).

``figures`` is what the workbench reads about a party's cooperation (its read API).
"""
