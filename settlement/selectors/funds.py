"""资金账户 reads, always scoped by the actor.

Each merchant, creator and agency sees only its own ledger account and the
orders it is party to; someone else's object is a 404 (``Http404``), never a 403.

Every list selector returns a queryset with its relations already joined, so
each page runs a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from admission.models import Creator, Role
from hotwave.money import ZERO
from hotwave.readcache import get_or_compute
from settlement.catalog import attach_titles
from settlement.commission import Split, split, split_for_order
from settlement.models import (
    Account,
    EscrowHold,
    Journal,
    JournalKind,
    Order,
    OrderStatus,
    Payout,
    Posting,
)
from settlement.services.ledger import business_date_of, day_end, day_start

FUND_ROLES = (Role.MERCHANT, Role.CREATOR, Role.AGENCY)
EARNING_KINDS = (JournalKind.SETTLEMENT, JournalKind.CLAWBACK)
ESCROW_KINDS = (JournalKind.ESCROW_HOLD, JournalKind.ESCROW_RELEASE, JournalKind.ESCROW_RETURN)


def _require_fund_role(actor) -> None:
    if getattr(actor, "role", None) not in FUND_ROLES:
        raise Http404("no fund account for this role")


def fund_account_of(*, actor) -> Account | None:
    """The actor's own ledger account (None until its first posting). Raises Http404
    for roles without one."""
    _require_fund_role(actor)
    return Account.objects.filter(kind=actor.role, user_id=actor.pk).first()


def _party_q(actor, prefix: str = "") -> Q:
    field_name = {
        Role.MERCHANT: "merchant_id",
        Role.CREATOR: "creator_id",
        Role.AGENCY: "agency_id",
    }[actor.role]
    return Q(**{f"{prefix}{field_name}": actor.pk})


def orders_for(*, actor) -> QuerySet[Order]:
    """Orders the actor is party to (merchant, creator, or the agency frozen on the order)."""
    _require_fund_role(actor)
    return Order.objects.filter(_party_q(actor)).select_related(
        "merchant", "creator", "agency", "binding"
    )


def order_for(*, actor, order_id: str) -> Order:
    """One order the actor is party to, with its binding. Raises Http404 otherwise."""
    try:
        return orders_for(actor=actor).get(order_id=order_id)
    except Order.DoesNotExist as exc:
        raise Http404("no such order") from exc


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def since(self):
        return day_start(self.start)

    @property
    def until(self):
        return day_end(self.end)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class FundSummary:
    balance: Decimal
    earned: Decimal  # settlement + clawback postings, all time (merchants: negative, fees paid)
    paid_out: Decimal
    escrow_net: Decimal  # slot-fee escrow movements on this account, all time
    period_earned: Decimal
    period_clawbacks: Decimal
    pending_count: int
    pending_estimate: Decimal


LEDGER_CACHE_SECONDS = 3600
UNSETTLED = (OrderStatus.PAID, OrderStatus.CONFIRMED)


def ledger_signature(account: Account) -> tuple[int, int]:
    """``(postings, latest journal id)`` of the account: one index-only scan.

    Postings are append-only (the database refuses UPDATE and DELETE), so the
    count of an account's postings grows with every committed posting, also
    when transactions commit out of id order: sums cached under a signature
    never go stale. Read once per request (memoised on the account instance).
    """
    sig = getattr(account, "_ledger_signature", None)
    if sig is None:
        row = Posting.objects.filter(account=account).aggregate(n=Count("*"), last=Max("journal"))
        sig = (row["n"] or 0, row["last"] or 0)
        account._ledger_signature = sig
    return sig


def _ledger_cached(account: Account, name: str, period: Period, compute):
    """``compute()`` cached under the account's ledger signature and the period.

    The signature is read before computing, so a value never describes fewer
    postings than its key says (it may describe more, harmlessly).
    """
    n, last = ledger_signature(account)
    key = f"settlement:{name}:{account.pk}:{n}:{last}:{period.start}:{period.end}"
    return get_or_compute(key, compute, LEDGER_CACHE_SECONDS)


def _account_totals(account: Account, period: Period) -> dict:
    in_period = Q(journal__business_date__gte=period.start, journal__business_date__lte=period.end)
    return Posting.objects.filter(account=account).aggregate(
        balance=Sum("amount"),
        earned=Sum("amount", filter=Q(journal__kind__in=EARNING_KINDS)),
        # Payouts less the failed ones returned to the balance (打款退回).
        paid_out=Sum(
            "amount",
            filter=Q(journal__kind__in=[JournalKind.PAYOUT, JournalKind.PAYOUT_REVERSAL]),
        ),
        escrow=Sum("amount", filter=Q(journal__kind__in=ESCROW_KINDS)),
        period_earned=Sum("amount", filter=Q(journal__kind__in=EARNING_KINDS) & in_period),
        period_clawbacks=Sum("amount", filter=Q(journal__kind=JournalKind.CLAWBACK) & in_period),
    )


def fund_summary(*, actor, account: Account | None, period: Period) -> FundSummary:
    """Balance and totals of the actor's account, plus the pending estimate.

    The ledger totals are cached under :func:`ledger_signature` (one index-only
    query per request once warm; the sums over every posting only when the
    account has new postings); the pending estimate is one grouped query.
    """
    _require_fund_role(actor)
    if account is None:
        totals = {}
    else:
        totals = _ledger_cached(account, "totals", period, lambda: _account_totals(account, period))
    count, estimate = pending_estimate(actor=actor)
    return FundSummary(
        balance=totals.get("balance") or ZERO,
        earned=totals.get("earned") or ZERO,
        paid_out=-(totals.get("paid_out") or ZERO),
        escrow_net=totals.get("escrow") or ZERO,
        period_earned=totals.get("period_earned") or ZERO,
        period_clawbacks=totals.get("period_clawbacks") or ZERO,
        pending_count=count,
        pending_estimate=estimate,
    )


def party_amount(actor, s: Split) -> Decimal:
    """The actor's side of a split, signed like its postings (merchants pay the fee)."""
    if actor.role == Role.MERCHANT:
        return -s.fee
    if actor.role == Role.AGENCY:
        return s.agency
    return s.creator


