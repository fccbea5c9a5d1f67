"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered per app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotwave.settings")

app = Celery("hotwave")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="hotwave.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check used by the worker integration test and health probes."""
    return value
