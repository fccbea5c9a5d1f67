"""Cooperation-task services (SPEC §3): creation and every transition of the state machine.

Each transition service:

1. locks the task row (``select_for_update``) and re-reads its state, so two
   clicks at once do one thing — the second sees the new state and is refused;
2. checks the transition table (:data:`cooperation.models.tasks.TRANSITIONS`):
   the actor's party and the current state;
3. asks the admission guard (cooperating actions only — see ``_GUARDED``);
4. moves the slot fee (坑位费) through settlement's escrow, idempotent by
   ``task:<pk>``: held on acceptance, released on completion, returned on
   cancellation;
5. stamps the state's timestamp and records a :class:`TaskTransition`, and on
   the timeline (:class:`TaskEvent`) the deadline the new stage sets, the one the
   old stage met, and every escrow movement with its amount.

All of it runs in one transaction: a refusal anywhere changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from admission.exceptions import NotAdmitted
from admission.guard import require_admitted, require_product_allowed
from admission.models import Activity, Creator, Role, User
from cooperation import notices
from cooperation.models import (
    AUTOCOMPLETE_AFTER,
    BREACH_AUTOCANCEL_AFTER,
    CLOSED_STATES,
    DEADLINE_BOUNDS,
    INVITATION_TTL,
    REMIND_BEFORE,
    STATE_TIMESTAMP,
    TRANSITIONS,
    DeadlineKind,
    Party,
    Product,
    ProductStatus,
    SlotFeeMode,
    Task,
    TaskAction,
    TaskEvent,
    TaskEventKind,
    TaskProduct,
    TaskState,
    TaskTransition,
)
from cooperation.selectors.attribution import task_attribution
from hotwave import gates, todos
from hotwave.exceptions import DomainError
from hotwave.money import ZERO, format_cny, quantize
from settlement.services.escrow import escrow_hold, escrow_split
from settlement.services.funding import InsufficientFunds, funds_shortfall_record

logger = logging.getLogger(__name__)

# Admission-guard action names (admission.guard.ACTIONS words the known ones).
_GUARD_ACTION = {
    TaskAction.CREATE: "invite",
    TaskAction.ACCEPT: "accept",
    TaskAction.SHIP_SAMPLE: "ship_sample",
    TaskAction.CONFIRM_RECEIPT: "confirm_receipt",
    TaskAction.REPORT_LIVE: "report_live",
    TaskAction.CONFIRM_COMPLETION: "confirm_completion",
}
# Leaving a cooperation (decline, cancel) is never blocked by admission: a party
# that lost a qualification must still be able to get out, and a cancellation is
# what returns the merchant's escrowed slot fee.
_GUARDED = frozenset(_GUARD_ACTION)


class IllegalTransition(DomainError):
    """The actor may not take this action on the task in its current state."""

    code = "task.illegal_transition"


def escrow_key(task: Task) -> str:
    return f"task:{task.pk}"


def _local_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now())


# --- creation ------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor: User,
    creator: Creator,
    products: Sequence[Product] | Iterable[Product],
    slot_fee: Decimal,
    planned_live_date: date,
    note: str = "",
    activity: Activity | None = None,
    mode: str = SlotFeeMode.FIXED,
    gmv_target: Decimal | None = None,
    ship_days: int | None = None,
    receipt_days: int | None = None,
    live_grace_days: int | None = None,
    rates: dict[int, Decimal] | None = None,
) -> Task:
    """A merchant invites ``creator`` (我要合作). Raises NotAdmitted, ProductRestricted, DomainError.

    Each product's rate is copied as in force now (``Product.rate_in_force``), or
    taken from ``rates`` (product id → rate) where given: a sample request's task
    carries the best plan rate open to its creator.
    """
    if actor.role != Role.MERCHANT:
        raise DomainError(_("只有商家可以发起合作。"), code="task.not_merchant")
    merchant = actor.merchant
    require_admitted(actor, action=_GUARD_ACTION[TaskAction.CREATE], activity=activity)
    try:
        require_admitted(creator.user, action="be_invited")
    except NotAdmitted as exc:
        raise DomainError(
            _("达人「%(name)s」当前未通过准入，暂不能邀请。") % {"name": creator.nickname},
            code="task.creator_not_admitted",
        ) from exc

    refusal = gates.invitation_refused(merchant_user_id=actor.pk, creator_user_id=creator.user_id)
    if refusal:
        raise DomainError(refusal, code="task.creator_refuses")

    products = list({p.pk: p for p in products}.values())
    if not products:
        raise DomainError(_("请至少选择一个商品。"), code="task.no_product")
    for product in products:
        if product.merchant_id != merchant.pk or product.status != ProductStatus.ACTIVE:
            raise DomainError(
                _("商品「%(title)s」不是你店铺在售的商品。") % {"title": product.title},
                code="task.product_unavailable",
            )
        require_product_allowed(merchant=merchant, sku=product.sku, title=product.title)

    if (
        not isinstance(slot_fee, Decimal)
        or slot_fee < 0
        or slot_fee != slot_fee.quantize(Decimal("0.01"))
    ):
        raise DomainError(_("坑位费须为不小于 0 的金额，最多两位小数。"), code="task.bad_slot_fee")
    if slot_fee > settings.HOTWAVE_MAX_SLOT_FEE:
        raise DomainError(
            _("坑位费不能高于 %(limit)s。") % {"limit": format_cny(settings.HOTWAVE_MAX_SLOT_FEE)},
            code="task.slot_fee_above_limit",
        )
    gmv_target = _check_terms(mode, slot_fee, gmv_target)
    days = {
        "ship_days": ship_days,
        "receipt_days": receipt_days,
        "live_grace_days": live_grace_days,
    }
    for name, value in days.items():
        days[name] = _check_days(name, value)
    now = timezone.now()
    if planned_live_date < _local_today(now):
        raise DomainError(_("计划直播日期不能早于今天。"), code="task.past_date")
    if activity is not None:
        start = timezone.localdate(activity.starts_at)
        end = timezone.localdate(activity.ends_at)
        if not start <= planned_live_date <= end:
            raise DomainError(
                _("计划直播日期须在官方活动「%(name)s」期间（%(start)s 至 %(end)s）。")
                % {"name": activity.name, "start": start, "end": end},
                code="task.outside_activity",
            )

    try:
        # A savepoint: the one-open-invitation constraint may refuse the row.
        with transaction.atomic():
            task = Task.objects.create(
                merchant=merchant,
                creator=creator,
                activity=activity,
                slot_fee=slot_fee,
                mode=mode,
                gmv_target=gmv_target,
                planned_live_date=planned_live_date,
                note=note.strip(),
                state=TaskState.INVITED,
                created_at=now,
                **days,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("你已向「%(name)s」发出一份待确认的邀请，请等待达人答复后再发起新的合作。")
            % {"name": creator.nickname},
            code="task.duplicate_invitation",
        ) from exc
    TaskProduct.objects.bulk_create(
        [
            TaskProduct(
                task=task,
                product=p,
                sku=p.sku,
                title=p.title,
                price=p.price,
                # Copied: later edits of the product never change an agreed task.
                service_fee_rate=(rates or {}).get(p.pk) or p.rate_in_force(now),
            )
            for p in products
        ]
    )
    TaskTransition.objects.create(
        task=task,
        action=TaskAction.CREATE,
        actor=actor,
        at=now,
        from_state="",
        to_state=TaskState.INVITED,
        note="",
    )
    _deadline_set(task, at=now)
    todos.changed([task.merchant_id, task.creator_id])
    notices.invitation_received(task)
    return task


_DAYS_LABEL = {
    "ship_days": _lazy("寄样期限"),
    "receipt_days": _lazy("自动签收期限"),
    "live_grace_days": _lazy("直播宽限"),
}


def _check_days(name: str, value: int | None) -> int:
    bounds = DEADLINE_BOUNDS[name]
    if value is None:
        return bounds["default"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError(_("期限须为整数天。"), code=f"task.bad_{name}")
    if not bounds["min"] <= value <= bounds["max"]:
        raise DomainError(
            _("%(what)s须在 %(min)s 到 %(max)s 天之间。")
            % {"what": _DAYS_LABEL[name], "min": bounds["min"], "max": bounds["max"]},
            code=f"task.bad_{name}",
        )
    return value


def _check_terms(mode: str, slot_fee: Decimal, gmv_target: Decimal | None) -> Decimal | None:
    """合作模式: 一口价 any fee; 纯佣 no fee; 保底 a fee and a positive target. Raises DomainError."""
    if mode not in SlotFeeMode.values:
        raise DomainError(_("请选择合作模式。"), code="task.bad_mode")
    if mode == SlotFeeMode.COMMISSION:
        if slot_fee != 0:
            raise DomainError(_("纯佣合作不收坑位费，请将坑位费设为 0。"), code="task.bad_slot_fee")
        return None
    if mode == SlotFeeMode.FIXED:
        return None
    if slot_fee <= 0:
        raise DomainError(_("保底合作须有大于 0 的坑位费。"), code="task.bad_slot_fee")
    if (
        not isinstance(gmv_target, Decimal)
        or not gmv_target.is_finite()
        or gmv_target <= 0
        or gmv_target != quantize(gmv_target)
    ):
        raise DomainError(
            _("目标成交额须为大于 0 的金额，最多两位小数。"), code="task.bad_gmv_target"
        )
    return gmv_target


# --- the timeline ------------------------------------------------------------------


def _event(task: Task, kind: str, *, at: datetime, **fields) -> None:
    TaskEvent.objects.create(task=task, kind=kind, at=at, **fields)


def _deadline_set(task: Task, *, at: datetime) -> None:
    d = task.deadline()
    if d is not None:
        _event(
            task,
            TaskEventKind.DEADLINE_SET,
            at=at,
            party=d.party,
            stage=d.state,
            deadline=d.kind,
            due_at=d.due_at,
        )


def record_once(task: Task, kind: str, *, at: datetime, **fields) -> bool:
    """A reminder or breach for the task's stage, written at most once; True if written now."""
    # The unique constraint (task, kind, stage) decides between two ticks at once: the
    # second insert waits for the first transaction, then fails and writes nothing.
    try:
        with transaction.atomic():
            TaskEvent.objects.create(task=task, kind=kind, at=at, stage=task.state, **fields)
    except IntegrityError:
        return False
    return True


