"""Writes of 消息: open a thread (a task's, or a merchant's direct one), send, mark read.

Only the thread's merchant (or, in a binding thread, agency) and creator write; the creator's agency may read a
task thread while the creator is bound to it, and never sends. Sending is
rate-limited per user (``CONVERSATIONS_SEND_RATE``, hotwave.ratelimit).

A merchant opens at most ``CONVERSATIONS_OUTREACH_PER_DAY`` new direct threads a
day (Asia/Shanghai) with creators it has never had a task with, counted under a
lock of the merchant's user row. A creator mutes a merchant (its threads count
as read) or blocks it: no messages in any thread between them, no new direct
thread, no invitation (``invitation_gate``, registered with ``hotwave.gates``).
Either party reports a thread; operators read a thread only through a report,
and every opening is recorded (``ReportAccess``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from admission.models import Role, User
from admission.selectors import is_admitted
from conversations import notices
from conversations.models import (
    BODY_MAX,
    REPORT_DETAIL_MAX,
    DisputeAccess,
    Message,
    MessageKind,
    Report,
    ReportAccess,
    ReportReason,
    ReportStatus,
    Restriction,
    RestrictionKind,
    Thread,
    ThreadKind,
    ThreadRead,
)
from cooperation.selectors.tasks import have_worked_together
from hotwave import todos
from hotwave.exceptions import DomainError
from hotwave.ratelimit import hit, parse_rate


class MessageRefused(DomainError):
    code = "message.refused"


@transaction.atomic
def thread_for_task(*, task) -> Thread:
    """The task's thread between its merchant and creator, created on first use."""
    thread, _created = Thread.objects.get_or_create(
        task_id=task.pk,
        defaults={
            "kind": ThreadKind.TASK,
            "merchant_id": task.merchant_id,
            "creator_id": task.creator_id,
            "created_at": timezone.now(),
        },
    )
    return thread


@transaction.atomic
def thread_for_binding(*, binding) -> Thread:
    """The thread of one binding invitation between its agency and its creator, created on
    first use (any status: an invitation declined or withdrawn keeps its conversation)."""
    thread, _created = Thread.objects.get_or_create(
        binding_id=binding.pk,
        defaults={
            "kind": ThreadKind.BINDING,
            "agency_id": binding.agency_id,
            "creator_id": binding.creator_id,
            "created_at": timezone.now(),
        },
    )
    return thread


@transaction.atomic
def thread_direct_open(*, actor: User, creator: User) -> Thread:
    """A merchant's direct thread with a creator (one per pair). Raises MessageRefused."""
    if actor.role != Role.MERCHANT:
        raise MessageRefused(_("只有商家可以从达人主页发起私信。"), code="message.not_merchant")
    if creator.role != Role.CREATOR or not is_admitted(creator):
        raise MessageRefused(_("这位达人当前不能接收私信。"), code="message.creator_unavailable")
    existing = Thread.objects.filter(
        kind=ThreadKind.DIRECT, merchant=actor, creator=creator
    ).first()
    if existing is not None:
        return existing
    if is_blocked(merchant_id=actor.pk, creator_id=creator.pk):
        raise MessageRefused(_("这位达人不接收你的私信。"), code="message.blocked")
    now = timezone.now()
    outreach = not have_worked_together(merchant_id=actor.pk, creator_id=creator.pk)
    if outreach:
        # Two opens at once at N-1: the second waits here, then counts the first's thread.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        _check_outreach_quota(actor, now)
    thread, _created = Thread.objects.get_or_create(
        kind=ThreadKind.DIRECT,
        merchant=actor,
        creator=creator,
        defaults={"created_at": now, "outreach": outreach},
    )
    return thread


