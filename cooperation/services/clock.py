"""``cooperation_tick``: every time-driven rule of cooperation, as of one moment (SPEC §7).

The rules, in the order they run (a task can pass several in one tick when the
moment is far ahead: shipped → received by itself → live deadline missed → …):

1. invitations unanswered for 72 h expire;
2. disputes unanswered past their answer period are decided for the opener;
3. shipped samples are received by themselves after the receipt period;
4. live reports unconfirmed for 7 days complete by themselves;
5. missed shipping and live deadlines are recorded as breaches;
6. a missed deadline nobody acted on cancels the task (escrow back to the merchant);
7. deadlines due within 24 h get their reminder (timeline and 待办事项).

Each rule selects candidates with a conservative SQL bound, then lets one service
per task lock the row and re-check the exact deadline. Running the tick twice at the
same moment, or twice at once, changes nothing the second time: the state moved
(so the second claim is refused), or the once-per-stage constraint of reminders and
breaches refuses the second row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from cooperation.models import (
    AUTOCOMPLETE_AFTER,
    BREACH_AUTOCANCEL_AFTER,
    DEADLINE_BOUNDS,
    INVITATION_TTL,
    REMIND_BEFORE,
    SHANGHAI,
    Dispute,
    DisputeStatus,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskState,
)
from cooperation.selectors.escrow import EscrowSummary, escrow_summary
from cooperation.services import disputes, products, tasks

LIMIT = 5000


@dataclass
class TickReport:
    expired: int = 0
    disputes_lapsed: int = 0
    auto_received: int = 0
    autocompleted: int = 0
    breaches: int = 0
    auto_cancelled: int = 0
    reminders: int = 0
    product_rate_cuts: int = 0
    summary: EscrowSummary | None = None

    def lines(self) -> list[str]:
        counts = ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self)[:-1])
        return [counts, self.summary.line() if self.summary else ""]

    @property
    def changed(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self)[:-1])


def _ids(qs, order: str) -> list[int]:
    return list(qs.order_by(order, "pk").values_list("pk", flat=True)[:LIMIT])


def _min_days(name: str) -> timedelta:
    return timedelta(days=DEADLINE_BOUNDS[name]["min"])


def _live_candidates(latest: datetime):
    # live_by ≥ the end of planned date + 0 grace days: planned dates up to the local
    # day of ``latest`` are the only ones that can be due.
    return Task.objects.filter(
        state=TaskState.RECEIVED, planned_live_date__lte=latest.astimezone(SHANGHAI).date()
    )


def _breach_candidates(now: datetime) -> list[int]:
    breached = TaskEvent.objects.filter(
        task=OuterRef("pk"), kind=TaskEventKind.DEADLINE_BREACHED, stage=OuterRef("state")
    )
    ship = Task.objects.filter(
        state=TaskState.ACCEPTED, accepted_at__lte=now - _min_days("ship_days")
    )
    ids = _ids(ship.filter(~Exists(breached)), "accepted_at")
    ids += _ids(_live_candidates(now).filter(~Exists(breached)), "planned_live_date")
    return ids


def _autocancel_candidates(now: datetime) -> list[int]:
    ship = Task.objects.filter(
        state=TaskState.ACCEPTED,
        accepted_at__lte=now - _min_days("ship_days") - BREACH_AUTOCANCEL_AFTER,
    )
    ids = _ids(ship, "accepted_at")
    ids += _ids(_live_candidates(now - BREACH_AUTOCANCEL_AFTER), "planned_live_date")
    return ids


def _reminder_candidates(now: datetime) -> list[int]:
    soon = now + REMIND_BEFORE
    reminded = TaskEvent.objects.filter(
        task=OuterRef("pk"), kind=TaskEventKind.DEADLINE_REMINDED, stage=OuterRef("state")
    )
    open_ = Task.objects.filter(~Exists(reminded))
    ids = _ids(
        open_.filter(state=TaskState.INVITED, created_at__lte=soon - INVITATION_TTL), "created_at"
    )
    ids += _ids(
        open_.filter(state=TaskState.ACCEPTED, accepted_at__lte=soon - _min_days("ship_days")),
        "accepted_at",
    )
    ids += _ids(
        open_.filter(state=TaskState.SHIPPED, shipped_at__lte=soon - _min_days("receipt_days")),
        "shipped_at",
    )
    ids += _ids(
        _live_candidates(soon).filter(~Exists(reminded)),
        "planned_live_date",
    )
    ids += _ids(
        open_.filter(
            state=TaskState.LIVE_REPORTED, live_reported_at__lte=soon - AUTOCOMPLETE_AFTER
        ),
        "live_reported_at",
    )
    return ids


def cooperation_tick(*, now: datetime | None = None) -> TickReport:
    """Apply every time-driven rule as of ``now`` (default: now). Idempotent; safe concurrently."""
    now = now or timezone.now()
    r = TickReport()
    run = tasks._run_due
    r.expired = run(
        _ids(
            Task.objects.filter(state=TaskState.INVITED, created_at__lte=now - INVITATION_TTL),
            "created_at",
        ),
        tasks.task_expire,
        now,
    )
    lapsed = Dispute.objects.filter(
        status=DisputeStatus.OPEN, answer_by__lte=now, task__state=TaskState.DISPUTED
    )
    r.disputes_lapsed = run(
        list(lapsed.order_by("answer_by").values_list("task_id", flat=True)[:LIMIT]),
        disputes.dispute_lapse,
        now,
    )
    r.auto_received = run(
        _ids(
            Task.objects.filter(
                state=TaskState.SHIPPED, shipped_at__lte=now - _min_days("receipt_days")
            ),
            "shipped_at",
        ),
        tasks.task_auto_receipt,
        now,
    )
    r.autocompleted = run(
        _ids(
            Task.objects.filter(
                state=TaskState.LIVE_REPORTED, live_reported_at__lte=now - AUTOCOMPLETE_AFTER
            ),
            "live_reported_at",
        ),
        tasks.task_autocomplete,
        now,
    )
    r.breaches = run(_breach_candidates(now), tasks.task_record_breach, now)
    r.auto_cancelled = run(_autocancel_candidates(now), tasks.task_auto_cancel, now)
    r.reminders = run(_reminder_candidates(now), tasks.task_remind, now)
    r.product_rate_cuts = products.product_rate_cuts_apply(now=now)
    r.summary = escrow_summary()
    return r