# --- the transition engine -------------------------------------------------------


def _party_label(party: str) -> str:
    return str(Party(party).label)


# Moves forward on the main path: the ones that meet a stage's deadline.
_MAIN_PATH = frozenset(
    {
        TaskState.ACCEPTED,
        TaskState.SHIPPED,
        TaskState.RECEIVED,
        TaskState.LIVE_REPORTED,
        TaskState.COMPLETED,
    }
)


def _claim(task: Task | int, action: str, actor: User | None, *, party: str | None = None) -> Task:
    """Lock the task and check the table: the actor's party, then the current state.

    ``party`` names the actor's side when it is not one of the task's (an operator).
    Must run inside a transaction. Raises IllegalTransition.
    """
    pk = task if isinstance(task, int) else task.pk
    # The lock serialises concurrent transitions of one task; the state is read
    # again under it, so a second click sees what the first one did.
    locked = (
        Task.objects.select_for_update(of=("self",))
        .select_related("merchant__user", "creator__user", "activity")
        .get(pk=pk)
    )
    rule = TRANSITIONS[action]
    if party is None:
        party = Party.SYSTEM if actor is None else locked.party_of(actor)
    action_label = str(TaskAction(action).label)
    if party not in rule.parties:
        raise IllegalTransition(
            _("只有%(party)s可以%(action)s。")
            % {
                "party": _("或").join(_party_label(p) for p in sorted(rule.parties)),
                "action": action_label,
            },
            code="task.wrong_party",
        )
    if locked.state not in rule.sources:
        raise IllegalTransition(
            _("任务当前状态为「%(state)s」，不能%(action)s。")
            % {"state": locked.get_state_display(), "action": action_label},
        )
    return locked


