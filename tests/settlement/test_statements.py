"""对账单 (issue 20, item 4): monthly statements that tie to the ledger to the fen.

The history goes through the real kernel and services: top-ups, slot fees held,
released and returned (two of them at exactly 00:00 Asia/Shanghai on the 1st),
orders settled night by night, a refund after settlement (clawback), payouts in
a batch, one of them failed in the result file (打款退回) and paid again.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from settlement import statement_views
from settlement.models import Journal, JournalKind, Payout, Posting
from settlement.payments import ProviderReply
from settlement.selectors import month_end, month_statement, statement_month_lines
from settlement.services import funding
from settlement.services.escrow import escrow_hold, escrow_release, escrow_return
from settlement.services.events import ingest_objects
from settlement.services.payouts import payout_batch_export, payout_results_import
from settlement.services.settle import settle_through
from tests.admission.factories import ProviderFactory
from tests.settlement.factories import BindingFactory, at, confirmed, paid, payable, refunded

pytestmark = pytest.mark.django_db

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


class LaterProvider:
    name = "later"

    def start_top_up(self, *, top_up_id, amount, merchant):
        return ProviderReply(reference=f"LATER-{top_up_id}")


def feed(*events):
    tally = ingest_objects(list(events), source="file")
    assert tally.rejected == 0, tally


def top_up(merchant, amount: str, when: str):
    t = funding.top_up_request(actor=merchant, amount=Decimal(amount))
    funding.top_up_confirm(provider=t.provider, reference=t.reference, at=at(when))


@pytest.fixture
def history(monkeypatch, merchant, creator, agency, agency_creator):
    monkeypatch.setattr(funding, "payment_provider", LaterProvider)
    payable(creator, agency_creator, agency)
    BindingFactory(
        creator=agency_creator.creator,
        agency=agency.agency,
        agency_share=Decimal("0.33"),
        valid_from=at("2026-09-01 00:00"),
    )
    m, c = merchant.merchant, creator.creator
    top_up(merchant, "5000.00", "2026-10-31 23:59:59")  # the last second of October
    top_up(merchant, "123.45", "2026-11-01 00:00")  # exactly the first of November
    escrow_hold(
        key="task:A", merchant=m, creator=c, amount=Decimal("300.00"), at=at("2026-10-20 10:00")
    )
    escrow_release(key="task:A", at=at("2026-11-01 00:00"))
    escrow_hold(
        key="task:B", merchant=m, creator=c, amount=Decimal("88.88"), at=at("2026-11-30 23:59:59")
    )
    escrow_return(key="task:B", at=at("2026-12-01 00:00"))
    feed(
        paid("S1", merchant, creator, "99.99", "0.15", "2026-10-28T20:15:00+08:00"),
        paid("S2", merchant, agency_creator, "200.00", "0.20", "2026-10-29T10:00:00+08:00"),
        confirmed("S1", "2026-10-31T23:59:59+08:00"),
        confirmed("S2", "2026-11-01T00:00:00+08:00"),
    )
    settle_through(business_date=date(2026, 11, 1))
    payout_batch_export(business_date=date(2026, 11, 1))
    items = list(Payout.objects.filter(batch__business_date=date(2026, 11, 1)).order_by("pk"))
    assert items
    # carol's payout fails at the provider: reversed in the ledger, paid again later
    lines = ["item_id,status,reason"] + [
        f"{p.pk},{'失败' if p.account.user_id == creator.pk else '成功'},"
        f"{'账户异常' if p.account.user_id == creator.pk else ''}"
        for p in items
    ]
    tally = payout_results_import(
        content=("\n".join(lines) + "\n").encode(),
        file_name="r.csv",
        now=at("2026-11-02 09:00"),
    )
    assert tally.rejected == 0
    feed(refunded("S2", "50.00", "2026-11-20T10:00:00+08:00"))
    settle_through(business_date=date(2026, 11, 30))
    payout_batch_export(business_date=date(2026, 11, 30))
    return {"merchant": merchant, "creator": creator, "agency": agency, "gina": agency_creator}


def _ledger_balance_through(user, day: date) -> Decimal:
    """The party's balance at the end of ``day``, summed here row by row."""
    total = Decimal("0.00")
    for p in Posting.objects.filter(account__user=user).select_related("journal"):
        if p.journal.business_date <= day:
            total += p.amount
    return total


def test_every_kind_of_journal_is_in_the_history(history):
    kinds = set(Journal.objects.values_list("kind", flat=True))
    assert kinds == set(JournalKind.values)


@pytest.mark.parametrize("who", ["merchant", "creator", "agency", "gina"])
def test_opening_plus_lines_is_closing_is_the_ledger_balance_at_month_end(history, who):
    user = history[who]
    previous_closing = Decimal("0.00")
    for month in (date(2026, 9, 1), OCT, NOV, DEC):
        s = month_statement(actor=user, month=month)
        lines = list(statement_month_lines(actor=user, month=month))
        assert (
            s.opening
            == previous_closing
            == _ledger_balance_through(user, month - timedelta(days=1))
        )
        assert s.opening + sum((p.amount for p in lines), Decimal("0.00")) == s.closing
        assert s.closing == _ledger_balance_through(user, month_end(month))
        assert s.line_count == len(lines) and s.total == s.closing - s.opening
        previous_closing = s.closing


