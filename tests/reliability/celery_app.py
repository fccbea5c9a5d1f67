"""The Celery app for the killed-worker tests: hotwave's, with a short visibility timeout.

Production keeps a one-hour visibility timeout (above the task time limits); here a
message left unacknowledged by a SIGKILLed worker is redelivered after 3 seconds so
the test doesn't wait an hour.
"""

from hotwave.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": 3,
    # A worker killed while it held the restore mutex would block redelivery for the
    # default 300 s; the test's killed worker may have been holding it.
    "unacked_mutex_expire": 2,
}

__all__ = ["app"]

if __import__("os").environ.get("HOTWAVE_TEST_REJECT_ON_WORKER_LOST") == "1":
    # Proves the fix proposed for settlement/tasks.py (see docs/RELIABILITY.md).
    import django

    django.setup()
    from settlement.tasks import settle_yesterday

    settle_yesterday.reject_on_worker_lost = True