def _guard(task: Task, action: str, actor: User | None) -> None:
    if actor is None or action not in _GUARDED:
        return
    require_admitted(actor, action=_GUARD_ACTION[action], activity=task.activity)


def _move(
    task: Task,
    action: str,
    actor: User | None,
    *,
    at: datetime,
    note: str = "",
    fields: dict | None = None,
) -> Task:
    rule = TRANSITIONS[action]
    from_state = task.state
    before = task.deadline()
    task.state = rule.target
    setattr(task, STATE_TIMESTAMP[rule.target], at)
    for name, value in (fields or {}).items():
        setattr(task, name, value)
    task.save(
        update_fields=[
            "state",
            STATE_TIMESTAMP[rule.target],
            "updated_at",
            *(fields or {}),
        ]
    )
    TaskTransition.objects.create(
        task=task,
        action=action,
        actor=actor,
        at=at,
        from_state=from_state,
        to_state=rule.target,
        note=note[:500],
    )
    if (
        before is not None
        and actor is not None
        and rule.target in _MAIN_PATH
        and before.party == task.party_of(actor)
        and at <= before.due_at
    ):
        # The party the stage waited for acted in time (late: the breach says so).
        _event(
            task,
            TaskEventKind.DEADLINE_MET,
            at=at,
            actor=actor,
            party=before.party,
            stage=before.state,
            deadline=before.kind,
            due_at=before.due_at,
        )
    _deadline_set(task, at=at)
    todos.changed([task.merchant_id, task.creator_id])
    if rule.target in CLOSED_STATES and task.accepted_at is not None:
        _scorecards_after_commit(task)
    return task


