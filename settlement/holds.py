"""Payout holds: why a creator's or agency's balance is not paid out (SPEC §2, §7).

Orders of every party are accepted and settled, but a balance is paid out
only to a party that is admitted and has a verified 收款账户. Otherwise the
balance is *held*, with its reasons; the first settlement run after the last
reason is gone pays it (a payout is the whole positive balance, so what was
held is in it). Nothing is posted for a hold: the money simply stays in the
party's ledger account.

Each reason is one :class:`HoldReason` in ``REASONS``: a stable code, the
message the party reads, where it can act on it, and the reason as a filter
on ``User`` (``held_q(role)``). Everything else is written once over that
list, so a new reason (issue 20's payout batches: a failed payout item, a
frozen account) is one more entry:

* ``payable_account_ids(ids)`` — the settlement run's filter (one query per
  chunk of accounts, both kernels);
* ``holds_for(user)`` — the reasons of one party now (资金账户, its to-do);
* ``hold_count_expr(role)`` — the to-do count as one SQL expression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from admission.models import Role, User
from admission.selectors import admitted_q
from settlement.models import (
    Account,
    Payout,
    PayoutAccount,
    PayoutAccountStatus,
    PayoutStatus,
    Posting,
)
from settlement.services.ledger import fen_sum

PAYEE_ROLES = (Role.CREATOR, Role.AGENCY)


@dataclass(frozen=True)
class HoldReason:
    code: str
    message: Promise | str  # what the party reads (lazy)
    action: Promise | str  # the link's text
    url: Callable[[], str]  # where the party can act on it
    held_q: Callable[[str], Q]  # on User, for a party of ``role``: held for this reason


def _not_admitted(role: str) -> Q:
    return ~admitted_q(role, on_user=True)


def _no_verified_account(role: str) -> Q:
    verified = PayoutAccount.objects.filter(
        user=OuterRef("pk"), status=PayoutAccountStatus.VERIFIED
    )
    return ~Q(Exists(verified))


def _payout_failed(role: str) -> Q:
    # A failed payout item holds the party until a payout account is verified after it.
    fixed = PayoutAccount.objects.filter(
        user=OuterRef("account__user"),
        status=PayoutAccountStatus.VERIFIED,
        decided_at__gt=OuterRef("result_at"),
    )
    failed = Payout.objects.filter(
        account__user=OuterRef("pk"), status=PayoutStatus.FAILED
    ).exclude(Exists(fixed))
    return Q(Exists(failed))


REASONS: tuple[HoldReason, ...] = (
    HoldReason(
        code="not_admitted",
        message=_(
            "你尚未通过准入：订单照常结算，但收益暂不打款，通过准入后的第一次结算会一并打款。"
        ),
        action=_("去准入中心"),
        url=lambda: reverse("admission:center"),
        held_q=_not_admitted,
    ),
    HoldReason(
        code="no_verified_payout_account",
        message=_(
            "没有已核实的收款账户：添加或更换收款账户后须经平台核实，核实后的第一次结算会一并打款。"
        ),
        action=_("管理收款账户"),
        url=lambda: reverse("settlement:payout_account"),
        held_q=_no_verified_account,
    ),
    HoldReason(
        code="payout_failed",
        message=_(
            "上次打款失败，金额已退回余额（原因见打款记录）：请更换收款账户，"
            "新账户核实后的第一次结算会一并打款。"
        ),
        action=_("更换收款账户"),
        url=lambda: reverse("settlement:payout_account"),
        held_q=_payout_failed,
    ),
)


def _held_q(role: str) -> Q:
    q = Q(pk__in=[])
    for reason in REASONS:
        q |= reason.held_q(role)
    return q


def payable_users_q() -> Q:
    """On ``User``: creators and agencies that may be paid out now (no reason holds them)."""
    q = Q(pk__in=[])
    for role in PAYEE_ROLES:
        q |= Q(role=role) & ~_held_q(role)
    return q


def payable_account_ids(account_ids: list[int]) -> list[int]:
    """Of these creator/agency ledger accounts, the ones whose holder may be paid, in order."""
    if not account_ids:
        return []
    payable = User.objects.filter(payable_users_q()).values("pk")
    return list(
        Account.objects.filter(pk__in=account_ids, user__in=payable)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _flags(role: str, pk: int):
    """One row for the user ``pk``: 1 or 0 per reason of ``REASONS``, in order."""
    flags = User.objects.filter(pk=pk).annotate(
        **{
            f"hold_{i}": Case(When(r.held_q(role), then=Value(1)), default=Value(0))
            for i, r in enumerate(REASONS)
        }
    )
    return flags.values_list(*[f"hold_{i}" for i in range(len(REASONS))]).order_by()[:1]


# The statement of ``holds_for`` per (role, database alias, vendor), built from the ORM
# once per process: building and compiling the admission rules and the payout subqueries
# took 3-5 ms of Python per 资金账户 request, running it well under 1 ms. Only the
# user's id changes between requests (the moment is the database's, the agreement in
# force a subquery), so it is compiled with a stand-in id put back at each run.
_STAND_IN = -(2**62) + 7
_statements: dict[tuple[str, str, str], tuple[str, list[int], tuple]] = {}


def _statement(role: str, connection) -> tuple[str, list[int], tuple]:
    key = (role, connection.alias, connection.vendor)
    found = _statements.get(key)
    if found is None:
        sql, params = _flags(role, _STAND_IN).query.get_compiler(connection.alias).as_sql()
        slots = [i for i, p in enumerate(params) if p == _STAND_IN]
        if len(slots) != 1 or str(_STAND_IN) in sql:
            raise RuntimeError("holds_for: the user id is not one parameter of its statement")
        found = _statements[key] = (sql, slots, tuple(params))
    return found


def holds_for(user) -> list[HoldReason]:
    """The reasons holding ``user``'s payouts now (empty: paid by the next run). One query."""
    from django.db import connection

    if user.role not in PAYEE_ROLES:
        return []
    sql, slots, params = _statement(user.role, connection)
    params = list(params)
    for i in slots:
        params[i] = user.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return [r for r, held in zip(REASONS, row or (), strict=False) if held]


