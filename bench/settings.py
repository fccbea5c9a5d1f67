"""Settings for benchmark runs: the production settings plus a bare baseline view.

``bench/run.py`` starts gunicorn and its helper processes with
``DJANGO_SETTINGS_MODULE=bench.settings``; nothing else changes (the ``bench`` app
only adds ``generate_load``), so the pages are measured exactly as production
serves them.
"""

import os

from hotwave.settings import *  # noqa: F403
from hotwave.settings import BASE_DIR, CACHES, DATABASES, INSTALLED_APPS, TEMPLATES

# manage.py generate_load (bench/management/commands): the world the benchmarks run on.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

# Its own collected files, so a bench never races `collectstatic` of another run.
STATIC_ROOT = (
    BASE_DIR / "var" / "bench" / os.environ.get("BENCH_DB_PREFIX", "hotwave_bench") / "static"
)

ROOT_URLCONF = "bench.urls"
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
    *TEMPLATES[1:],
]

# One Redis serves the bench's worlds one after another (the tiny reference world, then
# the scale's): each database gets its own cache keys, so no page reads figures or ids
# cached from another world (the merchant workbench's candidate pool did: the tiny
# world's creator ids, found nowhere in the medium one, emptied the section and
# skipped a query). A run also clears them when it starts (``bench/run.py``): the same
# database name holds another world in the next run.
CACHES = {
    **CACHES,
    "default": {
        **CACHES["default"],
        "KEY_PREFIX": f"{CACHES['default'].get('KEY_PREFIX', 'hotwave')}:{DATABASES['default']['NAME']}",
    },
}