def _scorecards_after_commit(task: Task) -> None:
    """A task that ended moves its two parties' scorecards: recompute them after commit."""
    from cooperation.tasks import refresh_scorecards  # the Celery module imports this one

    refresh_scorecards.delay_on_commit(task.creator_id, task.merchant_id)


def creator_part(task: Task) -> Decimal:
    """What of the held slot fee goes to the creator's side at completion (合作模式).

    一口价: all of it; 保底: quantize(slot fee × min(1, attributed actual GMV ÷ target));
    纯佣: nothing is held.
    """
    if not task.holds_escrow:
        return ZERO
    if task.mode == SlotFeeMode.GUARANTEE:
        gmv = task_attribution(task=task).gmv
        ratio = min(Decimal(1), max(gmv, ZERO) / task.gmv_target)
        return quantize(task.slot_fee * ratio)
    return task.slot_fee


def settle_escrow(
    task: Task, part: Decimal, *, at: datetime, actor: User | None, note: str = ""
) -> None:
    """Close the task's escrow: ``part`` released to the creator's side, the rest returned.

    Posted once through settlement (``escrow_split``, idempotent by ``task:<pk>``); the
    amounts are kept on the task and written on its timeline.
    """
    if not task.holds_escrow:
        return
    escrow_split(key=escrow_key(task), creator_part=part, at=at)
    rest = task.slot_fee - part
    task.escrow_released, task.escrow_returned = part, rest
    task.save(update_fields=["escrow_released", "escrow_returned", "updated_at"])
    if part:
        _event(task, TaskEventKind.ESCROW_RELEASED, at=at, actor=actor, amount=part, note=note)
    if rest:
        _event(task, TaskEventKind.ESCROW_RETURNED, at=at, actor=actor, amount=rest, note=note)


def _complete(task: Task, action: str, actor: User | None, *, at: datetime) -> Task:
    part = creator_part(task)
    note = ""
    if task.mode == SlotFeeMode.GUARANTEE:
        note = _("保底：按归因成交额计算达人所得")
    # Released under the commission rule in force at completion (settlement decides).
    settle_escrow(task, part, at=at, actor=actor, note=note)
    Creator.objects.filter(pk=task.creator_id).update(completed_tasks=F("completed_tasks") + 1)
    return _move(task, action, actor, at=at)


def _return_escrow(task: Task, *, at: datetime, actor: User | None) -> None:
    if task.accepted_at is not None and task.holds_escrow:
        settle_escrow(task, ZERO, at=at, actor=actor)


def breach_of(task: Task, now: datetime):
    """The current stage's missed deadline the other side may act on, or None."""
    return task.missed_deadline(now)


