"""Cooperation models: products and carts (products.py), their images (images.py), tasks
(tasks.py), counter-offers on invitations (counter_offers.py), disputes (disputes.py),
ratings (ratings.py), scorecards (scorecards.py), promotion plans and sample requests
(plans.py)."""

from .disputes import *  # noqa: F403, I001
from .images import *  # noqa: F403
from .products import *  # noqa: F403
from .ratings import *  # noqa: F403
from .scorecards import *  # noqa: F403
from .tasks import *  # noqa: F403
from .counter_offers import *  # noqa: F403
from .plans import *  # noqa: F403
