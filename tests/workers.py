"""Real ``celery worker`` processes for the tests that need one (the conftest fixture,
the distributed settlement and the killed-worker tests): their environment and command."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.db import connection


def worker_env(**extra: str) -> dict[str, str]:
    """The worker's environment: this test process's database and Redis, eager mode off."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        database_url = f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"
    else:  # pragma: no cover - worker tests are marked celery_worker and run on Postgres in CI
        database_url = f"sqlite:///{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hotwave.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        # The same cache database as this (xdist) test process (none: local memory).
        "REDIS_CACHE_URL": settings.CACHES["default"].get("LOCATION", ""),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SECRET_KEY": "worker-test",
        "HOTWAVE_EVENTS_SECRET": settings.HOTWAVE_EVENTS_SECRET,
        "DEBUG": "0",
        "HTTPS": "0",
        **extra,
    }


def worker_command(
    queue: str, name: str, *, app: str = "hotwave", pool: str = "solo", loglevel: str = "warning"
) -> list[str]:
    """``celery worker`` on one private queue, without the chatter a test doesn't need."""
    args = [sys.executable, "-m", "celery", "-A", app, "worker"]
    args += ["--pool=solo"] if pool == "solo" else ["--pool=prefork", "-c", "1"]
    args += ["-Q", queue, "-n", f"{name}@%h"]
    args += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", loglevel]
    return args
