"""The notifications (通知) a cooperation task raises, one function per event.

Called from the task and dispute services inside their transaction (after the
move), through ``notifications.services.notify``: each is keyed by the task
and the event (``task:<pk>:<event>``), so a retried service or a second tick
raises nothing twice.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from cooperation.models import DeadlineKind, Party, Task
from hotwave.money import format_cny
from notifications.kinds import Kind
from notifications.services import notify


def _url(task: Task) -> str:
    return reverse("cooperation:task_detail", args=[task.pk])


def _side(task: Task, party: str) -> int:
    return task.merchant_id if party == Party.MERCHANT else task.creator_id


def _other(party: str) -> str:
    return Party.CREATOR if party == Party.MERCHANT else Party.MERCHANT


def _send(task: Task, kind: str, event: str, *, to: list[str], **context) -> None:
    context.setdefault("task", task.reference)
    for party in dict.fromkeys(to):
        notify(
            recipient=_side(task, party),
            kind=kind,
            key=f"task:{task.pk}:{event}",
            url=_url(task),
            context=context,
        )


def invitation_received(task: Task) -> None:
    _send(
        task,
        Kind.INVITATION_RECEIVED,
        "invited",
        to=[Party.CREATOR],
        merchant=task.merchant.shop_name,
        fee=format_cny(task.slot_fee),
    )


def invitation_answered(task: Task, *, accepted: bool) -> None:
    kind = Kind.INVITATION_ACCEPTED if accepted else Kind.INVITATION_DECLINED
    _send(task, kind, kind, to=[Party.MERCHANT], creator=task.creator.nickname)


def counter_offered(task: Task, offer) -> None:
    _send(
        task,
        Kind.COUNTER_OFFER_RECEIVED,
        "countered",
        to=[Party.MERCHANT],
        creator=task.creator.nickname,
        fee=format_cny(offer.slot_fee),
    )


def counter_answered(task: Task, offer, *, accepted: bool) -> None:
    kind = Kind.COUNTER_OFFER_ACCEPTED if accepted else Kind.COUNTER_OFFER_DECLINED
    _send(
        task,
        kind,
        kind,
        to=[Party.CREATOR],
        merchant=task.merchant.shop_name,
        fee=format_cny(offer.slot_fee),
    )


def invitation_expired(task: Task) -> None:
    _send(task, Kind.INVITATION_EXPIRED, "expired", to=[Party.MERCHANT, Party.CREATOR])


def sample_shipped(task: Task) -> None:
    _send(
        task,
        Kind.SAMPLE_SHIPPED,
        "shipped",
        to=[Party.CREATOR],
        merchant=task.merchant.shop_name,
        tracking=f"{task.sample_carrier} {task.sample_tracking_no}",
    )


def _due(d) -> str:
    return timezone.localtime(d.due_at).strftime("%Y-%m-%d %H:%M")


def deadline_soon(task: Task, d) -> None:
    """The party the stage waits for, 24 h before its deadline."""
    label = DeadlineKind(d.kind).label
    _send(task, Kind.DEADLINE_SOON, f"remind:{d.state}", to=[d.party], deadline=label, due=_due(d))


def deadline_breached(task: Task, d) -> None:
    """Both sides: the one that missed it, and the one that may now act on it."""
    label = DeadlineKind(d.kind).label
    _send(
        task,
        Kind.DEADLINE_BREACHED,
        f"breach:{d.state}",
        to=[d.party, _other(d.party)],
        deadline=label,
        due=_due(d),
    )


def dispute_opened(task: Task, dispute) -> None:
    _send(
        task,
        Kind.DISPUTE_OPENED,
        f"dispute:{dispute.pk}:opened",
        to=[_other(dispute.opened_by)],
        party=Party(dispute.opened_by).label,
    )


def dispute_answered(task: Task, dispute) -> None:
    _send(
        task,
        Kind.DISPUTE_ANSWERED,
        f"dispute:{dispute.pk}:answered",
        to=[dispute.opened_by],
        party=Party(dispute.respondent).label,
    )


def dispute_decided(task: Task, dispute, *, outcome_label) -> None:
    _send(
        task,
        Kind.DISPUTE_DECIDED,
        f"dispute:{dispute.pk}:decided",
        to=[Party.MERCHANT, Party.CREATOR],
        outcome=outcome_label,
    )


# --- promotion plans (推广计划) and sample requests (申样) --------------------------------


def plan_application_answered(application) -> None:
    """The creator hears the merchant's answer to its application to a 定向计划."""
    from cooperation.models import ApplicationStatus

    plan = application.plan
    notify(
        recipient=application.creator_id,
        kind=Kind.PLAN_APPLICATION_ANSWERED,
        key=f"plan_application:{application.pk}:{application.status}:{int(application.applied_at.timestamp())}",
        url=reverse("cooperation:product_plans_for_creator", args=[plan.product_id]),
        context={
            "plan": plan.product.title,
            "answer": ApplicationStatus(application.status).label,
        },
    )


