"""Cooperation models: products and carts (products.py), tasks (tasks.py), disputes
(disputes.py), promotion plans (plans.py)."""

from .disputes import *  # noqa: F403, I001
from .products import *  # noqa: F403
from .tasks import *  # noqa: F403
from .plans import *  # noqa: F403
