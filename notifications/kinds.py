"""Every kind of notification: its label, what it says, and how it is delivered by default.

A kind is raised by the service where its event happens, through
``notifications.services.notify``; ``context`` carries the names and amounts
the message interpolates (strings only: it is stored as JSON and rendered in
the reader's language when shown or mailed).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    INVITATION_RECEIVED = "invitation_received", _("收到合作邀请")
    INVITATION_ACCEPTED = "invitation_accepted", _("邀请已接受")
    INVITATION_DECLINED = "invitation_declined", _("邀请被拒绝")
    INVITATION_EXPIRED = "invitation_expired", _("邀请已过期")
    SAMPLE_SHIPPED = "sample_shipped", _("样品已寄出")
    DEADLINE_SOON = "deadline_soon", _("期限将至")
    DEADLINE_BREACHED = "deadline_breached", _("期限已逾期")
    DISPUTE_OPENED = "dispute_opened", _("争议已发起")
    DISPUTE_ANSWERED = "dispute_answered", _("争议已答复")
    DISPUTE_DECIDED = "dispute_decided", _("争议已裁决")
    BINDING_INVITED = "binding_invited", _("收到机构绑定邀请")
    BINDING_ACCEPTED = "binding_accepted", _("机构绑定已接受")
    BINDING_ENDED = "binding_ended", _("机构绑定已解除")
    ADMISSION_CHANGED = "admission_changed", _("准入状态变化")
    PAYOUT_HELD = "payout_held", _("结算款暂缓打款")
    # Raised by features being built alongside (registered so labels and
    # preferences exist; docs/NOTIFICATIONS.md says how to raise them).
    PLAN_APPLICATION_ANSWERED = "plan_application_answered", _("推广计划申请有答复")
    SAMPLE_REQUEST_ANSWERED = "sample_request_answered", _("样品申请有答复")
    RATE_CUT_ANNOUNCED = "rate_cut_announced", _("佣金率下调公告")
    PLAN_CREATOR_CHOSEN = "plan_creator_chosen", _("被商家加入定向计划")
    PAYOUT_MADE = "payout_made", _("结算款已打款")
    PAYOUT_FAILED = "payout_failed", _("打款失败")
    COUNTER_OFFER_RECEIVED = "counter_offer_received", _("收到议价")
    COUNTER_OFFER_ACCEPTED = "counter_offer_accepted", _("议价已接受")
    COUNTER_OFFER_DECLINED = "counter_offer_declined", _("议价被拒绝")
    REPORT_DECIDED = "report_decided", _("举报已处理")


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("仅站内")
    EMAIL = "email", _("即时邮件")
    DIGEST = "digest", _("每日摘要")


@dataclass(frozen=True)
class KindInfo:
    message: Promise  # a %-format over the context's keys
    default: str  # a Delivery


# What each kind says. Unknown keys in a message are an error caught by the tests
# (every kind is rendered with the context its event gives).
KINDS: dict[str, KindInfo] = {
    Kind.INVITATION_RECEIVED: KindInfo(
        _("商家「%(merchant)s」邀请你合作（%(task)s），坑位费 %(fee)s。"), Delivery.EMAIL
    ),
    Kind.INVITATION_ACCEPTED: KindInfo(
        _("达人「%(creator)s」接受了你的合作邀请（%(task)s）。"), Delivery.EMAIL
    ),
    Kind.INVITATION_DECLINED: KindInfo(
        _("达人「%(creator)s」拒绝了你的合作邀请（%(task)s）。"), Delivery.DIGEST
    ),
    Kind.INVITATION_EXPIRED: KindInfo(
        _("合作邀请（%(task)s）72 小时未答复，已过期。"), Delivery.DIGEST
    ),
    Kind.SAMPLE_SHIPPED: KindInfo(
        _("商家「%(merchant)s」已寄出样品（%(task)s）：%(tracking)s。"), Delivery.EMAIL
    ),
    Kind.DEADLINE_SOON: KindInfo(
        _("任务 %(task)s 的「%(deadline)s」将于 %(due)s 到期。"), Delivery.EMAIL
    ),
    Kind.DEADLINE_BREACHED: KindInfo(
        _("任务 %(task)s 的「%(deadline)s」已于 %(due)s 逾期。"), Delivery.EMAIL
    ),
    Kind.DISPUTE_OPENED: KindInfo(
        _("%(party)s对任务 %(task)s 发起了争议，请在期限内答复。"), Delivery.EMAIL
    ),
    Kind.DISPUTE_ANSWERED: KindInfo(_("%(party)s答复了任务 %(task)s 的争议。"), Delivery.EMAIL),
    Kind.DISPUTE_DECIDED: KindInfo(_("任务 %(task)s 的争议已裁决：%(outcome)s。"), Delivery.EMAIL),
    Kind.BINDING_INVITED: KindInfo(
        _("机构「%(agency)s」邀请你绑定，机构分成 %(share)s。"), Delivery.EMAIL
    ),
    Kind.BINDING_ACCEPTED: KindInfo(_("达人「%(creator)s」接受了你的绑定邀请。"), Delivery.EMAIL),
    Kind.BINDING_ENDED: KindInfo(_("你与「%(other)s」的机构绑定已解除。"), Delivery.EMAIL),
    Kind.ADMISSION_CHANGED: KindInfo(_("你的准入状态已变为「%(verdict)s」。"), Delivery.EMAIL),
    Kind.PAYOUT_HELD: KindInfo(_("你的结算款 %(amount)s 暂缓打款：%(reasons)s"), Delivery.EMAIL),
    Kind.PLAN_APPLICATION_ANSWERED: KindInfo(
        _("你对推广计划「%(plan)s」的申请：%(answer)s。"), Delivery.EMAIL
    ),
    Kind.SAMPLE_REQUEST_ANSWERED: KindInfo(
        _("你对「%(product)s」的样品申请：%(answer)s。"), Delivery.EMAIL
    ),
    Kind.RATE_CUT_ANNOUNCED: KindInfo(
        _("「%(product)s」的佣金率将于 %(effective)s 由 %(old)s 调为 %(new)s。"), Delivery.EMAIL
    ),
    Kind.PLAN_CREATOR_CHOSEN: KindInfo(
        _("商家把你加入了「%(product)s」的定向计划：服务费率 %(rate)s，无需申请。"), Delivery.EMAIL
    ),
    Kind.PAYOUT_MADE: KindInfo(_("结算款 %(amount)s 已打款到你的收款账户。"), Delivery.DIGEST),
    Kind.PAYOUT_FAILED: KindInfo(_("结算款 %(amount)s 打款失败：%(reason)s"), Delivery.EMAIL),
    Kind.COUNTER_OFFER_RECEIVED: KindInfo(
        _("达人「%(creator)s」对合作邀请（%(task)s）提出议价：坑位费 %(fee)s，请接受或拒绝。"),
        Delivery.EMAIL,
    ),
    Kind.COUNTER_OFFER_ACCEPTED: KindInfo(
        _("商家「%(merchant)s」接受了你对 %(task)s 的议价，坑位费 %(fee)s。"), Delivery.EMAIL
    ),
    Kind.COUNTER_OFFER_DECLINED: KindInfo(
        _("商家「%(merchant)s」拒绝了你对 %(task)s 的议价，邀请已结束。"), Delivery.EMAIL
    ),
    Kind.REPORT_DECIDED: KindInfo(
        _("你对与「%(other)s」的会话的举报已处理：%(outcome)s。"), Delivery.EMAIL
    ),
}
assert set(KINDS) == set(Kind.values)


def _shown(context: dict) -> dict:
    # Values are stored as their Chinese msgids (labels) or as names and amounts;
    # gettext turns a label into the reader's language and leaves a name as it is.
    # A value of several labels (one per line) is translated line by line.
    return {
        key: " ".join(gettext(line) for line in str(value).split("\n")) if value else ""
        for key, value in context.items()
    }


def render(kind: str, context: dict) -> str:
    """What a notification says, in the active language (context values are shown as given)."""
    info = KINDS.get(kind)
    if info is None:
        return str(kind)
    try:
        return str(info.message) % _shown(context)
    except (KeyError, TypeError, ValueError):
        return str(Kind(kind).label)


def render_html(kind: str, context: dict):
    """``render`` for a page: our words escaped, each value marked as the parties' own
    (``data-user-content``: names and titles stay in the language they were typed in)."""
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe

    info = KINDS.get(kind)
    if info is None:
        return escape(kind)
    marked = {
        key: format_html("<span data-user-content>{}</span>", value) if value else ""
        for key, value in _shown(context).items()
    }
    try:
        return mark_safe(escape(str(info.message)) % marked)  # noqa: S308 - escaped above
    except (KeyError, TypeError, ValueError):
        return escape(Kind(kind).label)
