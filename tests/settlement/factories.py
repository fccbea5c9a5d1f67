"""factory-boy factories and helpers for settlement (orders, bindings, events)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory

from settlement.models import Binding, BindingSource, BindingStatus, Order, OrderStatus, Rule
from tests.admission.factories import AgencyFactory, CreatorFactory, MerchantFactory

SH = "+08:00"


def at(text: str) -> datetime:
    """An aware datetime from 'YYYY-MM-DD HH:MM' in Asia/Shanghai (or a full ISO string)."""
    if "T" not in text and "+" not in text:
        text = text.replace(" ", "T") + (":00" if text.count(":") == 1 else "") + SH
    return datetime.fromisoformat(text).astimezone(UTC)


class BindingFactory(factory.django.DjangoModelFactory):
    """An agreement in force (``active``) from ``valid_from``; pass ``valid_to`` to end it."""

    class Meta:
        model = Binding

    creator = factory.SubFactory(CreatorFactory)
    agency = factory.SubFactory(AgencyFactory)
    agency_share = Decimal("0.30")
    status = factory.LazyAttribute(
        lambda o: BindingStatus.ENDED if o.valid_to else BindingStatus.ACTIVE
    )
    source = BindingSource.IMPORT
    valid_from = factory.LazyFunction(lambda: at("2026-01-01 00:00"))
    valid_to = None
    consented_at = factory.SelfAttribute("valid_from")


class OrderFactory(factory.django.DjangoModelFactory):
    """A paid order of an individual creator; use ``bound=binding`` for the agency rule."""

    class Meta:
        model = Order

    class Params:
        bound = None

    order_id = factory.Sequence(lambda n: f"T{100000 + n}")
    merchant = factory.SubFactory(MerchantFactory)
    creator = factory.LazyAttribute(lambda o: o.bound.creator if o.bound else CreatorFactory())
    product_sku = "SKU-1"
    amount = Decimal("100.00")
    refunded = Decimal("0.00")
    service_fee_rate = Decimal("0.2000")
    paid_at = factory.LazyFunction(lambda: at("2026-10-05 20:00"))
    status = OrderStatus.PAID
    rule = factory.LazyAttribute(lambda o: Rule.AGENCY if o.bound else Rule.INDIVIDUAL)
    binding = factory.SelfAttribute("bound")
    agency = factory.LazyAttribute(lambda o: o.bound.agency if o.bound else None)
    agency_share = factory.LazyAttribute(lambda o: o.bound.agency_share if o.bound else None)


def paid(order_id, merchant, creator, amount, rate, when, product="SKU-1") -> dict:
    """An ``order.paid`` event object (usernames or users)."""
    return {
        "type": "order.paid",
        "order_id": order_id,
        "merchant": getattr(merchant, "username", merchant),
        "creator": getattr(creator, "username", creator),
        "product": product,
        "amount": amount,
        "service_fee_rate": rate,
        "at": when,
    }


def confirmed(order_id, when) -> dict:
    return {"type": "order.confirmed", "order_id": order_id, "at": when}


def refunded(order_id, amount, when) -> dict:
    return {"type": "order.refunded", "order_id": order_id, "amount": amount, "at": when}


def started(creator, agency, share, when) -> dict:
    return {
        "type": "binding.started",
        "creator": getattr(creator, "username", creator),
        "agency": getattr(agency, "username", agency),
        "agency_share": share,
        "at": when,
    }


def ended(creator, agency, when) -> dict:
    return {
        "type": "binding.ended",
        "creator": getattr(creator, "username", creator),
        "agency": getattr(agency, "username", agency),
        "at": when,
    }


def payable(*users):
    """Make creators/agencies payable: admitted (signed) with a verified 收款账户.

    SPEC §7: a balance is paid out only to an admitted party with a verified payout
    account; without that it is held (``settlement.holds``). Goes through the services:
    the real-name record is set, the party submits, an operator verifies.
    """
    from admission.models import Role
    from settlement.services.payout_accounts import payout_account_submit, payout_account_verify
    from tests.admission.factories import OperatorFactory, sign_agreement

    operator = OperatorFactory()
    accounts = []
    for user in users:
        sign_agreement(user)
        profile = user.profile
        if not profile.real_name:
            profile.real_name = f"实名{user.username}"
            profile.save(update_fields=["real_name"])
        creator = user.role == Role.CREATOR
        account = payout_account_submit(
            actor=user,
            method="alipay" if creator else "bank",
            holder_name=profile.real_name,
            account_number=f"1{user.pk:010d}"[-11:] if creator else f"6222{user.pk:012d}",
            bank_name="" if creator else "招商银行",
        )
        accounts.append(payout_account_verify(account=account, operator=operator))
    return accounts