def _record_breach(task: Task, d, *, at: datetime) -> bool:
    written = record_once(
        task,
        TaskEventKind.DEADLINE_BREACHED,
        at=at,
        party=d.party,
        deadline=d.kind,
        due_at=d.due_at,
    )
    if written:
        notices.deadline_breached(task, d)
    return written


# --- transitions taken by people -------------------------------------------------


def _refuse_while_countered(task: Task) -> None:
    # After a counter-offer (议价) the invitation waits for the merchant's answer.
    if task.countered_at is not None:
        raise IllegalTransition(_("你已提出议价，正在等待商家答复。"), code="task.countered")


def task_accept(*, task: Task, actor: User) -> Task:
    """The creator accepts; the slot fee moves into escrow if the merchant can fund it.

    Raises IllegalTransition, NotAdmitted, InsufficientFunds. A refusal for want of
    funds changes nothing but is remembered for the merchant (资金账户, the task page),
    so both sides hear of it.
    """
    try:
        return _accept(task=task, actor=actor)
    except InsufficientFunds as exc:
        # The acceptance rolled back; this record is written after it, on its own.
        funds_shortfall_record(
            merchant=task.merchant,
            key=escrow_key(task),
            reference=task.reference,
            needed=exc.needed,
            available=exc.available,
        )
        raise


@transaction.atomic
def _accept(*, task: Task, actor: User) -> Task:
    task = _claim(task, TaskAction.ACCEPT, actor)
    _refuse_while_countered(task)
    _guard(task, TaskAction.ACCEPT, actor)
    try:
        require_admitted(task.merchant.user, action="invite", activity=task.activity)
    except NotAdmitted as exc:
        raise DomainError(
            _("商家「%(name)s」当前未通过准入，暂不能接受该邀请。")
            % {"name": task.merchant.shop_name},
            code="task.merchant_not_admitted",
        ) from exc
    for item in task.items.all():
        # A product restricted after the invitation stops the cooperation here.
        require_product_allowed(merchant=task.merchant, sku=item.sku, title=item.title)
    now = timezone.now()
    if task.holds_escrow:
        escrow_hold(
            key=escrow_key(task),
            merchant=task.merchant,
            creator=task.creator,
            amount=task.slot_fee,
            at=now,
        )
        _event(task, TaskEventKind.ESCROW_HELD, at=now, actor=actor, amount=task.slot_fee)
    notices.invitation_answered(task, accepted=True)
    return _move(task, TaskAction.ACCEPT, actor, at=now)


@transaction.atomic
def task_decline(*, task: Task, actor: User, reason: str = "") -> Task:
    """The creator declines the invitation. Raises IllegalTransition."""
    task = _claim(task, TaskAction.DECLINE, actor)
    _refuse_while_countered(task)
    notices.invitation_answered(task, accepted=False)
    return _move(task, TaskAction.DECLINE, actor, at=timezone.now(), note=reason.strip())


@transaction.atomic
def task_cancel(*, task: Task, actor: User, reason: str = "") -> Task:
    """The merchant cancels before the sample ships; an escrowed slot fee returns. Raises IllegalTransition."""
    task = _claim(task, TaskAction.CANCEL, actor)
    now = timezone.now()
    _return_escrow(task, at=now, actor=actor)
    return _move(task, TaskAction.CANCEL, actor, at=now, note=reason.strip())


