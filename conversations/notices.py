"""The notifications (通知) 消息 raises: the reporter is told the operator's decision."""

from __future__ import annotations

from django.urls import reverse

from conversations.models import ReportStatus
from notifications.kinds import Kind
from notifications.services import notify


def report_decided(report) -> None:
    thread = report.thread
    other_id = thread.other_of(report.reporter_id)
    if other_id == thread.merchant_id:
        other = thread.merchant.merchant.shop_name
    elif thread.agency_id is not None and other_id == thread.agency_id:
        other = thread.agency.agency.name
    else:
        other = thread.creator.creator.nickname
    notify(
        recipient=report.reporter_id,
        kind=Kind.REPORT_DECIDED,
        key=f"report:{report.pk}:decided",
        url=reverse("conversations:thread", args=[thread.pk]),
        # The outcome as its Chinese label: shown in the reader's language.
        context={"other": other, "outcome": ReportStatus(report.status).label},
    )
