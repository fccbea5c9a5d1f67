"""The payment-provider interface merchants top up through (充值).

A provider takes money from a merchant for Hotwave and tells us when it arrived.
``settlement.services.funding.top_up_request`` creates the 待到账 top-up and calls
:meth:`PaymentProvider.start_top_up`; the reply either confirms it at once
(``confirmed=True``: the top-up is credited in the same transaction) or gives the
provider's reference, and the provider's later notification (a webhook or a
polled status) calls ``funding.top_up_confirm(provider=…, reference=…)`` or
``funding.top_up_fail(…)``. Both are idempotent, so a notification delivered
twice credits once.

``HOTWAVE_PAYMENT_PROVIDER`` names the class. ``InstantProvider`` confirms every
top-up at once (``make demo`` and the tests); ``NoProvider`` refuses them (the
default without DEBUG, so production never credits money that did not arrive).
See docs/PAYOUTS.md, "Money in".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ProviderReply:
    """What the provider says when a top-up starts."""

    reference: str  # the provider's id for the payment (unique per provider)
    confirmed: bool = False  # the money has already arrived
    failure_reason: str = ""  # refused at once (the top-up is marked 失败)


class PaymentProvider:
    """Base class: a real provider overrides :meth:`start_top_up`."""

    name = "base"

    def start_top_up(self, *, top_up_id: int, amount: Decimal, merchant: str) -> ProviderReply:
        raise NotImplementedError


class InstantProvider(PaymentProvider):
    """Confirms every top-up at once: for ``make demo`` and the tests."""

    name = "instant"

    def start_top_up(self, *, top_up_id: int, amount: Decimal, merchant: str) -> ProviderReply:
        return ProviderReply(reference=f"INSTANT-{top_up_id:08d}", confirmed=True)


class NoProvider(PaymentProvider):
    """No provider configured: every top-up is refused with a reason."""

    name = "none"

    def start_top_up(self, *, top_up_id: int, amount: Decimal, merchant: str) -> ProviderReply:
        return ProviderReply(reference="", failure_reason=_("充值通道尚未开通，请联系平台运营。"))


@cache
def _provider_class(path: str) -> type[PaymentProvider]:
    return import_string(path)


def payment_provider() -> PaymentProvider:
    """The configured provider (``HOTWAVE_PAYMENT_PROVIDER``)."""
    return _provider_class(settings.HOTWAVE_PAYMENT_PROVIDER)()