def hold_count_expr(role: str):
    """For the ``User`` row at ``OuterRef("pk")``: how many reasons hold a positive balance
    (0 when nothing is owed). One SQL expression, for the to-do count."""
    owed = (
        Posting.objects.filter(account__user=OuterRef("pk"), account__kind=role)
        .order_by()
        .values("account__user")
        .annotate(fen=fen_sum())
        .filter(fen__gt=0)
    )
    reasons = [
        Case(When(r.held_q(role), then=Value(1)), default=Value(0), output_field=IntegerField())
        for r in REASONS
    ]
    total = reasons[0]
    for reason in reasons[1:]:
        total = total + reason
    return Case(When(Exists(owed), then=total), default=Value(0), output_field=IntegerField())


def held_balances() -> list[tuple[int, object, list[str]]]:
    """Every creator/agency owed a positive balance it is not paid: (user id, amount, reasons).

    Set-based (one query for the balances, one per reason), for the run's 通知.
    """
    from settlement.services.ledger import from_fen_sum

    owed = {}
    for role in PAYEE_ROLES:
        rows = (
            Posting.objects.filter(
                account__kind=role,
                account__user__in=User.objects.filter(Q(role=role) & _held_q(role)).values("pk"),
            )
            .values("account__user")
            .annotate(fen=fen_sum())
            .filter(fen__gt=0)
            .values_list("account__user", "fen")
        )
        for user_id, fen in rows:
            owed[user_id] = (role, from_fen_sum(fen))
    if not owed:
        return []
    reasons: dict[int, list[str]] = {pk: [] for pk in owed}
    for role in PAYEE_ROLES:
        ids = [pk for pk, (r, _amount) in owed.items() if r == role]
        for reason in REASONS:
            for pk in User.objects.filter(reason.held_q(role), pk__in=ids).values_list(
                "pk", flat=True
            ):
                reasons[pk].append(str(reason.message))
    return [(pk, amount, reasons[pk]) for pk, (_role, amount) in sorted(owed.items())]
