"""The settlement kernel in Python: one chunk of orders or accounts per transaction.

The SQLite path and the reference the SQL kernel (``rule_sql``) is checked
against: each order's split comes from ``settlement.commission.split``, the
journals and postings are written with ``bulk.insert_rows``. Every chunk
function returns how much it did and the last id it locked, so the run
(``run.run_phase``) carries on after it.
"""

from __future__ import annotations

from collections import namedtuple
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F

from hotwave.money import ZERO, fen
from settlement.commission import AGENCY, Split, split
from settlement.holds import payable_account_ids
from settlement.models import (
    Account,
    AccountKind,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
)
from settlement.services.bulk import insert_rows
from settlement.services.ledger import fen_sum, from_fen_sum, party_accounts, system_account


class PartyAccounts:
    """Per-run cache of ledger accounts, so a chunk costs one query for new parties."""

    def __init__(self):
        self.platform = system_account(AccountKind.PLATFORM)
        self.cache: dict[tuple[str, int], Account] = {}
        self.sql = False  # the set-based kernel: no per-party cache needed
        self.cutoff = None

    def load(self, pairs: set[tuple[str, int]]) -> None:
        missing = pairs - self.cache.keys()
        if missing:
            self.cache.update(party_accounts(missing))
        if len(self.cache) > 200_000:  # keep memory bounded on huge runs
            self.cache = {k: self.cache[k] for k in pairs}

    def __getitem__(self, pair: tuple[str, int]) -> Account:
        return self.cache[pair]


def order_parties(orders) -> set[tuple[str, int]]:
    """The (account kind, user id) of every party of ``orders``."""
    pairs: set[tuple[str, int]] = set()
    for o in orders:
        pairs.add((AccountKind.MERCHANT, o.merchant_id))
        pairs.add((AccountKind.CREATOR, o.creator_id))
        if o.agency_id:
            pairs.add((AccountKind.AGENCY, o.agency_id))
    return pairs


def journal_lines(order, accounts: PartyAccounts, s: Split) -> list[tuple[int, Decimal]]:
    """(account id, amount) for an order's split (or a difference of splits)."""
    lines = [
        (accounts[(AccountKind.MERCHANT, order.merchant_id)].pk, -s.fee),
        (accounts.platform.pk, s.platform),
        (accounts[(AccountKind.CREATOR, order.creator_id)].pk, s.creator),
    ]
    if order.agency_id:
        lines.append((accounts[(AccountKind.AGENCY, order.agency_id)].pk, s.agency))
    elif s.agency:
        raise ValueError(f"order {order.order_id}: agency part without an agency")
    return lines


JOURNAL_COLUMNS = (
    "key",
    "kind",
    "order_id",
    "sequence",
    "business_date",
    "basis_price",
    "memo",
    "created_at",
)


def write_journals(
    journals: list[tuple], lines_by_journal: list[list[tuple[int, Decimal]]]
) -> list[int]:
    """Insert journals (rows of JOURNAL_COLUMNS) and their non-zero postings; return journal ids."""
    ids = insert_rows(Journal, JOURNAL_COLUMNS, journals, with_ids=True)
    insert_rows(
        Posting,
        ("journal_id", "account_id", "amount"),
        [
            (journal_id, account_id, amount)
            for journal_id, lines in zip(ids, lines_by_journal, strict=True)
            for account_id, amount in lines
            if amount != 0
        ],
        with_ids=False,
    )
    return ids


ORDER_FIELDS = (
    "id",
    "order_id",
    "merchant_id",
    "creator_id",
    "agency_id",
    "agency_share",
    "rule",
    "amount",
    "refunded",
    "settled_refunded",
    "service_fee_rate",
)
OrderRow = namedtuple("OrderRow", ORDER_FIELDS)


def lock_order_chunk(qs, *, after_id: int, chunk_size: int) -> list[OrderRow]:
    """The next ``chunk_size`` orders of ``qs`` after ``after_id``, locked, in id order."""
    # FOR UPDATE: a concurrent refund of these orders waits until this chunk commits,
    # and a concurrent run re-checks the status after our commit and skips them.
    rows = (
        qs.select_for_update(of=("self",))
        .filter(id__gt=after_id)
        .order_by("id")
        .values_list(*ORDER_FIELDS)[:chunk_size]
    )
    return [OrderRow(*r) for r in rows]


def frozen_share(order) -> Decimal | None:
    """The agency share frozen on the order at payment (None under the individual rule)."""
    return order.agency_share if order.rule == AGENCY else None