def pending_orders(*, actor, period: Period | None = None) -> QuerySet[Order]:
    """The actor's orders not yet settled (paid or confirmed), newest first."""
    qs = orders_for(actor=actor).filter(status__in=UNSETTLED)
    if period is not None:
        qs = qs.filter(paid_at__gte=period.since, paid_at__lt=period.until)
    return qs.order_by("-paid_at", "-id")


PENDING_CACHE_SECONDS = 3600


def pending_estimate(*, actor) -> tuple[int, Decimal]:
    """Count and estimated amount of the actor's unsettled orders.

    The estimate applies the rule frozen on each order to its current price,
    rounded per order (``commission.split``): orders with the same price, rate,
    share and rule split the same, so the database groups them and each
    distinct row is split once and multiplied by its count. The result is cached
    under the signature of the unsettled orders (their count, the sum of their
    ids and of their refunds: an order paid, settled or refunded changes it; an
    order's amount, rate and rule never change), so a warm request runs one
    query that reads only the party's unsettled orders.
    """
    unsettled = Order.objects.filter(_party_q(actor), status__in=UNSETTLED)
    sig = unsettled.aggregate(n=Count("*"), ids=Sum("id"), refunded=Sum("refunded"))
    if not sig["n"]:
        return 0, ZERO
    key = f"settlement:pending:{actor.role}:{actor.pk}:{sig['n']}:{sig['ids']}:{sig['refunded']}"
    return get_or_compute(key, lambda: _pending_estimate(actor, unsettled), PENDING_CACHE_SECONDS)


def _pending_estimate(actor, unsettled: QuerySet[Order]) -> tuple[int, Decimal]:
    rows = (
        unsettled.values("amount", "refunded", "service_fee_rate", "agency_share", "rule")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("amount", "refunded", "service_fee_rate", "agency_share", "rule", "n")
    )
    total, count = ZERO, 0
    for amount, refunded, rate, share, rule, n in rows:
        s = split(amount - refunded, rate, agency_share=share if rule == "agency" else None)
        total += party_amount(actor, s) * n
        count += n
    return count, total


def _earning_postings(account: Account, period: Period) -> QuerySet[Posting]:
    """The account's settlement and clawback postings of the period's business days."""
    return Posting.objects.filter(
        account=account,
        journal__kind__in=EARNING_KINDS,
        journal__business_date__gte=period.start,
        journal__business_date__lte=period.end,
    )


