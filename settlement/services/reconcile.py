"""Reconciliation: is the ledger whole? Used by ``manage.py reconcile`` and the admin.

Checks, each a few set-based queries:

1. all postings sum to zero;
2. every journal balances;
3. every settled order has exactly one settlement journal, no unsettled order has one,
   and its settlement + clawback postings equal the split of the price they were
   posted on (``settled_refunded``) under the frozen rule;
4. every payout equals its journal's posting to the account;
5. money held in escrow equals the holds still held.

Balances are never cached (they are sums of postings), so there is no cache
to drift; these checks catch anything written around the services.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Subquery

from hotwave.money import ZERO
from settlement.commission import split
from settlement.models import (
    AccountKind,
    EscrowHold,
    EscrowStatus,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
)
from settlement.services.ledger import fen_sum, from_fen_sum


def reconcile(*, chunk_size: int = 5000, limit: int = 50) -> list[str]:
    """Problems found (empty when the ledger is whole); at most ``limit`` per check."""
    problems: list[str] = []

    total = from_fen_sum(Posting.objects.aggregate(s=fen_sum())["s"])
    if total != 0:
        problems.append(f"postings sum to {total:.2f}, not 0.00")

    unbalanced = (
        Posting.objects.values("journal_id")
        .annotate(s=fen_sum())
        .exclude(s=0)
        .values_list("journal_id", "s")[:limit]
    )
    problems += [f"journal {j} does not balance: {from_fen_sum(s):.2f}" for j, s in unbalanced]

    doubled = (
        Journal.objects.filter(kind=JournalKind.SETTLEMENT)
        .values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("order_id", flat=True)[:limit]
    )
    problems += [f"order pk {o} has more than one settlement journal" for o in doubled]
    orphan = Journal.objects.filter(kind=JournalKind.SETTLEMENT).exclude(
        order__status=OrderStatus.SETTLED
    )[:limit]
    problems += [f"journal {j.key} settles an order that is not settled" for j in orphan]
    unposted = (
        Order.objects.filter(status=OrderStatus.SETTLED)
        .exclude(journals__kind=JournalKind.SETTLEMENT)
        .values_list("order_id", flat=True)[:limit]
    )
    problems += [f"order {o} is settled without a settlement journal" for o in unposted]

    problems += _order_parts(chunk_size=chunk_size, limit=limit)

    posted = Posting.objects.filter(
        journal_id=OuterRef("journal_id"), account_id=OuterRef("account_id")
    ).values("amount")[:1]
    bad_payouts = (
        Payout.objects.annotate(posted=Subquery(posted))
        .exclude(posted=F("amount") * -1)
        .values_list("pk", "amount", "posted")[:limit]
    )
    problems += [f"payout {pk} of {a:.2f} posted {p}" for pk, a, p in bad_payouts]

    held = from_fen_sum(
        EscrowHold.objects.filter(status=EscrowStatus.HELD).aggregate(s=fen_sum())["s"]
    )
    in_escrow = from_fen_sum(
        Posting.objects.filter(account__kind=AccountKind.ESCROW).aggregate(s=fen_sum())["s"]
    )
    if held != in_escrow:
        problems.append(f"escrow account holds {in_escrow:.2f} but open holds total {held:.2f}")
    return problems


def _order_parts(*, chunk_size: int, limit: int) -> list[str]:
    problems: list[str] = []
    last = 0
    while len(problems) < limit:
        orders = list(
            Order.objects.filter(status=OrderStatus.SETTLED, id__gt=last)
            .order_by("id")
            .only(
                "id",
                "order_id",
                "amount",
                "settled_refunded",
                "service_fee_rate",
                "rule",
                "agency_share",
            )[:chunk_size]
        )
        if not orders:
            break
        posted: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        rows = (
            Posting.objects.filter(
                journal__order_id__in=[o.pk for o in orders],
                journal__kind__in=[JournalKind.SETTLEMENT, JournalKind.CLAWBACK],
            )
            .values("journal__order_id", "account__kind")
            .annotate(s=fen_sum())
            .values_list("journal__order_id", "account__kind", "s")
        )
        for order_id, kind, s in rows:
            posted[order_id][kind] += from_fen_sum(s)
        for o in orders:
            share = o.agency_share if o.rule == "agency" else None
            want = split(o.amount - o.settled_refunded, o.service_fee_rate, agency_share=share)
            got = posted[o.pk]
            expected = {
                AccountKind.MERCHANT: -want.fee,
                AccountKind.PLATFORM: want.platform,
                AccountKind.AGENCY: want.agency,
                AccountKind.CREATOR: want.creator,
            }
            for kind, amount in expected.items():
                if got[kind] != amount:
                    problems.append(
                        f"order {o.order_id}: {kind} posted {got[kind]:.2f}, rule says {amount:.2f}"
                    )
        last = orders[-1].pk
    return problems[:limit]
