"""Nightly settlement (SPEC §4): settle confirmed orders, claw back refunds, pay out balances.

``settle_through(business_date=D)`` is what ``manage.py settle --through D``
and the Celery beat task (for yesterday) both call. It:

1. settles every confirmed, unsettled order confirmed before the end of D
   (Asia/Shanghai): one ``settlement`` journal per order — the merchant pays
   the fee, the platform, agency and creator are credited under the rule
   frozen at payment, on the price as it stands (refunds so far included);
2. claws back refunds that arrived after an order was settled: the split is
   recomputed on the new price under the same frozen rule and share and the
   *difference* is posted as a ``clawback`` journal — nothing is edited;
3. pays out every creator's and agency's positive balance (one payout per
   account per business day); a negative balance is carried.

Idempotency: journal keys (``settle:<order>``, ``clawback:<order>:<refunded
fen>``, ``payout:<account>:<day>``) and (order, kind, sequence) are unique,
and each order moves ``confirmed → settled`` in the same transaction as its
journal, so a second run — or a run resumed after a crash — finds nothing
left to do. On Postgres, runs are also serialised by an advisory lock so two
runs at the same moment don't interleave their payouts; rows are locked
``FOR UPDATE`` per chunk so concurrent refunds wait. Work is done in chunks
of ``chunk_size`` orders, each committed on its own, so memory stays flat and
a missed night is simply caught up by the next run.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from hotwave.money import ZERO, fen
from settlement.commission import AGENCY, Split, split
from settlement.models import (
    Account,
    AccountKind,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
    RunStatus,
    SettlementRun,
)
from settlement.services.bulk import insert_rows
from settlement.services.ledger import (
    day_end,
    fen_sum,
    from_fen_sum,
    party_accounts,
    system_account,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
_LOCK_ID = 0x48575345  # "HWSE": one advisory lock for all settlement runs


@dataclass
class RunSummary:
    business_date: date
    orders_settled: int = 0
    clawbacks: int = 0
    payouts: int = 0
    payout_total: Decimal = ZERO

    def __str__(self) -> str:
        return (
            f"settled through {self.business_date}: {self.orders_settled} orders settled, "
            f"{self.clawbacks} clawbacks, {self.payouts} payouts totalling {self.payout_total:.2f}"
        )


@contextmanager
def _run_lock():
    """Serialise settlement runs (Postgres session advisory lock; released if the process dies)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_ID])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])


class _Accounts:
    """Per-run cache of ledger accounts, so a chunk costs one query for new parties."""

    def __init__(self):
        self.platform = system_account(AccountKind.PLATFORM)
        self.cache: dict[tuple[str, int], Account] = {}

    def load(self, pairs: set[tuple[str, int]]) -> None:
        missing = pairs - self.cache.keys()
        if missing:
            self.cache.update(party_accounts(missing))
        if len(self.cache) > 200_000:  # keep memory bounded on huge runs
            self.cache = {k: self.cache[k] for k in pairs}

    def __getitem__(self, pair: tuple[str, int]) -> Account:
        return self.cache[pair]


def _order_pairs(orders) -> set[tuple[str, int]]:
    pairs: set[tuple[str, int]] = set()
    for o in orders:
        pairs.add((AccountKind.MERCHANT, o.merchant_id))
        pairs.add((AccountKind.CREATOR, o.creator_id))
        if o.agency_id:
            pairs.add((AccountKind.AGENCY, o.agency_id))
    return pairs


def _lines(order, accounts: _Accounts, s: Split) -> list[tuple[int, Decimal]]:
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


_JOURNAL_COLUMNS = (
    "key",
    "kind",
    "order_id",
    "sequence",
    "business_date",
    "basis_price",
    "memo",
    "created_at",
)


def _write(journals: list[tuple], lines_by_journal: list[list[tuple[int, Decimal]]]) -> list[int]:
    """Insert journals (rows of _JOURNAL_COLUMNS) and their non-zero postings; return journal ids."""
    ids = insert_rows(Journal, _JOURNAL_COLUMNS, journals, with_ids=True)
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


