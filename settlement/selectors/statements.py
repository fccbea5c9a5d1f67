"""对账单: a party's monthly statement, read set-based from its ledger postings.

A month is a calendar month of journal business dates (the Asia/Shanghai day a
movement happened on, so a journal posted at exactly 00:00 on the 1st belongs
to the new month). The statement ties to the ledger to the fen::

    opening (postings before the month) + sum of the month's lines
        = closing = the account's balance at the month's end

Two queries whatever the history: one aggregate for the opening balance and the
month's total, one for the lines (a page of them on screen; streamed for CSV).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Window
from django.utils import timezone

from settlement.models import JournalKind, Posting
from settlement.selectors.funds import _require_fund_role
from settlement.services.ledger import fen_sum, from_fen_sum

MONTH_PATTERN = re.compile(r"^([0-9]{4})-([0-9]{2})$", re.ASCII)
FIRST_MONTH = date(2000, 1, 1)


class MonthError(ValueError):
    """A month that is not ``YYYY-MM`` or lies outside the months a statement covers."""


def parse_month(text: str, *, today: date | None = None) -> date:
    """``YYYY-MM`` as the month's first day; refuses other shapes and future months."""
    today = today or timezone.localdate()
    m = MONTH_PATTERN.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MonthError("format")
    month = date(int(m.group(1)), int(m.group(2)), 1)
    if month < FIRST_MONTH or month > today.replace(day=1):
        raise MonthError("range")
    return month


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def shift_month(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Statement:
    month: date  # first day
    opening: Decimal
    total: Decimal  # sum of the month's lines
    line_count: int

    @property
    def end(self) -> date:
        return month_end(self.month)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.total


def month_statement(*, actor, month: date) -> Statement:
    """The actor's own statement for ``month`` (its balances; one query).

    Raises Http404 for roles without a 资金账户. A party with no postings yet has
    a statement of zeros.
    """
    _require_fund_role(actor)
    end = month_end(month)
    row = Posting.objects.filter(
        account__kind=actor.role, account__user_id=actor.pk, journal__business_date__lte=end
    ).aggregate(
        opening=fen_sum(filter=Q(journal__business_date__lt=month)),
        total=fen_sum(filter=Q(journal__business_date__gte=month)),
        lines=Count("id", filter=Q(journal__business_date__gte=month)),
    )
    return Statement(
        month=month,
        opening=from_fen_sum(row["opening"]),
        total=from_fen_sum(row["total"]),
        line_count=row["lines"] or 0,
    )


def statement_month_lines(*, actor, month: date) -> QuerySet[Posting]:
    """The actor's postings of ``month``, oldest first, each with what it refers to
    (order, payout item) joined and ``running_fen``, the month's running total in
    fen (a window sum, computed before any LIMIT): one query however many lines."""
    order = ("journal__business_date", "journal_id")
    _require_fund_role(actor)
    return (
        Posting.objects.filter(
            account__kind=actor.role,
            account__user_id=actor.pk,
            journal__business_date__gte=month,
            journal__business_date__lte=month_end(month),
        )
        .select_related("journal", "journal__order", "journal__payout")
        .annotate(running_fen=Window(fen_sum(), order_by=[F(f).asc() for f in order]))
        .order_by(*order)
    )


def line_reference(posting: Posting) -> str:
    """What a line refers to: the order id, the payout item, the task or top-up reference."""
    journal = posting.journal
    if journal.order_id is not None:
        return journal.order.order_id
    if journal.kind == JournalKind.PAYOUT:
        payout = getattr(journal, "payout", None)
        return f"payout:{payout.pk}" if payout is not None else journal.key
    _label, _sep, ref = journal.memo.partition(" ")
    return ref or journal.key


def with_running_balance(lines, opening: Decimal) -> list[Posting]:
    """The lines with ``balance`` (the balance after each line) and ``reference`` set."""
    out = []
    for p in lines:
        p.balance = opening + from_fen_sum(p.running_fen)
        p.reference = line_reference(p)
        out.append(p)
    return out


__all__ = [
    "FIRST_MONTH",
    "MonthError",
    "Statement",
    "line_reference",
    "month_end",
    "month_statement",
    "parse_month",
    "shift_month",
    "statement_month_lines",
    "with_running_balance",
]
