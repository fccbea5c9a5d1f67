"""Celery tasks of settlement: thin wrappers around one service.

The nightly run is spread over several workers (docs/SCALING.md, "Settlement"):
``settle_yesterday`` (beat, 02:00 Asia/Shanghai) plans the night's id ranges,
sends ``SETTLEMENT_WORKERS - 1`` copies of ``settle_ranges`` to the queue it came
from, works through the ranges itself like them, then runs the final step —
``settle_through``, which waits for the chunks still in flight, settles anything
left (a range of a worker that died), pays out and marks the run done. Every
range is claimed per transaction (an advisory lock) and every order's status
moves with its journal, so the workers never post anything twice and the ledger
is the one a single-process run writes. On SQLite, or with
``SETTLEMENT_WORKERS = 1``, the task is a plain single-process run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from settlement.services.settle import CHUNK_SIZE, settle_night, work_ranges

# A helper message older than this is stale (its run has long been finished by the
# final step): the broker drops it instead of running it.
HELPER_EXPIRES = 6 * 60 * 60


def _workers(workers: int | None) -> int:
    if workers is None:
        workers = getattr(settings, "SETTLEMENT_WORKERS", 1)
    return max(1, int(workers))


# Both tasks are idempotent, so redelivery is harmless: acknowledge only after the
# work, and requeue it when the process running it dies (SIGKILL, OOM).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def settle_yesterday(
    self, business_date: str | None = None, workers: int | None = None, chunk_size: int = CHUNK_SIZE
) -> str:
    """The nightly run: settle through yesterday (or a given day), over ``workers`` tasks."""
    day = (
        date.fromisoformat(business_date)
        if business_date
        else timezone.localdate() - timedelta(days=1)
    )
    # The helpers go to the queue this task came from (the settlement workers). In
    # eager mode (tests, no broker) they would only run inline, one after the other:
    # this task does their share itself.
    queue = (self.request.delivery_info or {}).get("routing_key") or None

    def send_helpers(helpers: list[dict]) -> None:
        for kwargs in helpers:
            settle_ranges.apply_async(kwargs=kwargs, queue=queue, expires=HELPER_EXPIRES)

    return settle_night(
        business_date=day,
        workers=_workers(workers),
        chunk_size=chunk_size,
        send_helpers=None if self.app.conf.task_always_eager else send_helpers,
    )


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def settle_ranges(
    business_date: str, plan: dict, start: int, workers: int, now: str
) -> dict[str, int]:
    """One helper of the nightly run: settle and claw back the ranges it can claim."""
    summary = work_ranges(
        business_date=date.fromisoformat(business_date),
        plan=plan,
        start=start,
        workers=workers,
        now=datetime.fromisoformat(now),
    )
    return {"orders_settled": summary.orders_settled, "clawbacks": summary.clawbacks}
