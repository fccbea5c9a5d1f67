"""Settings for benchmark runs: the production settings plus a bare baseline view.

``bench/run.py`` starts gunicorn and its helper processes with
``DJANGO_SETTINGS_MODULE=bench.settings``; nothing else changes, so the pages
are measured exactly as production serves them.
"""

from hotwave.settings import *  # noqa: F403
from hotwave.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]},
    *TEMPLATES[1:],
]
