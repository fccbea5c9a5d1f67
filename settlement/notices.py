"""The notifications (通知) settlement raises: agency bindings and held payouts.

Keyed by the binding (``binding:<pk>:<event>``) or by the party and business
day (``payout_held:<month>``, per recipient): raised again, nothing new is written.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from hotwave.money import format_cny
from notifications.kinds import Kind
from notifications.services import notify, notify_many


def _binding_url(binding) -> str:
    return reverse("settlement:binding_detail", args=[binding.pk])


def _percent(share) -> str:
    text = format(share * 100, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def binding_invited(binding) -> None:
    notify(
        recipient=binding.creator_id,
        kind=Kind.BINDING_INVITED,
        key=f"binding:{binding.pk}:invited",
        url=_binding_url(binding),
        context={"agency": binding.agency.name, "share": _percent(binding.agency_share)},
    )


def binding_accepted(binding) -> None:
    notify(
        recipient=binding.agency_id,
        kind=Kind.BINDING_ACCEPTED,
        key=f"binding:{binding.pk}:accepted",
        url=_binding_url(binding),
        context={"creator": binding.creator.nickname},
    )


def binding_ended(binding, *, actor) -> None:
    """The side that did not end it."""
    if actor.pk == binding.creator_id:
        recipient, other = binding.agency_id, binding.creator.nickname
    else:
        recipient, other = binding.creator_id, binding.agency.name
    notify(
        recipient=recipient,
        kind=Kind.BINDING_ENDED,
        key=f"binding:{binding.pk}:ended",
        url=_binding_url(binding),
        context={"other": other},
    )


def payouts_held(*, business_date: date) -> int:
    """After a run: every creator/agency whose positive balance was held; once a month each.

    The nightly run finds the same hold every night until its reason is gone: a
    reminder a month (keyed by the business month) says it without a mail a day.
    """
    from settlement.holds import held_balances

    url = reverse("settlement:fund_account")
    month = business_date.strftime("%Y-%m")
    return notify_many(
        kind=Kind.PAYOUT_HELD,
        items=[
            (
                user_id,
                f"payout_held:{month}",
                url,
                {"amount": format_cny(amount), "reasons": "\n".join(reasons)},
            )
            for user_id, amount, reasons in held_balances()
        ],
    )


def payout_result(item) -> None:
    """A payout item's result from the provider's file: 已到账 or 失败 (with the reason)."""
    from settlement.models import PayoutStatus

    made = item.status == PayoutStatus.PAID
    context = {"amount": format_cny(item.amount)}
    if not made:
        context["reason"] = item.failure_reason
    notify(
        recipient=item.account.user_id,
        kind=Kind.PAYOUT_MADE if made else Kind.PAYOUT_FAILED,
        key=f"payout_item:{item.pk}:{item.status}",
        url=reverse("settlement:fund_account"),
        context=context,
    )