def settle_chunk_python(
    *, cutoff, business_date, after_id, chunk_size, accounts, now
) -> tuple[int, int]:
    """Settle one chunk of confirmed orders in Python (SQLite; the reference); (count, last id)."""
    with transaction.atomic():
        orders = lock_order_chunk(
            Order.objects.filter(status=OrderStatus.CONFIRMED, confirmed_at__lt=cutoff),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(order_parties(orders))
        journals, lines = [], []
        for o in orders:
            price = o.amount - o.refunded
            s = split(price, o.service_fee_rate, agency_share=frozen_share(o))
            journals.append(
                (f"settle:{o.id}", JournalKind.SETTLEMENT, o.id, 0, business_date, price, "", now)
            )
            lines.append(journal_lines(o, accounts, s))
        write_journals(journals, lines)
        # The rows are locked: ``refunded`` is what we just posted on.
        Order.objects.filter(pk__in=[o.id for o in orders]).update(
            status=OrderStatus.SETTLED,
            settled_at=now,
            settled_on=business_date,
            settled_refunded=F("refunded"),
        )
        return len(orders), orders[-1].id


def clawback_chunk_python(*, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Post clawbacks for one chunk of settled orders refunded since, in Python; (count, last id)."""
    with transaction.atomic():
        orders = lock_order_chunk(
            Order.objects.filter(status=OrderStatus.SETTLED, refunded__gt=F("settled_refunded")),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(order_parties(orders))
        done = dict(
            Journal.objects.filter(order_id__in=[o.id for o in orders], kind=JournalKind.CLAWBACK)
            .values("order_id")
            .annotate(n=Count("id"))
            .values_list("order_id", "n")
        )
        journals, lines = [], []
        for o in orders:
            share = frozen_share(o)
            before = split(o.amount - o.settled_refunded, o.service_fee_rate, agency_share=share)
            price = o.amount - o.refunded
            diff = split(price, o.service_fee_rate, agency_share=share) - before
            journals.append(
                (
                    f"clawback:{o.id}:{fen(o.refunded)}",
                    JournalKind.CLAWBACK,
                    o.id,
                    done.get(o.id, 0) + 1,
                    business_date,
                    price,
                    "",
                    now,
                )
            )
            lines.append(journal_lines(o, accounts, diff))
        write_journals(journals, lines)
        Order.objects.filter(pk__in=[o.id for o in orders]).update(settled_refunded=F("refunded"))
        return len(orders), orders[-1].id


def payout_chunk_python(
    *, business_date, after_id, chunk_size, clearing, now
) -> tuple[int, Decimal, int]:
    """Pay out one chunk of positive creator/agency balances in Python; (count, total, last id)."""
    with transaction.atomic():
        # Lock the accounts, then read balances: nothing can post to them meanwhile.
        candidates = list(
            Account.objects.select_for_update()
            .filter(kind__in=[AccountKind.CREATOR, AccountKind.AGENCY], id__gt=after_id)
            .order_by("id")
            .values_list("id", flat=True)[:chunk_size]
        )
        if not candidates:
            return 0, ZERO, after_id
        payable = set(payable_account_ids(candidates))  # the others are held (settlement.holds)
        paid = set(
            Payout.objects.filter(
                account_id__in=candidates, business_date=business_date
            ).values_list("account_id", flat=True)
        )
        sums = (
            Posting.objects.filter(account_id__in=candidates)
            .values("account_id")
            .annotate(s=fen_sum())
            .filter(s__gt=0)
            .values_list("account_id", "s")
        )
        due = [
            (account_id, from_fen_sum(s))
            for account_id, s in sorted(sums)
            if account_id in payable and account_id not in paid
        ]
        if due:
            _write_payouts(due, business_date=business_date, clearing=clearing, now=now)
        return len(due), sum((amount for _, amount in due), ZERO), candidates[-1]


def _write_payouts(due: list[tuple[int, Decimal]], *, business_date, clearing, now) -> None:
    """One payout journal (account → clearing) and one Payout row per (account id, amount)."""
    day = business_date.isoformat()
    ids = write_journals(
        [
            (f"payout:{a}:{day}", JournalKind.PAYOUT, None, 0, business_date, None, "打款", now)
            for a, _ in due
        ],
        [[(a, -amount), (clearing.pk, amount)] for a, amount in due],
    )
    insert_rows(
        Payout,
        ("account_id", "business_date", "amount", "journal_id", "created_at"),
        [
            (a, business_date, amount, journal_id, now)
            for (a, amount), journal_id in zip(due, ids, strict=True)
        ],
        with_ids=False,
    )
