"""The double-entry ledger: accounts, balanced journals, balances.

Amounts are signed from the holder's side (positive = owed to the holder).
A journal is posted once per ``key``; posting the same key again returns None
and writes nothing. Postings are append-only (database triggers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Sum
from django.db.models.functions import Round
from django.utils import timezone

from hotwave.money import FEN, ZERO, quantize
from settlement.models import Account, AccountKind, Journal, Order, Posting

SHANGHAI = ZoneInfo("Asia/Shanghai")

ROLE_KIND = {
    "merchant": AccountKind.MERCHANT,
    "creator": AccountKind.CREATOR,
    "agency": AccountKind.AGENCY,
}


def business_date_of(at: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware datetime."""
    return at.astimezone(SHANGHAI).date()


def day_end(day: date) -> datetime:
    """The first instant after ``day`` ends in Asia/Shanghai (an aware datetime)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def settle_cutoff(business_date: date) -> datetime:
    """Orders confirmed before this instant are settled by the run for ``business_date``.

    The end of that day (SPEC §4: settled the night after confirmation), moved back
    by ``SETTLEMENT_HOLD_DAYS`` (default 0): with N days, an order is settled only once
    it has been confirmed for N whole days at the end of the business day.
    """
    return day_end(business_date) - timedelta(days=settings.SETTLEMENT_HOLD_DAYS)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def fen_sum(field: str = "amount", **kwargs) -> Sum:
    """SUM of a money column in whole fen, exact everywhere.

    SQLite sums DECIMAL columns as floats (0.1 + 0.2 ≠ 0.3), so comparing a
    plain SUM with 0 in SQL is unreliable there; rounding each row to whole fen
    first keeps the sum an exact integer (on Postgres it is exact numeric
    anyway). Convert the result with :func:`from_fen_sum`.
    """
    return Sum(
        Round(F(field) * 100, output_field=DecimalField(max_digits=20, decimal_places=0)),
        **kwargs,
    )


def from_fen_sum(value) -> Decimal:
    """A :func:`fen_sum` result (fen, possibly a float on SQLite) as yuan Decimal; None → 0.00."""
    if value is None:
        return ZERO
    return (Decimal(value) / 100).quantize(FEN)


def system_account(kind: str) -> Account:
    """The single platform / escrow / payouts-clearing account (created on first use)."""
    account = Account.objects.filter(kind=kind, user__isnull=True).first()
    if account is None:
        try:
            with transaction.atomic():
                account = Account.objects.create(kind=kind, user=None)
        except IntegrityError:  # created concurrently
            account = Account.objects.get(kind=kind, user__isnull=True)
    return account


def party_account(user_id: int, kind: str) -> Account:
    """The ledger account of a merchant, creator or agency user (created on first use)."""
    return party_accounts([(kind, user_id)])[(kind, user_id)]


def party_accounts(pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Account]:
    """Accounts for many (kind, user_id) pairs in three queries at most, creating missing ones."""
    wanted = set(pairs)
    if not wanted:
        return {}
    by_kind: dict[str, set[int]] = defaultdict(set)
    for kind, user_id in wanted:
        by_kind[kind].add(user_id)

    def load() -> dict[tuple[str, int], Account]:
        found: dict[tuple[str, int], Account] = {}
        for kind, ids in by_kind.items():
            for acc in Account.objects.filter(kind=kind, user_id__in=ids):
                found[(acc.kind, acc.user_id)] = acc
        return found

    found = load()
    missing = wanted - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(kind=k, user_id=u) for k, u in missing], ignore_conflicts=True
        )
        found = load()
    return found


def post_journal(
    *,
    key: str,
    kind: str,
    business_date: date,
    lines: Iterable[tuple[Account, Decimal]],
    order: Order | None = None,
    sequence: int = 0,
    basis_price: Decimal | None = None,
    memo: str = "",
) -> Journal | None:
    """Post one balanced journal under ``key``; None if that key was already posted.

    Zero lines are dropped and lines of the same account merged. Raises
    ValueError if the lines do not sum to zero or are not whole fen.
    """
    merged: dict[int, tuple[Account, Decimal]] = {}
    for account, amount in lines:
        if amount != quantize(amount):
            raise ValueError(f"posting amount must be whole fen: {amount}")
        prev = merged.get(account.pk, (account, ZERO))[1]
        merged[account.pk] = (account, prev + amount)
    total = sum((amount for _, amount in merged.values()), ZERO)
    if total != 0:
        raise ValueError(f"journal {key} does not balance: {total}")
    try:
        with transaction.atomic():
            journal = Journal.objects.create(
                key=key,
                kind=kind,
                order=order,
                sequence=sequence,
                business_date=business_date,
                basis_price=basis_price,
                memo=memo[:200],
            )
            Posting.objects.bulk_create(
                [
                    Posting(journal=journal, account=account, amount=amount)
                    for account, amount in merged.values()
                    if amount != 0
                ]
            )
    except IntegrityError:
        if Journal.objects.filter(key=key).exists():
            return None  # already posted (possibly by a concurrent caller)
        raise
    return journal


def balance(account: Account | int) -> Decimal:
    """The account's balance: the sum of its postings."""
    account_id = getattr(account, "pk", account)
    return from_fen_sum(Posting.objects.filter(account_id=account_id).aggregate(s=fen_sum())["s"])


def balances(account_ids: Iterable[int]) -> dict[int, Decimal]:
    """Balances of many accounts in one grouped query (missing accounts → 0.00)."""
    ids = list(account_ids)
    result = dict.fromkeys(ids, ZERO)
    rows = (
        Posting.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(s=fen_sum())
        .values_list("account_id", "s")
    )
    result.update({account_id: from_fen_sum(s) for account_id, s in rows})
    return result


def now() -> datetime:
    return timezone.now()
