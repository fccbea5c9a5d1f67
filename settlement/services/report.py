"""``ledger_report --json`` (SPEC §6): accounts, orders and the total, streamed.

* accounts: ``"<role>:<username>"`` for parties, ``"platform"`` (and the
  system accounts ``escrow`` and ``payouts``): ``earned`` = net of settlement
  and clawback postings, ``paid_out`` = payouts not reversed, ``balance`` = all postings;
* orders: the split of the current price under the frozen rule, and whether
  the order is settled;
* total: the sum of all postings (always 0.00).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import TextIO

from hotwave.money import ZERO
from settlement.commission import split_for_order
from settlement.models import (
    Account,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    PayoutStatus,
    Posting,
)
from settlement.services.ledger import fen_sum, from_fen_sum

EARNING_KINDS = (JournalKind.SETTLEMENT, JournalKind.CLAWBACK)


def _m(value: Decimal) -> str:
    return f"{value:.2f}"


def account_figures() -> dict[str, dict[str, str]]:
    """{name: {"earned", "paid_out", "balance"}} for every account, in three grouped queries."""
    names = {
        a.pk: a.name
        for a in Account.objects.select_related("user").order_by("kind", "user__username")
    }
    earned: dict[int, Decimal] = defaultdict(lambda: ZERO)
    bal: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = (
        Posting.objects.values("account_id", "journal__kind")
        .annotate(s=fen_sum())
        .values_list("account_id", "journal__kind", "s")
    )
    for account_id, kind, s in rows:
        s = from_fen_sum(s)
        bal[account_id] += s
        if kind in EARNING_KINDS:
            earned[account_id] += s
    # Payouts made and not reversed: a failed item (失败) was returned to the balance.
    paid = {
        account_id: from_fen_sum(s)
        for account_id, s in Payout.objects.exclude(status=PayoutStatus.FAILED)
        .values("account_id")
        .annotate(s=fen_sum())
        .values_list("account_id", "s")
    }
    return {
        name: {
            "earned": _m(earned[pk]),
            "paid_out": _m(paid.get(pk, ZERO)),
            "balance": _m(bal[pk]),
        }
        for pk, name in names.items()
    }


def total() -> Decimal:
    return from_fen_sum(Posting.objects.aggregate(s=fen_sum())["s"])


def write_json(out: TextIO, *, chunk_size: int = 5000) -> None:
    """Write the report as one JSON object, streaming orders so memory stays flat."""
    out.write('{"accounts": ')
    out.write(json.dumps(account_figures(), ensure_ascii=False))
    out.write(', "orders": {')
    first = True
    last = 0
    fields = (
        "id",
        "order_id",
        "amount",
        "refunded",
        "service_fee_rate",
        "rule",
        "agency_share",
        "status",
    )
    while True:
        chunk = list(Order.objects.filter(id__gt=last).order_by("id").only(*fields)[:chunk_size])
        if not chunk:
            break
        for o in chunk:
            s = split_for_order(o)
            entry = {
                "fee": _m(s.fee),
                "platform": _m(s.platform),
                "agency": _m(s.agency),
                "creator": _m(s.creator),
                "rule": o.rule,
                "settled": o.status == OrderStatus.SETTLED,
            }
            out.write(("" if first else ", ") + json.dumps(o.order_id, ensure_ascii=False) + ": ")
            out.write(json.dumps(entry))
            first = False
        last = chunk[-1].pk
    out.write('}, "total": ' + json.dumps(_m(total())) + "}\n")