def outreach_day(now: datetime) -> tuple[datetime, datetime]:
    """The local (Asia/Shanghai) day around ``now``: its start and the next day's start."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def outreach_used(*, merchant_id: int, now: datetime | None = None) -> int:
    start, end = outreach_day(now or timezone.now())
    return Thread.objects.filter(
        kind=ThreadKind.DIRECT,
        merchant_id=merchant_id,
        outreach=True,
        created_at__gte=start,
        created_at__lt=end,
    ).count()


def _check_outreach_quota(actor: User, now: datetime) -> None:
    limit = settings.CONVERSATIONS_OUTREACH_PER_DAY
    if outreach_used(merchant_id=actor.pk, now=now) >= limit:
        _start, resets = outreach_day(now)
        raise MessageRefused(
            _(
                "今天主动联系新达人的名额（每天 %(n)s 位）已用完，%(at)s（北京时间）恢复。"
                "已合作过的达人不受此限制。"
            )
            % {"n": limit, "at": formats.date_format(resets, "Y-m-d H:i")},
            code="message.outreach_quota",
        )


# ---- mute / block -----------------------------------------------------------------


def is_blocked(*, merchant_id: int, creator_id: int) -> bool:
    return Restriction.objects.filter(
        merchant_id=merchant_id, creator_id=creator_id, kind=RestrictionKind.BLOCK
    ).exists()


def blocked_merchant_ids(creator_user_id: int):
    """The merchants in a block with the creator (its own or an operator's), as a subquery."""
    return Restriction.objects.filter(
        creator_id=creator_user_id, kind=RestrictionKind.BLOCK
    ).values("merchant_id")


def invitation_gate(merchant_user_id: int, creator_user_id: int) -> str | None:
    """The gate cooperation's task_create asks: a blocked merchant cannot invite."""
    if is_blocked(merchant_id=merchant_user_id, creator_id=creator_user_id):
        return _("这位达人不接受你的合作邀请。")
    return None


def _creator_and_merchant(actor: User, merchant: User) -> None:
    if actor.role != Role.CREATOR:
        raise MessageRefused(_("只有达人可以对商家设置免打扰或屏蔽。"), code="restrict.not_creator")
    if merchant.role != Role.MERCHANT:
        raise MessageRefused(_("只能对商家设置免打扰或屏蔽。"), code="restrict.not_merchant")


@transaction.atomic
def restrict(*, actor: User, merchant: User, kind: str) -> Restriction:
    """The creator mutes or blocks ``merchant`` (again: nothing changes)."""
    _creator_and_merchant(actor, merchant)
    if kind not in RestrictionKind.values:
        raise MessageRefused(_("请选择免打扰或屏蔽。"), code="restrict.bad_kind")
    restriction, _created = Restriction.objects.get_or_create(
        creator=actor, merchant=merchant, kind=kind, defaults={"created_at": timezone.now()}
    )
    return restriction


@transaction.atomic
def unrestrict(*, actor: User, merchant: User, kind: str) -> None:
    """The creator lifts its own mute or block; a block an operator decided stays."""
    _creator_and_merchant(actor, merchant)
    qs = Restriction.objects.filter(creator=actor, merchant=merchant, kind=kind)
    if qs.filter(report__isnull=False).exists():
        raise MessageRefused(
            _("这个屏蔽由平台处理举报时设置，不能自行解除。"), code="restrict.by_operator"
        )
    qs.delete()


# ---- reports ----------------------------------------------------------------------


@transaction.atomic
def report_create(*, thread: Thread, actor: User, reason: str, detail: str = "") -> Report:
    """A party of ``thread`` reports it. Raises MessageRefused (bad reason, too long, twice)."""
    if actor.pk not in (thread.party_id, thread.creator_id):
        raise MessageRefused(_("只有会话双方可以举报这个会话。"), code="report.not_party")
    if reason not in ReportReason.values:
        raise MessageRefused(_("请选择举报原因。"), code="report.bad_reason")
    detail = (detail or "").strip()
    if len(detail) > REPORT_DETAIL_MAX:
        raise MessageRefused(
            _("补充说明最多 %(max)s 个字，当前 %(n)s 个字。")
            % {"max": REPORT_DETAIL_MAX, "n": len(detail)},
            code="report.too_long",
        )
    if Report.objects.filter(thread=thread, reporter=actor, status=ReportStatus.OPEN).exists():
        raise MessageRefused(_("你已举报过这个会话，平台正在处理。"), code="report.open")
    try:
        with transaction.atomic():
            return Report.objects.create(
                thread=thread,
                reporter=actor,
                reason=reason,
                detail=detail,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:  # the same report posted twice at once
        raise MessageRefused(_("你已举报过这个会话，平台正在处理。"), code="report.open") from exc


DECIDE_REPORT_PERMISSION = "conversations.decide_report"
DECISIONS = (ReportStatus.DISMISSED, ReportStatus.WARNED, ReportStatus.BLOCKED)


@transaction.atomic
def report_open_thread(*, report: Report, operator: User) -> list[Message]:
    """The reported thread's messages for an operator, recorded (who, which report, when)."""
    ReportAccess.objects.create(report=report, operator=operator, opened_at=timezone.now())
    return list(
        Message.objects.filter(thread_id=report.thread_id).select_related("sender").order_by("id")
    )


@transaction.atomic
def report_decide(*, report_id: int, operator: User, outcome: str, note: str) -> Report:
    """Dismiss, warn, or block the reported party (the pair is blocked), once, with a note."""
    if not operator.has_perm(DECIDE_REPORT_PERMISSION):
        raise MessageRefused(_("你没有处理举报的权限。"), code="report.forbidden")
    report = Report.objects.select_for_update().select_related("thread").get(pk=report_id)
    if report.status != ReportStatus.OPEN:
        raise MessageRefused(_("这个举报已经处理过了。"), code="report.decided")
    if outcome not in DECISIONS:
        raise MessageRefused(_("请选择处理结果。"), code="report.bad_outcome")
    if outcome == ReportStatus.BLOCKED and report.thread.merchant_id is None:
        raise MessageRefused(
            _("屏蔽只适用于商家与达人之间的会话；机构绑定的会话请选择驳回或警告。"),
            code="report.block_not_merchant",
        )
    note = (note or "").strip()
    if not note:
        raise MessageRefused(_("请填写处理说明。"), code="report.no_note")
    now = timezone.now()
    if outcome == ReportStatus.BLOCKED:
        Restriction.objects.get_or_create(
            creator_id=report.thread.creator_id,
            merchant_id=report.thread.merchant_id,
            kind=RestrictionKind.BLOCK,
            defaults={"created_at": now, "report": report},
        )
    report.status = outcome
    report.decided_by = operator
    report.decided_at = now
    report.decision_note = note
    report.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    notices.report_decided(report)
    return report


def clean_body(body: str) -> str:
    """The text as sent, trimmed; raises MessageRefused when empty or too long."""
    body = (body or "").strip()
    if not body:
        raise MessageRefused(_("请输入消息内容。"), code="message.empty")
    if len(body) > BODY_MAX:
        raise MessageRefused(
            _("消息最多 %(max)s 个字，当前 %(n)s 个字。") % {"max": BODY_MAX, "n": len(body)},
            code="message.too_long",
        )
    return body


def _check_rate(actor: User) -> None:
    rate = parse_rate(settings.CONVERSATIONS_SEND_RATE)
    if rate is None:
        return
    wait = hit("conversations.send", str(actor.pk), rate)
    if wait is not None:
        raise MessageRefused(
            _("发送太频繁，请 %(s)s 秒后再试。") % {"s": wait}, code="message.rate_limited"
        )


def _card_product(thread: Thread, actor: User, product_id) -> int | None:
    """A product the sender may attach: a merchant its own, a creator one it sees in 选品广场."""
    if not product_id:
        return None
    from conversations.cards import attachable_products

    found = (
        attachable_products(actor=actor).filter(pk=_as_int(product_id)).values_list("pk", flat=True)
    )
    pk = next(iter(found), None)
    if pk is None:
        raise MessageRefused(_("找不到这个商品，或你不能分享它。"), code="message.bad_product")
    return pk


def _card_task(thread: Thread, actor: User, task_id) -> int | None:
    """A task the thread's two parties share."""
    if not task_id:
        return None
    from conversations.cards import shared_tasks

    found = shared_tasks(merchant_id=thread.merchant_id, creator_id=thread.creator_id).filter(
        pk=_as_int(task_id)
    )
    pk = next(iter(found.values_list("pk", flat=True)), None)
    if pk is None:
        raise MessageRefused(_("只能分享你们双方之间的合作任务。"), code="message.bad_task")
    return pk


def _as_int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _image(thread: Thread, data: bytes | None) -> tuple[str, str]:
    """The picture checked and re-encoded exactly like product images (cooperation.images:
    content check, pixel bound, EXIF dropped, size limit), stored under a fresh name."""
    if data is None:
        return "", ""
    import uuid

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from cooperation.images import process_upload

    try:
        encoded = process_upload(data)
    except DomainError as exc:
        raise MessageRefused(exc.message, code=exc.code) from exc
    stem = f"messages/{thread.pk}/{uuid.uuid4().hex}"
    image = default_storage.save(f"{stem}.jpg", ContentFile(encoded.image))
    thumb = default_storage.save(f"{stem}-thumb.jpg", ContentFile(encoded.thumb))
    return image, thumb


@transaction.atomic
def message_send(
    *,
    thread: Thread,
    actor: User,
    body: str,
    product_id=None,
    task_id=None,
    image: bytes | None = None,
    now: datetime | None = None,
) -> Message:
    """Post a message to ``thread``: text, and optionally a product card, a task card or a
    picture (text may then be empty). Raises MessageRefused (not a writer, empty, too long,
    too fast, a product or task the sender may not share, a file that is not a picture)."""
    if actor.pk not in (thread.party_id, thread.creator_id):
        raise MessageRefused(_("你只能查看这个会话，不能发送消息。"), code="message.read_only")
    if (product_id or task_id) and not thread.cards_allowed:
        raise MessageRefused(
            _("机构绑定的会话不能附商品或任务卡片，可以发文字和图片。"), code="message.no_cards"
        )
    attached = bool(product_id or task_id or image is not None)
    body = clean_body(body) if (body or "").strip() or not attached else ""
    if thread.merchant_id is not None and is_blocked(
        merchant_id=thread.merchant_id, creator_id=thread.creator_id
    ):
        if actor.pk == thread.creator_id:
            raise MessageRefused(
                _("你已屏蔽这个商家，解除屏蔽后才能发送消息。"), code="message.blocked"
            )
        raise MessageRefused(_("这位达人不接收你的消息。"), code="message.blocked")
    card_product = _card_product(thread, actor, product_id)
    card_task = _card_task(thread, actor, task_id)
    _check_rate(actor)
    image_name, thumb_name = _image(thread, image)  # last: nothing is stored when refused
    now = now or timezone.now()
    try:
        message = Message.objects.create(
            thread=thread,
            sender=actor,
            body=body,
            card_product_id=card_product,
            card_task_id=card_task,
            image=image_name,
            thumb=thumb_name,
            created_at=now,
        )
    except Exception:
        _delete_files(image_name, thumb_name)
        raise
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    _read_upto(thread, actor, message.pk, now)
    todos.changed([thread.other_of(actor.pk)])  # 未读消息 on the other side's 待办事项
    return message


def _delete_files(*names: str) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


def _read_upto(thread: Thread, user: User, message_id: int, now: datetime) -> None:
    updated = ThreadRead.objects.filter(thread=thread, user=user).update(
        last_read_id=Greatest(F("last_read_id"), message_id), read_at=now
    )
    if not updated:
        ThreadRead.objects.get_or_create(
            thread=thread, user=user, defaults={"last_read_id": message_id, "read_at": now}
        )


@transaction.atomic
def thread_mark_read(*, thread: Thread, actor: User, upto_id: int) -> None:
    """The member has seen ``thread`` up to message ``upto_id`` (a reader's view marks nothing).

    Pages call it only when there is something new to mark (its 未读消息 to-do moves)."""
    if actor.pk not in (thread.party_id, thread.creator_id) or upto_id <= 0:
        return
    _read_upto(thread, actor, upto_id, timezone.now())
    todos.changed([actor.pk])


# ---- disputes ---------------------------------------------------------------------


def dispute_marked(*, task, dispute, actor: User) -> Message:
    """Mark a dispute's opening in its task's thread (registered with ``hotwave.threads``;
    cooperation's ``dispute_open`` calls it inside its transaction). The opener's statement
    is the message: from here on the thread holds the dispute's statements and evidence.
    Not rate-limited and written even between a blocked pair: the record must be whole."""
    thread = thread_for_task(task=task)
    now = dispute.opened_at
    message = Message.objects.create(
        thread=thread,
        sender=actor,
        kind=MessageKind.DISPUTE_OPENED,
        dispute=dispute,
        body=(dispute.statement or "")[:BODY_MAX],
        created_at=now,
    )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    _read_upto(thread, actor, message.pk, now)
    todos.changed([thread.other_of(actor.pk)])
    return message


@transaction.atomic
def dispute_open_thread(*, dispute, operator: User):
    """The dispute's task thread, all its messages, for an operator, recorded (who, which
    dispute, when). Returns (thread, messages, id of the message that opened the dispute)."""
    thread = thread_for_task(task=dispute.task)
    DisputeAccess.objects.create(
        dispute=dispute, thread=thread, operator=operator, opened_at=timezone.now()
    )
    rows = list(
        Message.objects.filter(thread=thread)
        .select_related("sender__merchant", "sender__creator")
        .order_by("id")
    )
    start = next(
        (m.pk for m in rows if m.kind == MessageKind.DISPUTE_OPENED and m.dispute_id == dispute.pk),
        None,
    )
    if start is None:  # a dispute opened before threads marked them: from its time on
        start = next((m.pk for m in rows if m.created_at >= dispute.opened_at), None)
    return thread, rows, start
