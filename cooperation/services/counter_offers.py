"""议价 (counter-offers): the creator counters an invitation once; the merchant answers.

A counter-offer is not a move of the task: the task stays 待达人确认 while it waits
for the merchant (``Task.countered_at`` hands the invitation's deadline to it, within
the same 72 h). Accepting goes through the same transition engine as any move
(cooperation.services.tasks: lock, re-check, guard, move): the new terms are written
onto the task and the slot fee is held in escrow on the new amount, through
settlement's ``escrow_hold`` (idempotent by ``task:<pk>``), exactly once however many
clicks race. Declining ends the invitation.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.exceptions import NotAdmitted
from admission.guard import require_admitted, require_product_allowed
from admission.models import User
from cooperation import notices
from cooperation.models import (
    COUNTER_FEE_MAX,
    CounterOffer,
    CounterOfferStatus,
    Party,
    SlotFeeMode,
    Task,
    TaskAction,
    TaskEventKind,
    TaskState,
)
from cooperation.services import tasks as engine
from hotwave import todos
from hotwave.exceptions import DomainError
from hotwave.money import format_cny, quantize
from settlement.services.escrow import escrow_hold


def _check_fee(slot_fee: Decimal) -> None:
    if (
        not isinstance(slot_fee, Decimal)
        or not slot_fee.is_finite()
        or slot_fee < 0
        or slot_fee != quantize(slot_fee)
    ):
        raise DomainError(
            _("坑位费须为不小于 0 的金额，最多两位小数。"), code="counter.bad_slot_fee"
        )
    if slot_fee > COUNTER_FEE_MAX:
        raise DomainError(
            _("议价的坑位费不能超过 %(max)s。") % {"max": format_cny(COUNTER_FEE_MAX)},
            code="counter.bad_slot_fee",
        )


@transaction.atomic
def task_counter(
    *,
    task: Task,
    actor: User,
    slot_fee: Decimal,
    mode: str,
    planned_live_date: date,
    gmv_target: Decimal | None = None,
    note: str = "",
) -> CounterOffer:
    """The creator counters the invitation with other terms, once.

    Raises IllegalTransition (not the task's creator, not invited any more) and
    DomainError (a second counter-offer, a fee out of bounds, bad 合作模式 terms, a past
    date, nothing changed).
    """
    # Locked and re-read like any move: a counter-offer and an accept cannot cross.
    locked = Task.objects.select_for_update(of=("self",)).select_related("creator").get(pk=task.pk)
    if locked.party_of(actor) != Party.CREATOR:
        raise engine.IllegalTransition(_("只有达人可以议价。"), code="task.wrong_party")
    if locked.state != TaskState.INVITED:
        raise engine.IllegalTransition(
            _("任务当前状态为「%(state)s」，不能议价。") % {"state": locked.get_state_display()}
        )
    if locked.countered_at is not None or CounterOffer.objects.filter(task=locked).exists():
        raise DomainError(_("每份邀请只能议价一次。"), code="counter.already")
    _check_fee(slot_fee)
    try:
        gmv_target = engine._check_terms(mode, slot_fee, gmv_target)
    except DomainError as exc:
        raise DomainError(exc.message, code=exc.code.replace("task.", "counter.")) from exc
    now = timezone.now()
    if planned_live_date < timezone.localdate(now):
        raise DomainError(_("计划直播日期不能早于今天。"), code="counter.past_date")
    offer = CounterOffer(
        task=locked,
        slot_fee=slot_fee,
        mode=mode,
        gmv_target=gmv_target,
        planned_live_date=planned_live_date,
        note=note.strip()[:500],
        was_slot_fee=locked.slot_fee,
        was_mode=locked.mode,
        was_gmv_target=locked.gmv_target,
        was_planned_live_date=locked.planned_live_date,
        created_at=now,
    )
    if not offer.changes():
        raise DomainError(
            _("议价须改变坑位费、合作模式、目标成交额或计划直播日期中的至少一项。"),
            code="counter.unchanged",
        )
    try:
        with transaction.atomic():  # the one-to-one row is the guarantee
            offer.save()
    except IntegrityError as exc:
        raise DomainError(_("每份邀请只能议价一次。"), code="counter.already") from exc
    locked.countered_at = now
    locked.save(update_fields=["countered_at", "updated_at"])
    engine._event(
        locked,
        TaskEventKind.COUNTER_OFFERED,
        at=now,
        actor=actor,
        party=Party.CREATOR,
        amount=offer.slot_fee,
        # The creator's words; the terms are shown from the offer, in the reader's language.
        note=offer.note,
    )
    todos.changed([locked.merchant_id, locked.creator_id])
    notices.counter_offered(locked, offer)
    return offer


def _pending_offer(task: Task) -> CounterOffer:
    offer = CounterOffer.objects.select_for_update().filter(task=task).first()
    if offer is None or offer.status != CounterOfferStatus.PENDING:
        raise engine.IllegalTransition(_("这份邀请没有待答复的议价。"), code="counter.none_pending")
    return offer


@transaction.atomic
def task_accept_counter(*, task: Task, actor: User) -> Task:
    """The merchant accepts the counter-offer: the task takes its terms and moves to 待寄样,
    the (new) slot fee held in escrow. Raises IllegalTransition, NotAdmitted, DomainError."""
    locked = engine._claim(task, TaskAction.ACCEPT_COUNTER, actor)
    offer = _pending_offer(locked)
    now = timezone.now()
    if offer.planned_live_date < timezone.localdate(now):
        raise DomainError(
            _("议价中的计划直播日期已过，不能再接受；可以拒绝议价后重新邀请。"),
            code="counter.date_passed",
        )
    require_admitted(actor, action="invite", activity=locked.activity)
    try:
        require_admitted(locked.creator.user, action="accept", activity=locked.activity)
    except NotAdmitted as exc:
        raise DomainError(
            _("达人「%(name)s」当前未通过准入，暂不能开始合作。")
            % {"name": locked.creator.nickname},
            code="counter.creator_not_admitted",
        ) from exc
    for item in locked.items.all():
        require_product_allowed(merchant=locked.merchant, sku=item.sku, title=item.title)
    terms = {
        "slot_fee": offer.slot_fee,
        "mode": offer.mode,
        "gmv_target": offer.gmv_target,
        "planned_live_date": offer.planned_live_date,
    }
    for name, value in terms.items():
        setattr(locked, name, value)
    if locked.holds_escrow:
        # Held on the agreed amount, once: the key is the task's, whatever the retries.
        escrow_hold(
            key=engine.escrow_key(locked),
            merchant=locked.merchant,
            creator=locked.creator,
            amount=locked.slot_fee,
            at=now,
        )
        engine._event(
            locked, TaskEventKind.ESCROW_HELD, at=now, actor=actor, amount=locked.slot_fee
        )
    offer.status = CounterOfferStatus.ACCEPTED
    offer.answered_at, offer.answered_by = now, actor
    offer.save(update_fields=["status", "answered_at", "answered_by"])
    moved = engine._move(locked, TaskAction.ACCEPT_COUNTER, actor, at=now, fields=terms)
    notices.counter_answered(moved, offer, accepted=True)
    return moved


@transaction.atomic
def task_decline_counter(*, task: Task, actor: User, reason: str = "") -> Task:
    """The merchant declines the counter-offer: the invitation ends (已拒绝). Raises
    IllegalTransition."""
    locked = engine._claim(task, TaskAction.DECLINE_COUNTER, actor)
    offer = _pending_offer(locked)
    now = timezone.now()
    offer.status = CounterOfferStatus.DECLINED
    offer.answered_at, offer.answered_by = now, actor
    offer.save(update_fields=["status", "answered_at", "answered_by"])
    moved = engine._move(locked, TaskAction.DECLINE_COUNTER, actor, at=now, note=reason.strip())
    notices.counter_answered(moved, offer, accepted=False)
    return moved


def is_countered(task: Task) -> bool:
    """The invitation waits for the merchant's answer to a counter-offer."""
    return task.state == TaskState.INVITED and task.countered_at is not None


__all__ = [
    "SlotFeeMode",
    "is_countered",
    "task_accept_counter",
    "task_counter",
    "task_decline_counter",
]