def test_the_first_instant_of_a_month_belongs_to_that_month(history, merchant, creator):
    def kinds(user, month):
        return [(p.journal.kind, p.amount) for p in statement_month_lines(actor=user, month=month)]

    october, november = kinds(merchant, OCT), kinds(merchant, NOV)
    assert (JournalKind.TOP_UP, Decimal("5000.00")) in october
    assert (JournalKind.TOP_UP, Decimal("123.45")) in november
    assert (JournalKind.TOP_UP, Decimal("123.45")) not in october
    assert (JournalKind.ESCROW_RETURN, Decimal("88.88")) in kinds(merchant, DEC)
    assert (JournalKind.ESCROW_HOLD, Decimal("-88.88")) in november
    assert JournalKind.ESCROW_RELEASE in [k for k, _ in kinds(creator, NOV)]
    assert JournalKind.ESCROW_RELEASE not in [k for k, _ in kinds(creator, OCT)]


def test_the_creator_sees_its_payout_returned_and_paid_again(history, creator):
    lines = list(statement_month_lines(actor=creator, month=NOV))
    kinds = [p.journal.kind for p in lines]
    assert JournalKind.PAYOUT_REVERSAL in kinds and kinds.count(JournalKind.PAYOUT) == 2
    failed = Payout.objects.get(account__user=creator, status="failed")
    from settlement.selectors import line_reference

    refs = {line_reference(p) for p in lines}
    assert f"payout:{failed.pk}" in refs  # both its payout line and its reversal name it
    assert "S1" in refs  # the settlement names its order


# --- on screen, CSV, print ---------------------------------------------------------


def test_statement_page_shows_the_party_the_month_and_ties(history, client_for, creator):
    r = client_for(creator).get(reverse("settlement:fund_statement"), {"month": "2026-11"})
    assert r.status_code == 200
    s = month_statement(actor=creator, month=NOV)
    html = r.content.decode()
    assert "卡萝" in html and "2026 年 11 月" in html
    assert f"¥{s.opening:,.2f}" in html and f"¥{s.closing:,.2f}" in html
    assert "打款退回" in html and "S1" in html
    assert r.context["rows"][-1].balance == s.closing


def test_a_month_without_activity_shows_opening_equal_to_closing(history, client_for, creator):
    r = client_for(creator).get(reverse("settlement:fund_statement"), {"month": "2026-12"})
    s = r.context["statement"]
    assert r.status_code == 200 and s.line_count == 0
    assert s.opening == s.closing == _ledger_balance_through(creator, date(2026, 12, 31))
    assert 'data-testid="statement-empty"' in r.content.decode()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "月份格式应为"),
        ("11/2026", "月份格式应为"),
        ("２０２６-11", "月份格式应为"),
        ("2099-01", "只能查看 2000 年 1 月至本月"),
        ("1999-12", "只能查看 2000 年 1 月至本月"),
    ],
)
def test_a_bad_month_is_refused_with_a_message(client_for, creator, month, message):
    r = client_for(creator).get(reverse("settlement:fund_statement"), {"month": month})
    assert r.status_code == 400 and message in r.content.decode()
    r = client_for(creator).get(reverse("settlement:fund_statement_export"), {"month": month})
    assert r.status_code == 400 and message in r.content.decode()


def test_statement_csv_has_a_bom_decimal_strings_and_ties(history, client_for, merchant):
    r = client_for(merchant).get(reverse("settlement:fund_statement_export"), {"month": "2026-11"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0] == ["业务日期", "类型", "关联单号", "摘要", "金额", "余额"]
    opening, movements, closing = rows[1], rows[2:-1], rows[-1]
    s = month_statement(actor=merchant, month=NOV)
    assert opening[1] == "期初余额" and Decimal(opening[5]) == s.opening
    assert closing[1] == "期末余额" and Decimal(closing[5]) == s.closing
    assert sum(Decimal(row[4]) for row in movements) == s.total == Decimal(closing[4])
    assert all(row[4] == f"{Decimal(row[4]):.2f}" for row in movements)
    assert Decimal(movements[-1][5]) == s.closing


def test_the_statement_is_paginated_and_the_running_balance_carries_over(
    history, client_for, merchant, monkeypatch
):
    monkeypatch.setattr(statement_views, "STATEMENT_LINES_PER_PAGE", 2)
    s = month_statement(actor=merchant, month=NOV)
    assert s.line_count > 2
    client = client_for(merchant)
    url = reverse("settlement:fund_statement")
    pages = []
    n = 1
    while True:
        r = client.get(url, {"month": "2026-11", "page": n})
        pages.append(r.context["rows"])
        if not r.context["page_obj"].has_next():
            break
        n += 1
    rows = [p for page in pages for p in page]
    assert len(rows) == s.line_count
    balance = s.opening
    for p in rows:
        balance += p.amount
        assert p.balance == balance
    assert balance == s.closing
    # the print version has every line on one page
    r = client.get(url, {"month": "2026-11", "print": "1"})
    assert len(r.context["rows"]) == s.line_count and r.context["page_obj"] is None
    assert "data-print" in r.content.decode()


def test_only_the_party_itself_has_a_statement(client_for, history, other_merchant, creator):
    r = client_for(other_merchant).get(reverse("settlement:fund_statement"), {"month": "2026-11"})
    assert r.status_code == 200 and r.context["statement"].line_count == 0
    assert "S1" not in r.content.decode()
    provider = ProviderFactory().user
    for name in ("fund_statement", "fund_statement_export"):
        assert client_for(provider).get(reverse(f"settlement:{name}")).status_code == 404


def test_statement_page_query_count_does_not_grow_with_lines(
    history, client_for, merchant, django_assert_num_queries
):
    client = client_for(merchant)
    url = reverse("settlement:fund_statement")
    client.get(url)  # the first request after login saves the session
    # session, user, the balances (opening, month total and line count in one aggregate),
    # the page of lines with their journals, orders and payout items, the party's profile
    with django_assert_num_queries(5):
        client.get(url, {"month": "2026-11"})
    with django_assert_num_queries(5):
        client.get(url, {"month": "2026-10"})
