"""Cooperation models: products and carts (products.py), tasks (tasks.py), disputes
(disputes.py), ratings (ratings.py), scorecards (scorecards.py)."""

from .disputes import *  # noqa: F403, I001
from .products import *  # noqa: F403
from .ratings import *  # noqa: F403
from .scorecards import *  # noqa: F403
from .tasks import *  # noqa: F403