def plan_creator_chosen(application, *, rate) -> None:
    """A merchant added the creator to its 定向计划: the plan's rate applies without applying."""
    from hotwave.formats import format_pct

    plan = application.plan
    notify(
        recipient=application.creator_id,
        kind=Kind.PLAN_CREATOR_CHOSEN,
        key=f"plan_chosen:{application.pk}:{int(application.decided_at.timestamp())}",
        url=reverse("cooperation:product_plans_for_creator", args=[plan.product_id]),
        context={
            "product": plan.product.title,
            "rate": format_pct(rate.rate) if rate is not None else "",
        },
    )


def plan_creator_removed(application, *, old_rate, new_rate) -> int:
    """Taken off a 定向计划's list: the same notice as a rate cut, with its second."""
    from hotwave.formats import format_pct
    from notifications.services import notify_many

    plan = application.plan
    context = {
        "product": plan.product.title,
        "old": format_pct(old_rate),
        "new": format_pct(new_rate),
        "effective": timezone.localtime(application.removed_at).strftime("%Y-%m-%d %H:%M"),
    }
    key = f"plan_removed:{application.pk}:{int(application.removed_at.timestamp())}"
    url = reverse("cooperation:product_plans_for_creator", args=[plan.product_id])
    return notify_many(
        kind=Kind.RATE_CUT_ANNOUNCED, items=[(application.creator_id, key, url, context)]
    )


def sample_request_answered(request) -> None:
    """The creator hears whether its sample request was approved (a task) or declined."""
    from cooperation.models import SampleStatus

    url = (
        reverse("cooperation:task_detail", args=[request.task_id])
        if request.task_id
        else reverse("cooperation:product_plans_for_creator", args=[request.product_id])
    )
    notify(
        recipient=request.creator_id,
        kind=Kind.SAMPLE_REQUEST_ANSWERED,
        key=f"sample_request:{request.pk}:{request.status}",
        url=url,
        context={"product": request.product.title, "answer": SampleStatus(request.status).label},
    )


def rate_cut_announced(row, *, old_rate, creator_ids: list[int]) -> int:
    """Creators carrying the product (带货车 or an open task) hear of a cut before it applies."""
    from hotwave.formats import format_pct
    from notifications.services import notify_many

    plan = row.plan
    url = reverse("cooperation:product_plans_for_creator", args=[plan.product_id])
    context = {
        "product": plan.product.title,
        "old": format_pct(old_rate),
        "new": format_pct(row.rate),
        "effective": timezone.localtime(row.effective_from).strftime("%Y-%m-%d %H:%M"),
    }
    return notify_many(
        kind=Kind.RATE_CUT_ANNOUNCED,
        items=[(uid, f"rate_cut:{row.pk}", url, context) for uid in creator_ids],
    )


def product_rate_cut_announced(product, *, old_rate, creator_ids: list[int]) -> int:
    """A cut of the product's own rate: the same notification as a plan's cut."""
    from hotwave.formats import format_pct
    from notifications.services import notify_many

    url = reverse("cooperation:product_plans_for_creator", args=[product.pk])
    context = {
        "product": product.title,
        "old": format_pct(old_rate),
        "new": format_pct(product.rate_cut_to),
        "effective": timezone.localtime(product.rate_cut_from).strftime("%Y-%m-%d %H:%M"),
    }
    key = f"product_rate_cut:{product.pk}:{int(product.rate_cut_from.timestamp())}"
    return notify_many(
        kind=Kind.RATE_CUT_ANNOUNCED, items=[(uid, key, url, context) for uid in creator_ids]
    )
