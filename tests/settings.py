"""Test settings: production settings with test-only conveniences."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("HOTWAVE_EVENTS_SECRET", "test-events-secret")
os.environ.setdefault("HTTPS", "0")
# Top-ups (充值) confirm at once in the tests, as in the demo.
os.environ.setdefault("HOTWAVE_PAYMENT_PROVIDER", "settlement.payments.InstantProvider")
# Browser tests run Playwright's sync API inside pytest's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from hotwave.settings import *  # noqa: E402,F403
from hotwave.settings import INSTALLED_APPS, STORAGES  # noqa: E402

# The load generator (manage.py generate_load) is tested and used by tests/bench.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Brute-force lockout is tested explicitly; other tests log in freely.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Tests run Celery tasks in-process unless a test talks to a real worker
# (tests/hotwave/test_celery_worker.py flips app.conf for its duration).
CELERY_TASK_ALWAYS_EAGER = True

# Each xdist worker gets its own Redis database for the cache: tests clear the
# cache (FLUSHDB) and must not wipe a neighbour's entries mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker.startswith("gw"):  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(REDIS_URL)  # noqa: F405
    # The cache databases follow the broker's: REDIS_URL=redis://…/3 puts the
    # workers' caches in 4, 5, … so that two checkouts can run side by side.
    _base = int(_parts.path.strip("/") or 0)
    _db = (_base + 1 + int(_worker[2:])) % 16
    CACHES = {  # noqa: F405
        "default": {**CACHES["default"], "LOCATION": urlunsplit(_parts._replace(path=f"/{_db}"))}  # noqa: F405
    }

# Uploaded images go to a directory of this test process, never the checkout's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="hotwave-media-")
