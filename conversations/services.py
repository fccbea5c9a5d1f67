"""Writes of 消息: open a thread (a task's, or a merchant's direct one), send, mark read.

Only the thread's merchant and creator write; the creator's agency may read a
task thread while the creator is bound to it, and never sends. Sending is
rate-limited per user (``CONVERSATIONS_SEND_RATE``, hotwave.ratelimit).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Role, User
from admission.selectors import is_admitted
from conversations.models import BODY_MAX, Message, Thread, ThreadKind, ThreadRead
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
def thread_direct_open(*, actor: User, creator: User) -> Thread:
    """A merchant's direct thread with a creator (one per pair). Raises MessageRefused."""
    if actor.role != Role.MERCHANT:
        raise MessageRefused(_("只有商家可以从达人主页发起私信。"), code="message.not_merchant")
    if creator.role != Role.CREATOR or not is_admitted(creator):
        raise MessageRefused(_("这位达人当前不能接收私信。"), code="message.creator_unavailable")
    thread, _created = Thread.objects.get_or_create(
        kind=ThreadKind.DIRECT,
        merchant=actor,
        creator=creator,
        defaults={"created_at": timezone.now()},
    )
    return thread


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


@transaction.atomic
def message_send(*, thread: Thread, actor: User, body: str, now: datetime | None = None) -> Message:
    """Post a text message to ``thread``. Raises MessageRefused (not a writer, empty, too long, too fast)."""
    if actor.pk not in (thread.merchant_id, thread.creator_id):
        raise MessageRefused(_("你只能查看这个会话，不能发送消息。"), code="message.read_only")
    body = clean_body(body)
    _check_rate(actor)
    now = now or timezone.now()
    message = Message.objects.create(thread=thread, sender=actor, body=body, created_at=now)
    Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
    _read_upto(thread, actor, message.pk, now)
    return message


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
    """The member has seen ``thread`` up to message ``upto_id`` (a reader's view marks nothing)."""
    if actor.pk not in (thread.merchant_id, thread.creator_id) or upto_id <= 0:
        return
    _read_upto(thread, actor, upto_id, timezone.now())
