"""Cooperation models: products and carts (products.py), tasks (tasks.py)."""

from .products import *  # noqa: F403
from .tasks import *  # noqa: F403
