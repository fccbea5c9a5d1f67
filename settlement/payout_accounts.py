"""Reads of payout accounts (收款账户), scoped to the party asking."""

from __future__ import annotations

from django.db.models import QuerySet

from settlement.models import CURRENT_PAYOUT_ACCOUNT, PayoutAccount


def current_payout_account_of(*, actor) -> PayoutAccount | None:
    """The party's current account (待核实 or 已核实), or None."""
    return PayoutAccount.objects.filter(user=actor, status__in=CURRENT_PAYOUT_ACCOUNT).first()


def payout_account_history_of(*, actor, limit: int = 10) -> QuerySet[PayoutAccount]:
    """The party's accounts, newest first (current, replaced, rejected)."""
    return PayoutAccount.objects.filter(user=actor).order_by("-submitted_at", "-id")[:limit]