@transaction.atomic
def task_cancel_late(
    *,
    task: Task,
    actor: User,
    reason: str = "",
    action: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Leave after the other side missed its deadline (SPEC §7); the escrow returns.

    The creator after a missed shipping deadline (待寄样), the merchant after a
    missed live deadline (待直播); the breach is recorded on the party that
    missed it. Raises IllegalTransition, DomainError (deadline not passed).
    """
    now = now or timezone.now()
    if action is None:
        creator = task.party_of(actor) == Party.CREATOR
        action = TaskAction.CANCEL_LATE_SHIPPING if creator else TaskAction.CANCEL_LATE_LIVE
    if action not in (TaskAction.CANCEL_LATE_SHIPPING, TaskAction.CANCEL_LATE_LIVE):
        raise ValueError(action)
    task = _claim(task, action, actor)
    d = breach_of(task, now)
    if d is None:
        raise DomainError(
            _("期限尚未届满，暂不能以逾期为由取消。"), code="task.deadline_not_passed"
        )
    _record_breach(task, d, at=now)
    _return_escrow(task, at=now, actor=actor)
    return _move(task, action, actor, at=now, note=reason.strip())


@transaction.atomic
def task_ship_sample(*, task: Task, actor: User, carrier: str, tracking_no: str) -> Task:
    """The merchant ships the sample with its tracking number. Raises IllegalTransition, NotAdmitted."""
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not carrier or not tracking_no:
        raise DomainError(_("请填写快递公司和快递单号。"), code="task.no_tracking")
    task = _claim(task, TaskAction.SHIP_SAMPLE, actor)
    _guard(task, TaskAction.SHIP_SAMPLE, actor)
    task = _move(
        task,
        TaskAction.SHIP_SAMPLE,
        actor,
        at=timezone.now(),
        note=f"{carrier} {tracking_no}",
        fields={"sample_carrier": carrier, "sample_tracking_no": tracking_no},
    )
    notices.sample_shipped(task)
    return task


@transaction.atomic
def task_confirm_receipt(*, task: Task, actor: User) -> Task:
    """The creator confirms the sample arrived. Raises IllegalTransition, NotAdmitted."""
    task = _claim(task, TaskAction.CONFIRM_RECEIPT, actor)
    _guard(task, TaskAction.CONFIRM_RECEIPT, actor)
    return _move(task, TaskAction.CONFIRM_RECEIPT, actor, at=timezone.now())


@transaction.atomic
def task_report_live(*, task: Task, actor: User, live_at: datetime, replay_url: str) -> Task:
    """The creator reports the live session (time, replay link). Raises IllegalTransition, NotAdmitted."""
    now = timezone.now()
    if live_at > now:
        raise DomainError(
            _("直播时间不能晚于现在：请在直播结束后提交。"), code="task.live_in_future"
        )
    task = _claim(task, TaskAction.REPORT_LIVE, actor)
    # Forms give minutes: a live in the minute the task was created is fine.
    if live_at < task.created_at.replace(second=0, microsecond=0):
        raise DomainError(_("直播时间不能早于合作发起时间。"), code="task.live_too_early")
    _guard(task, TaskAction.REPORT_LIVE, actor)
    return _move(
        task,
        TaskAction.REPORT_LIVE,
        actor,
        at=now,
        note=replay_url.strip(),
        fields={"live_at": live_at, "replay_url": replay_url.strip()},
    )


@transaction.atomic
def task_confirm_completion(*, task: Task, actor: User) -> Task:
    """The merchant confirms; the slot fee is released, 合作任务数 +1. Raises IllegalTransition, NotAdmitted."""
    task = _claim(task, TaskAction.CONFIRM_COMPLETION, actor)
    _guard(task, TaskAction.CONFIRM_COMPLETION, actor)
    return _complete(task, TaskAction.CONFIRM_COMPLETION, actor, at=timezone.now())


# --- transitions taken by the clock ----------------------------------------------


class NotDue(DomainError):
    code = "task.not_due"


@transaction.atomic
def task_expire(*, task: Task | int, now: datetime | None = None) -> Task:
    """An invitation unanswered for 72 h expires. Raises IllegalTransition, NotDue."""
    now = now or timezone.now()
    task = _claim(task, TaskAction.EXPIRE, None)
    if task.created_at + INVITATION_TTL > now:
        raise NotDue(_("邀请尚未到期。"))
    notices.invitation_expired(task)
    return _move(task, TaskAction.EXPIRE, None, at=now, note=_("72 小时未答复，邀请自动过期"))


@transaction.atomic
def task_autocomplete(*, task: Task | int, now: datetime | None = None) -> Task:
    """A live report unconfirmed for 7 days completes by itself. Raises IllegalTransition, NotDue."""
    now = now or timezone.now()
    task = _claim(task, TaskAction.AUTOCOMPLETE, None)
    if task.live_reported_at + AUTOCOMPLETE_AFTER > now:
        raise NotDue(_("尚未到自动完成时间。"))
    return _complete(task, TaskAction.AUTOCOMPLETE, None, at=now)


@transaction.atomic
def task_auto_receipt(*, task: Task | int, now: datetime | None = None) -> Task:
    """A shipped sample is received by itself after the receipt period. Raises IllegalTransition, NotDue."""
    now = now or timezone.now()
    task = _claim(task, TaskAction.AUTO_RECEIPT, None)
    if task.auto_receipt_at > now:
        raise NotDue(_("尚未到自动签收时间。"))
    note = _("寄出 %(days)s 天未确认签收，系统自动签收") % {"days": task.receipt_days}
    # Received as of the deadline (not when the tick ran): the live deadline that
    # follows counts from the day the receipt was due.
    return _move(task, TaskAction.AUTO_RECEIPT, None, at=task.auto_receipt_at, note=note)


@transaction.atomic
def task_record_breach(*, task: Task | int, now: datetime | None = None) -> bool:
    """Record the current stage's missed deadline on the party that missed it, once."""
    now = now or timezone.now()
    pk = task if isinstance(task, int) else task.pk
    locked = Task.objects.select_for_update(of=("self",)).get(pk=pk)
    d = breach_of(locked, now)
    if d is None:
        return False
    if not _record_breach(locked, d, at=now):
        return False
    todos.changed([locked.merchant_id, locked.creator_id])
    return True


@transaction.atomic
def task_auto_cancel(*, task: Task | int, now: datetime | None = None) -> Task:
    """A missed deadline nobody acted on closes the task; the escrow returns. Raises NotDue."""
    now = now or timezone.now()
    task = _claim(task, TaskAction.AUTO_CANCEL, None)
    d = breach_of(task, now)
    if d is None or d.due_at + BREACH_AUTOCANCEL_AFTER > now:
        raise NotDue(_("尚未到逾期自动取消时间。"))
    _record_breach(task, d, at=now)
    _return_escrow(task, at=now, actor=None)
    note = _("「%(what)s」逾期 %(days)s 天未处理，系统自动取消") % {
        "what": DeadlineKind(d.kind).label,
        "days": settings.COOPERATION_BREACH_AUTOCANCEL_DAYS,
    }
    return _move(task, TaskAction.AUTO_CANCEL, None, at=now, note=note)


@transaction.atomic
def task_remind(*, task: Task | int, now: datetime | None = None) -> bool:
    """The 24 h reminder of the current stage's deadline (timeline and 待办事项), once."""
    now = now or timezone.now()
    pk = task if isinstance(task, int) else task.pk
    locked = Task.objects.select_for_update(of=("self",)).get(pk=pk)
    d = locked.deadline()
    if d is None or not (now < d.due_at <= now + REMIND_BEFORE):
        return False
    written = record_once(
        locked,
        TaskEventKind.DEADLINE_REMINDED,
        at=now,
        party=d.party,
        deadline=d.kind,
        due_at=d.due_at,
    )
    if written:
        todos.changed([locked.merchant_id if d.party == Party.MERCHANT else locked.creator_id])
        notices.deadline_soon(locked, d)
    return written


def _run_due(ids: list[int], service, now: datetime) -> int:
    done = 0
    for pk in ids:
        try:
            result = service(task=pk, now=now)  # its own transaction: one failure stops nothing
        except DomainError:
            # Someone acted first (accepted, confirmed), or not due: nothing to do.
            continue
        except Exception:
            logger.exception("%s failed for task %s", service.__name__, pk)
            continue
        if result is not False:
            done += 1
    return done


def tasks_expire_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Expire every invitation unanswered for 72 h; returns how many. Safe to run concurrently."""
    now = now or timezone.now()
    ids = list(
        Task.objects.filter(state=TaskState.INVITED, created_at__lte=now - INVITATION_TTL)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return _run_due(ids, task_expire, now)


def tasks_autocomplete_due(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Complete every live report unconfirmed for 7 days; returns how many. Safe to run concurrently."""
    now = now or timezone.now()
    ids = list(
        Task.objects.filter(
            state=TaskState.LIVE_REPORTED, live_reported_at__lte=now - AUTOCOMPLETE_AFTER
        )
        .order_by("live_reported_at")
        .values_list("pk", flat=True)[:limit]
    )
    return _run_due(ids, task_autocomplete, now)
