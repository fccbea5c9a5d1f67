"""核心数据's ledger figures (本月已结算收益, 账户余额): cached under the ledger signature."""

from __future__ import annotations

from decimal import Decimal

import pytest

from settlement.models import AccountKind, JournalKind
from settlement.services.ledger import party_account, post_journal, system_account
from workbench.selectors import core as selectors

pytestmark = pytest.mark.django_db


def earn(account, amount: str, key: str, kind=JournalKind.SETTLEMENT):
    amount = Decimal(amount)
    post_journal(
        key=key,
        kind=kind,
        business_date=selectors._today(),
        lines=[(account, amount), (system_account(AccountKind.PLATFORM), -amount)],
    )


def figures(user, kind) -> dict[str, Decimal]:
    return selectors._ledger_sums(user, kind, selectors._today().replace(day=1))


@pytest.mark.parametrize(
    ("persona", "kind"), [("creator", AccountKind.CREATOR), ("agency", AccountKind.AGENCY)]
)
def test_ledger_figures_are_cached_until_the_next_posting(
    request, persona, kind, django_assert_num_queries
):
    user = request.getfixturevalue(persona)
    with django_assert_num_queries(1):  # no account yet: the signature finds nothing
        assert figures(user, kind) == {"earned": Decimal("0.00"), "balance": Decimal("0.00")}
    account = party_account(user.pk, kind)
    earn(account, "12.34", "t:1")
    with django_assert_num_queries(2):  # signature, sums
        assert figures(user, kind)["balance"] == Decimal("12.34")
    with django_assert_num_queries(1):  # signature
        assert figures(user, kind)["earned"] == Decimal("12.34")
    earn(account, "-2.34", "t:2", kind=JournalKind.CLAWBACK)
    earn(account, "-5.00", "t:3", kind=JournalKind.PAYOUT)
    with django_assert_num_queries(2):
        assert figures(user, kind) == {"earned": Decimal("10.00"), "balance": Decimal("5.00")}


def test_the_creator_page_shows_the_new_balance(client_for, creator):
    account = party_account(creator.pk, AccountKind.CREATOR)
    earn(account, "12.34", "t:1")
    c = client_for(creator)
    assert "12.34" in c.get("/").content.decode()
    earn(account, "1.00", "t:2")
    assert "13.34" in c.get("/").content.decode()
