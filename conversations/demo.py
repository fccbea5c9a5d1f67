"""Demo data for 消息: talk on a few demo tasks, one direct thread and one binding
invitation's thread (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from admission.models import User
from conversations.models import (
    Message,
    Report,
    ReportReason,
    Restriction,
    RestrictionKind,
    Thread,
    ThreadKind,
)
from conversations.services import thread_for_binding, thread_for_task, thread_mark_read
from cooperation.selectors.tasks import have_worked_together, tasks_for
from settlement.selectors.bindings import bindings_for

TASK_TALK = (
    ("merchant", "您好，样品已经打包好，今天下午顺丰寄出，地址还是杭州那个吗？"),
    ("creator", "是的，地址没变。收到后我先拍个开箱视频给你看看。"),
    ("merchant", "好的。直播脚本我放在这里了 https://docs.example.com/script/88 ，主推第二款。"),
    ("creator", "收到，周五晚 8 点开播，我会提前半小时预热。"),
)
DIRECT_TALK = (
    ("merchant", "你好！看了你最近的家居专场，想邀请你试用我们的新款收纳盒，方便聊聊吗？"),
    ("creator", "可以的，先发一下产品资料和佣金比例吧。"),
    ("merchant", "加我微信 hw_tmall88 细聊吧，平台外结算更划算。"),
)

BINDING_TALK = (
    ("agency", "你好！邀请里写的是 30% 分成，开播前的选品和脚本由我们机构帮你准备。"),
    ("creator", "谢谢，我先看一下分成预览，有问题再来问。"),
)


def _talk(thread: Thread, lines, *, start) -> None:
    if Message.objects.filter(thread=thread).exists():
        return
    last = None
    for i, (side, body) in enumerate(lines):
        sender_id = thread.creator_id if side == "creator" else thread.party_id
        last = Message.objects.create(
            thread=thread,
            sender_id=sender_id,
            body=body,
            created_at=start + timedelta(minutes=7 * i),
        )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=last.created_at)
    # The merchant (agency) has read everything; the creator's last message waits for it.
    party = thread.merchant if thread.merchant_id else thread.agency
    thread_mark_read(thread=thread, actor=party, upto_id=last.pk - 1)
    thread_mark_read(thread=thread, actor=thread.creator, upto_id=last.pk)


def seed(*, users_only: bool, context: dict) -> None:
    if users_only:
        return
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    merchant, tmall = users.get("demo_merchant"), users.get("demo_tmall")
    creator, streamer = users.get("demo_creator"), users.get("demo_streamer")
    if not (merchant and tmall and creator and streamer):
        return
    start = timezone.now() - timedelta(hours=5)
    for task in list(
        tasks_for(actor=merchant).filter(creator_id__in=[creator.pk, streamer.pk])[:3]
    ):
        _talk(thread_for_task(task=task), TASK_TALK, start=start)
        start += timedelta(hours=1)
    direct, _ = Thread.objects.get_or_create(
        kind=ThreadKind.DIRECT,
        merchant=tmall,
        creator=creator,
        defaults={
            "created_at": start,
            "outreach": not have_worked_together(merchant_id=tmall.pk, creator_id=creator.pk),
        },
    )
    _talk(direct, DIRECT_TALK, start=start)
    # The creator reported the push off the platform; it waits in the operators' queue.
    Report.objects.get_or_create(
        thread=direct,
        reporter=creator,
        defaults={
            "reason": ReportReason.FRAUD,
            "detail": "商家要求加微信，在平台外结算。",
            "created_at": start + timedelta(minutes=30),
        },
    )
    # Another creator keeps the Tmall shop's threads out of its unread count.
    Restriction.objects.get_or_create(
        creator=streamer,
        merchant=tmall,
        kind=RestrictionKind.MUTE,
        defaults={"created_at": start},
    )
    # The demo agency and the streamer it is bound to talk about the invitation.
    agency = users.get("demo_agency")
    binding = (
        bindings_for(actor=streamer).filter(agency_id=agency.pk).order_by("pk").first()
        if agency
        else None
    )
    if binding is not None:
        _talk(thread_for_binding(binding=binding), BINDING_TALK, start=start)


def summary(*, users_only: bool) -> list[str]:
    if users_only:
        return []
    return [
        f"{Thread.objects.count()} conversations, {Message.objects.count()} messages, "
        f"{Report.objects.count()} reported, {Restriction.objects.count()} mutes/blocks"
    ]