_ORDER_FIELDS = (
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
_Row = namedtuple("_Row", _ORDER_FIELDS)


def _locked_orders(qs, *, after_id: int, chunk_size: int) -> list[_Row]:
    # FOR UPDATE: a concurrent refund of these orders waits until this chunk commits,
    # and a concurrent run re-checks the status after our commit and skips them.
    rows = (
        qs.select_for_update(of=("self",))
        .filter(id__gt=after_id)
        .order_by("id")
        .values_list(*_ORDER_FIELDS)[:chunk_size]
    )
    return [_Row(*r) for r in rows]


def _share(order) -> Decimal | None:
    return order.agency_share if order.rule == AGENCY else None


def _settle_chunk(*, cutoff, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Settle one chunk of confirmed orders; returns (count, last id)."""
    with transaction.atomic():
        orders = _locked_orders(
            Order.objects.filter(status=OrderStatus.CONFIRMED, confirmed_at__lt=cutoff),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(_order_pairs(orders))
        journals, lines = [], []
        for o in orders:
            price = o.amount - o.refunded
            s = split(price, o.service_fee_rate, agency_share=_share(o))
            journals.append(
                (f"settle:{o.id}", JournalKind.SETTLEMENT, o.id, 0, business_date, price, "", now)
            )
            lines.append(_lines(o, accounts, s))
        _write(journals, lines)
        # The rows are locked: ``refunded`` is what we just posted on.
        Order.objects.filter(pk__in=[o.id for o in orders]).update(
            status=OrderStatus.SETTLED,
            settled_at=now,
            settled_on=business_date,
            settled_refunded=F("refunded"),
        )
        return len(orders), orders[-1].id


def _clawback_chunk(*, business_date, after_id, chunk_size, accounts, now) -> tuple[int, int]:
    """Post clawbacks for one chunk of settled orders refunded since; returns (count, last id)."""
    with transaction.atomic():
        orders = _locked_orders(
            Order.objects.filter(status=OrderStatus.SETTLED, refunded__gt=F("settled_refunded")),
            after_id=after_id,
            chunk_size=chunk_size,
        )
        if not orders:
            return 0, after_id
        accounts.load(_order_pairs(orders))
        done = dict(
            Journal.objects.filter(order_id__in=[o.id for o in orders], kind=JournalKind.CLAWBACK)
            .values("order_id")
            .annotate(n=Count("id"))
            .values_list("order_id", "n")
        )
        journals, lines = [], []
        for o in orders:
            share = _share(o)
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
            lines.append(_lines(o, accounts, diff))
        _write(journals, lines)
        Order.objects.filter(pk__in=[o.id for o in orders]).update(settled_refunded=F("refunded"))
        return len(orders), orders[-1].id


def _payout_chunk(
    *, business_date, after_id, chunk_size, clearing, now
) -> tuple[int, Decimal, int]:
    """Pay out one chunk of positive creator/agency balances; returns (count, total, last id)."""
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
            if account_id not in paid
        ]
        if due:
            day = business_date.isoformat()
            ids = _write(
                [
                    (
                        f"payout:{a}:{day}",
                        JournalKind.PAYOUT,
                        None,
                        0,
                        business_date,
                        None,
                        "打款",
                        now,
                    )
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
        return len(due), sum((amount for _, amount in due), ZERO), candidates[-1]


def settle_through(
    *, business_date: date, chunk_size: int = CHUNK_SIZE, now: datetime | None = None
) -> RunSummary:
    """Settle, claw back and pay out everything up to the end of ``business_date``. Idempotent."""
    summary = RunSummary(business_date=business_date)
    with _run_lock():
        now = now or timezone.now()
        run, _ = SettlementRun.objects.get_or_create(business_date=business_date)
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, error=""
        )
        try:
            accounts = _Accounts()
            cutoff = day_end(business_date)
            last = 0
            while True:
                n, last = _settle_chunk(
                    cutoff=cutoff,
                    business_date=business_date,
                    after_id=last,
                    chunk_size=chunk_size,
                    accounts=accounts,
                    now=now,
                )
                if not n:
                    break
                summary.orders_settled += n
            last = 0
            while True:
                n, last = _clawback_chunk(
                    business_date=business_date,
                    after_id=last,
                    chunk_size=chunk_size,
                    accounts=accounts,
                    now=now,
                )
                if not n:
                    break
                summary.clawbacks += n
            clearing = system_account(AccountKind.PAYOUTS)
            last = 0
            while True:
                before = last
                n, total, last = _payout_chunk(
                    business_date=business_date,
                    after_id=last,
                    chunk_size=chunk_size,
                    clearing=clearing,
                    now=now,
                )
                if last == before:
                    break
                summary.payouts += n
                summary.payout_total += total
        except Exception as exc:
            SettlementRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
            )
            logger.exception("settlement run for %s failed", business_date)
            raise
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            orders_settled=F("orders_settled") + summary.orders_settled,
            clawbacks=F("clawbacks") + summary.clawbacks,
            payouts=F("payouts") + summary.payouts,
            payout_total=F("payout_total") + summary.payout_total,
            finished_at=timezone.now(),
        )
    logger.info("%s", summary)
    return summary