def _earnings_by_day(account: Account, period: Period) -> dict[date, Decimal]:
    rows = (
        _earning_postings(account, period)
        .values("journal__business_date")
        .annotate(s=Sum("amount"))
        .values_list("journal__business_date", "s")
    )
    return dict(rows)


def earnings_by_day(*, account: Account | None, period: Period) -> list[tuple[date, Decimal]]:
    """Net settlement + clawback postings per business day of the period (one grouped
    query, cached under the account's :func:`ledger_signature`)."""
    by_day: dict[date, Decimal] = {}
    if account is not None:
        by_day = _ledger_cached(
            account, "by-day", period, lambda: _earnings_by_day(account, period)
        )
    return [(day, by_day.get(day, ZERO)) for day in period.days()]


def settled_orders(*, actor, account: Account | None, period: Period) -> QuerySet[Order]:
    """The actor's orders settled in the period, each with ``my_amount``: the net of the
    actor's settlement and clawback postings on it (what the ledger says it earned)."""
    mine = (
        Posting.objects.filter(
            journal__order_id=OuterRef("pk"),
            journal__kind__in=EARNING_KINDS,
            account_id=account.pk if account else None,
        )
        .values("journal__order_id")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return (
        orders_for(actor=actor)
        .filter(
            status=OrderStatus.SETTLED, settled_on__gte=period.start, settled_on__lte=period.end
        )
        .annotate(my_amount=Coalesce(Subquery(mine), ZERO))
        .order_by("-settled_on", "-id")
    )


def journal_lines(*, account: Account | None, period: Period, kinds=None) -> QuerySet[Posting]:
    """The account's postings in the period (its statement), newest first, with the
    journal and its order joined."""
    if account is None:
        return Posting.objects.none()
    qs = Posting.objects.filter(
        account=account,
        journal__business_date__gte=period.start,
        journal__business_date__lte=period.end,
    )
    if kinds:
        qs = qs.filter(journal__kind__in=kinds)
    return qs.select_related(
        "journal", "journal__order", "journal__order__creator", "journal__order__merchant"
    ).order_by("-journal__business_date", "-journal_id")


def statement_lines(*, account: Account | None, period: Period) -> QuerySet[Posting]:
    """The statement (CSV export): every posting of the period, oldest first."""
    return journal_lines(account=account, period=period).order_by(
        "journal__business_date", "journal_id"
    )


def payouts_for(*, account: Account | None, period: Period) -> QuerySet[Payout]:
    if account is None:
        return Payout.objects.none()
    return Payout.objects.filter(
        account=account, business_date__gte=period.start, business_date__lte=period.end
    ).order_by("-business_date", "-id")


def escrows_for(*, actor) -> QuerySet[EscrowHold]:
    """Slot fees held for or by the actor (merchant, creator, or the agency frozen on release)."""
    _require_fund_role(actor)
    return EscrowHold.objects.filter(_party_q(actor)).select_related(
        "merchant", "creator", "agency"
    )


def sales_by_creator(*, actor, account: Account | None, period: Period) -> list[dict]:
    """Merchants: sales brought and fees charged per creator in the period (two queries).

    Sales are orders paid in the period (paid − refunded); fees are the net
    settlement and clawback postings of the period on those creators' orders.
    """
    if actor.role != Role.MERCHANT:
        raise Http404("only merchants see sales by creator")
    sales = (
        Order.objects.filter(
            merchant_id=actor.pk, paid_at__gte=period.since, paid_at__lt=period.until
        )
        .values("creator_id", "creator__nickname", "creator__user__username")
        .annotate(
            orders=Count("id"),
            paid=Sum("amount"),
            refunded=Sum("refunded"),
        )
    )
    fees: dict[int, Decimal] = {}
    if account is not None:
        fees = dict(
            _earning_postings(account, period)
            .values("journal__order__creator_id")
            .annotate(s=Sum("amount"))
            .values_list("journal__order__creator_id", "s")
        )
    rows: dict[int, dict] = {}
    for r in sales:
        rows[r["creator_id"]] = {
            "creator_id": r["creator_id"],
            "nickname": r["creator__nickname"],
            "username": r["creator__user__username"],
            "orders": r["orders"],
            "sales": r["paid"] - r["refunded"],
            "fees": ZERO,
        }
    missing = [cid for cid in fees if cid not in rows]
    if missing:
        for c in Creator.objects.filter(pk__in=missing).select_related("user"):
            rows[c.pk] = {
                "creator_id": c.pk,
                "nickname": c.nickname,
                "username": c.user.username,
                "orders": 0,
                "sales": ZERO,
                "fees": ZERO,
            }
    for cid, amount in fees.items():
        rows[cid]["fees"] = -amount
    return sorted(rows.values(), key=lambda r: (-r["sales"], -r["fees"], r["username"]))


def order_journals(*, actor, order: Order, account: Account | None) -> list[Journal]:
    """The order's settlement and clawback journals with the actor's own posting amount
    as ``my_amount`` (one query)."""
    mine = Posting.objects.filter(
        journal_id=OuterRef("pk"), account_id=account.pk if account else None
    )
    return list(
        Journal.objects.filter(order=order, kind__in=EARNING_KINDS)
        .annotate(my_amount=Subquery(mine.values("amount")[:1]))
        .order_by("business_date", "id")
    )


@dataclass(frozen=True)
class OrderLine:
    """One row of the 资金账户 order tables: the order and what it means to the viewer.

    It reads like the order (any other attribute falls through to it, so templates
    write ``line.order_id``), plus the split the row shows, the viewer's side of it
    and the refund the shown price reflects (the ledger's for a settled order).
    """

    order: Order
    split: Split
    estimate: Decimal  # the viewer's side of ``split``, signed like its postings
    shown_refunded: Decimal

    @property
    def shown_price(self) -> Decimal:
        return self.order.amount - self.shown_refunded

    @property
    def settles_on(self) -> date | None:
        """When a pending order is expected to be settled (the nightly run's date, 02:00), or
        None while it waits for the buyer's confirmation (SPEC §4; SETTLEMENT_HOLD_DAYS)."""
        order = self.order
        if order.status != OrderStatus.CONFIRMED or order.confirmed_at is None:
            return None
        # The run for business date D (at 02:00 on D + 1) settles orders confirmed before
        # settle_cutoff(D) = the end of D minus the hold days.
        business_date = business_date_of(
            order.confirmed_at + timedelta(days=settings.SETTLEMENT_HOLD_DAYS)
        )
        run_day = business_date + timedelta(days=1)
        today = timezone.localdate()
        # A night already past that did not settle it (a missed run): the next one will.
        return run_day if run_day >= today else today + timedelta(days=1)

    def __getattr__(self, name: str):
        if name == "order":  # not set yet (copy, pickle): never recurse
            raise AttributeError(name)
        return getattr(self.order, name)


def order_line(actor, order: Order) -> OrderLine:
    """The row of ``order`` for ``actor`` (pure arithmetic on the frozen rule, no queries)."""
    s = order_breakdown(order)
    settled = order.status == OrderStatus.SETTLED
    return OrderLine(
        order=order,
        split=s,
        estimate=party_amount(actor, s),
        shown_refunded=order.settled_refunded if settled else order.refunded,
    )


class OrderLines(Sequence):
    """Orders as :class:`OrderLine` rows, built only for the slice a page takes.

    A paginator counts the queryset and slices it as usual (the same two queries).
    """

    def __init__(self, orders: QuerySet[Order], line: Callable[[Order], OrderLine]):
        self.orders = orders
        self.line = line

    def count(self) -> int:
        return self.orders.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            orders = list(self.orders[index])
            attach_titles(orders)  # product titles: one query for the page
            return [self.line(o) for o in orders]
        order = self.orders[index]
        attach_titles([order])
        return self.line(order)


def order_lines(*, actor, orders: QuerySet[Order]) -> OrderLines:
    """``orders`` as the actor's rows of the 资金账户 order tables (see :class:`OrderLine`)."""
    return OrderLines(orders, lambda order: order_line(actor, order))


def order_breakdown(order: Order) -> Split:
    """The split the ledger reflects for a settled order, or the estimate for a pending one."""
    if order.status == OrderStatus.SETTLED:
        share = order.agency_share if order.rule == "agency" else None
        return split(
            order.amount - order.settled_refunded, order.service_fee_rate, agency_share=share
        )
    return split_for_order(order)
