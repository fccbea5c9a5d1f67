"""Dispute services (争议, SPEC §7): open, answer, decide — and the clock's decision when unanswered.

Every one locks the task row first (the same lock every transition takes), so a
dispute opened at the moment the clock completes the task, or two decisions at
once, resolve to exactly one outcome; the escrow moves once, through
``cooperation.services.tasks.settle_escrow`` (settlement's ``escrow_split``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import User
from cooperation import notices
from cooperation.models import (
    DISPUTE_ANSWER_WITHIN,
    LINKS_MAX,
    STATEMENT_MAX,
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    Party,
    Task,
    TaskAction,
    TaskEventKind,
)
from cooperation.services.tasks import (
    IllegalTransition,
    NotDue,
    _claim,
    _event,
    _move,
    creator_part,
    escrow_key,
    settle_escrow,
)
from hotwave import threads, todos
from hotwave.exceptions import DomainError
from hotwave.money import ZERO, quantize
from settlement.selectors import escrow_states

DECIDE_PERMISSION = "cooperation.decide_dispute"


class DisputeError(DomainError):
    code = "dispute.invalid"


def _clean_text(text: str, *, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DisputeError(_("请填写%(what)s。") % {"what": what}, code="dispute.no_text")
    if len(text) > STATEMENT_MAX:
        raise DisputeError(
            _("%(what)s最多 %(n)s 个字。") % {"what": what, "n": STATEMENT_MAX},
            code="dispute.too_long",
        )
    return text


def clean_links(links) -> list[str]:
    """Up to five http(s) links, one per line or a list. Raises DisputeError."""
    if isinstance(links, str):
        links = links.splitlines()
    items = [link.strip() for link in links or () if link and link.strip()]
    if len(items) > LINKS_MAX:
        raise DisputeError(
            _("最多 %(n)s 个证据链接。") % {"n": LINKS_MAX}, code="dispute.too_many_links"
        )
    check = URLValidator(schemes=["http", "https"])
    for link in items:
        try:
            if len(link) > 500:
                raise ValidationError("too long")
            check(link)
        except ValidationError as exc:
            raise DisputeError(
                _("证据链接须以 http:// 或 https:// 开头：%(link)s") % {"link": link[:80]},
                code="dispute.bad_link",
            ) from exc
    return items


def _held_amount(task: Task) -> Decimal:
    state = escrow_states([escrow_key(task)]).get(escrow_key(task))
    return state.held if state is not None else ZERO


@transaction.atomic
def dispute_open(
    *, task: Task, actor: User, reason: str, statement: str, links=(), now: datetime | None = None
) -> Dispute:
    """Either party contests the task (待签收…待确认): 争议中, escrow frozen, deadlines paused.

    Raises IllegalTransition, DisputeError.
    """
    if reason not in DisputeReason.values:
        raise DisputeError(_("请选择争议原因。"), code="dispute.bad_reason")
    statement = _clean_text(statement, required=True, what=_("争议说明"))
    links = clean_links(links)
    now = now or timezone.now()
    task = _claim(task, TaskAction.OPEN_DISPUTE, actor)
    party = task.party_of(actor)
    if task.disputes.filter(opened_by=party).exists():
        raise DisputeError(_("你已对这个任务发起过争议，不能重复发起。"), code="dispute.twice")
    held = _held_amount(task)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                task=task,
                opened_by=party,
                opener=actor,
                reason=reason,
                statement=statement,
                links=links,
                from_state=task.state,
                opened_at=now,
                answer_by=now + DISPUTE_ANSWER_WITHIN,
                held=held,
            )
    except IntegrityError as exc:
        raise DisputeError(
            _("你已对这个任务发起过争议，不能重复发起。"), code="dispute.twice"
        ) from exc
    _move(task, TaskAction.OPEN_DISPUTE, actor, at=now, note=DisputeReason(reason).label)
    _event(
        task,
        TaskEventKind.DISPUTE_OPENED,
        at=now,
        actor=actor,
        party=party,
        due_at=dispute.answer_by,
        note=statement[:500],
    )
    if held:
        _event(task, TaskEventKind.ESCROW_FROZEN, at=now, actor=actor, amount=held)
    notices.dispute_opened(task, dispute)
    # The task thread marks the opening: statements and evidence continue there (SPEC §7).
    threads.dispute_opened(task=task, dispute=dispute, actor=actor)
    return dispute


def _locked_dispute(task: Task) -> Dispute:
    dispute = (
        Dispute.objects.select_for_update()
        .filter(task=task)
        .exclude(status=DisputeStatus.DECIDED)
        .order_by("-opened_at")
        .first()
    )
    if dispute is None:
        raise DisputeError(_("这个任务没有待处理的争议。"), code="dispute.none")
    return dispute


@transaction.atomic
def dispute_answer(
    *, task: Task, actor: User, answer: str, links=(), now: datetime | None = None
) -> Dispute:
    """The other side answers within the answer period. Raises DisputeError."""
    answer = _clean_text(answer, required=True, what=_("回应内容"))
    links = clean_links(links)
    now = now or timezone.now()
    task = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if task.state != "disputed":
        raise DisputeError(_("这个任务不在争议中。"), code="dispute.none")
    dispute = _locked_dispute(task)
    if task.party_of(actor) != dispute.respondent:
        raise DisputeError(_("只有争议的另一方可以回应。"), code="dispute.not_respondent")
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeError(_("你已回应过这个争议。"), code="dispute.answered")
    if now > dispute.answer_by:
        raise DisputeError(_("回应期限已过，争议按发起方的陈述处理。"), code="dispute.answer_late")
    dispute.answer, dispute.answer_links, dispute.answered_at = answer, links, now
    dispute.status = DisputeStatus.ANSWERED
    dispute.save(update_fields=["answer", "answer_links", "answered_at", "status"])
    _event(
        task,
        TaskEventKind.DISPUTE_ANSWERED,
        at=now,
        actor=actor,
        party=dispute.respondent,
        note=answer[:500],
    )
    todos.changed([task.merchant_id, task.creator_id])
    notices.dispute_answered(task, dispute)
    return dispute


def parse_percent(value) -> Decimal:
    """A creator percentage 0–100 with at most two places. Raises DisputeError."""
    try:
        pct = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DisputeError(_("比例须为 0 到 100 之间的数字。"), code="dispute.bad_percent") from exc
    if not pct.is_finite() or not 0 <= pct <= 100 or pct != pct.quantize(Decimal("0.01")):
        raise DisputeError(
            _("比例须为 0 到 100 之间的数字，最多两位小数。"), code="dispute.bad_percent"
        )
    return pct


def _decide(
    task: Task,
    dispute: Dispute,
    *,
    outcome: str,
    part: Decimal,
    percent: Decimal | None,
    actor: User | None,
    note: str,
    at: datetime,
) -> Dispute:
    held = _held_amount(task)
    dispute.status = DisputeStatus.DECIDED
    dispute.outcome = outcome
    dispute.creator_percent = percent
    dispute.creator_amount = part
    dispute.merchant_amount = held - part
    dispute.decided_by = actor
    dispute.decided_at = at
    dispute.decision_note = note
    dispute.save()
    settle_escrow(task, part, at=at, actor=actor, note=_("争议裁决"))
    label = DisputeOutcome(outcome).label
    _event(
        task,
        TaskEventKind.DISPUTE_DECIDED,
        at=at,
        actor=actor,
        party=Party.OPERATOR if actor is not None else Party.SYSTEM,
        amount=part,
        note=f"{label} · {note}"[:500],
    )
    _move(task, TaskAction.DECIDE_DISPUTE, actor, at=at, note=str(label))
    notices.dispute_decided(task, dispute, outcome_label=label)
    return dispute


@transaction.atomic
def dispute_decide(
    *, task: Task | int, actor: User, outcome: str, percent=None, note: str = ""
) -> Dispute:
    """An operator decides: release, return or split by the creator's percentage. Exactly once.

    Raises DisputeError (no permission, not in dispute, already decided, bad
    percentage, no reason), IllegalTransition.
    """
    if not (actor.is_active and actor.is_staff and actor.has_perm(DECIDE_PERMISSION)):
        raise DisputeError(_("你没有裁决争议的权限。"), code="dispute.forbidden")
    if outcome not in DisputeOutcome.values:
        raise DisputeError(_("请选择裁决结果。"), code="dispute.bad_outcome")
    note = _clean_text(note, required=True, what=_("裁决理由"))
    pct = parse_percent(percent) if outcome == DisputeOutcome.SPLIT else None
    pk = task if isinstance(task, int) else task.pk
    try:
        task = _claim(pk, TaskAction.DECIDE_DISPUTE, actor, party=Party.OPERATOR)
    except IllegalTransition as exc:
        raise DisputeError(
            _("这个任务不在争议中（可能已经裁决），不能裁决。"), code="dispute.not_disputed"
        ) from exc
    dispute = _locked_dispute(task)
    held = _held_amount(task)
    if outcome == DisputeOutcome.RELEASE:
        part = held
    elif outcome == DisputeOutcome.RETURN:
        part = ZERO
    else:
        part = quantize(held * pct / 100)
    return _decide(
        task,
        dispute,
        outcome=outcome,
        part=part,
        percent=pct,
        actor=actor,
        note=note,
        at=timezone.now(),
    )


@transaction.atomic
def dispute_lapse(*, task: Task | int, now: datetime | None = None) -> Dispute:
    """Unanswered past the answer period: the opener's account stands. Raises NotDue, DomainError.

    A creator's dispute is decided as a completion (the creator's part under the
    合作模式); a merchant's returns the slot fee.
    """
    now = now or timezone.now()
    task = _claim(task, TaskAction.DECIDE_DISPUTE, None)
    dispute = _locked_dispute(task)
    if dispute.status != DisputeStatus.OPEN or dispute.answer_by > now:
        raise NotDue(_("争议尚未到回应期限，或已有回应。"))
    if dispute.opened_by == Party.CREATOR:
        outcome, part = DisputeOutcome.RELEASE, min(creator_part(task), _held_amount(task))
    else:
        outcome, part = DisputeOutcome.RETURN, ZERO
    _event(
        task,
        TaskEventKind.DISPUTE_LAPSED,
        at=now,
        party=dispute.respondent,
        due_at=dispute.answer_by,
    )
    return _decide(
        task,
        dispute,
        outcome=outcome,
        part=part,
        percent=None,
        actor=None,
        note=_("对方逾期未回应，按发起方的陈述处理"),
        at=now,
    )
