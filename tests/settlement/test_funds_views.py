"""资金账户: each party's own money, "why this amount", CSV, filters, fixed query counts.

The data goes through the real kernel: events ingested, then settled night by night.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from settlement.services.events import ingest_objects
from settlement.services.settle import settle_through
from tests.admission.factories import CreatorFactory, ProviderFactory
from tests.settlement.factories import BindingFactory, at, confirmed, paid, payable, refunded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _payable_parties(creator, agency_creator, agency):
    """Paid parties are admitted with a verified 收款账户 (SPEC §7; held otherwise)."""
    payable(creator, agency_creator, agency)


NOV = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def feed(*events):
    tally = ingest_objects(list(events), source="file")
    assert tally.rejected == 0, tally
    return tally


@pytest.fixture
def world(merchant, creator, agency, agency_creator):
    """carol (individual) and gina (bound to erin_mcn at 33%) sell for alice_shop.

    T1 carol 99.99 @15%; T2 gina 99.99 @15% (the SPEC example); T3 gina 200.00 @20%,
    50.00 refunded after settlement (a clawback); T4 carol 100.00 @20%, not yet confirmed.
    """
    BindingFactory(
        creator=agency_creator.creator,
        agency=agency.agency,
        agency_share=Decimal("0.33"),
        valid_from=at("2026-10-01 00:00"),
    )
    feed(
        paid("T1", merchant, creator, "99.99", "0.15", "2026-11-01T20:15:00+08:00"),
        paid("T2", merchant, agency_creator, "99.99", "0.15", "2026-11-02T10:00:00+08:00"),
        paid("T3", merchant, agency_creator, "200.00", "0.20", "2026-11-03T10:00:00+08:00"),
        confirmed("T1", "2026-11-05T09:00:00+08:00"),
        confirmed("T2", "2026-11-05T09:30:00+08:00"),
        confirmed("T3", "2026-11-06T09:00:00+08:00"),
    )
    settle_through(business_date=date(2026, 11, 6))
    feed(
        refunded("T3", "50.00", "2026-11-09T10:00:00+08:00"),
        paid("T4", merchant, creator, "100.00", "0.20", "2026-11-20T21:00:00+08:00"),
    )
    settle_through(business_date=date(2026, 11, 9))


def get(client, name, params=None, *args, **kwargs):
    return client.get(reverse(f"settlement:{name}", args=args), params or {}, **kwargs)


# --- access ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(anonymous, world):
    for url in [
        reverse("settlement:fund_account"),
        reverse("settlement:fund_export"),
        reverse("settlement:fund_order", args=["T1"]),
    ]:
        r = anonymous.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_roles_without_a_fund_account_get_404(operator, client_for, world):
    provider = ProviderFactory().user
    for user in (operator, provider):
        c = client_for(user)
        assert get(c, "fund_export").status_code == 404
        assert get(c, "fund_order", None, "T1").status_code == 404
    assert get(client_for(operator), "fund_account").status_code == 404
    # The navigation links every party here: a provider gets an explanation, not an error.
    r = get(client_for(provider), "fund_account")
    assert r.status_code == 200 and "TP 服务商暂无资金账户" in r.content.decode()


def test_someone_elses_order_is_404(
    world, client_for, creator, other_creator, agency, other_agency, merchant, other_merchant
):
    assert get(client_for(creator), "fund_order", None, "T1").status_code == 200
    assert get(client_for(merchant), "fund_order", None, "T1").status_code == 200
    assert get(client_for(agency), "fund_order", None, "T2").status_code == 200
    for user, order_id in [
        (other_creator, "T1"),
        (creator, "T2"),  # gina's order
        (other_merchant, "T1"),
        (agency, "T1"),  # an individual creator's order: no agency
        (other_agency, "T2"),
    ]:
        assert get(client_for(user), "fund_order", None, order_id).status_code == 404, user
    assert get(client_for(creator), "fund_order", None, "NOPE").status_code == 404


def test_each_party_sees_only_its_own_money(world, client_for, other_creator, creator):
    r = get(client_for(other_creator), "fund_account", {**NOV, "tab": "statement"})
    assert r.status_code == 200
    assert r.context["summary"].balance == Decimal("0.00")
    assert list(r.context["page_obj"]) == []
    html = r.content.decode()
    # Order ids as text of the page (a random CSRF token may contain "T1").
    assert ">T1<" not in html and ">T2<" not in html and "/funds/orders/T1/" not in html
    r = get(client_for(creator), "fund_account", {**NOV, "tab": "settled"})
    assert [o.order_id for o in r.context["page_obj"]] == ["T1"]


# --- figures ------------------------------------------------------------------------------------


def test_bound_creator_balance_earned_paid_out_and_clawback(world, client_for, agency_creator):
    r = get(client_for(agency_creator), "fund_account", NOV)
    s = r.context["summary"]
    # settled 11-06: 7.03 + 18.76 = 25.79 paid out; clawback 11-09: −4.69 carried.
    assert s.earned == Decimal("21.10")
    assert s.paid_out == Decimal("25.79")
    assert s.balance == Decimal("-4.69")
    assert s.pending_count == 0
    rows = {o.order_id: o for o in r.context["page_obj"]}
    assert rows["T2"].my_amount == Decimal("7.03")
    assert rows["T3"].my_amount == Decimal("14.07")
    html = r.content.decode()
    assert "-¥4.69" in html and "¥21.10" in html and "¥25.79" in html
    assert "负余额来自退款冲回" in html


def test_agency_sees_its_share(world, client_for, agency):
    r = get(client_for(agency), "fund_account", NOV)
    s = r.context["summary"]
    # 3.47 + 9.24 = 12.71 settled and paid out; clawback −2.31.
    assert (s.earned, s.paid_out, s.balance) == (
        Decimal("10.40"),
        Decimal("12.71"),
        Decimal("-2.31"),
    )
    assert sorted(o.order_id for o in r.context["page_obj"]) == ["T2", "T3"]


def test_pending_orders_show_their_estimate(world, client_for, creator):
    r = get(client_for(creator), "fund_account", {**NOV, "tab": "pending"})
    (order,) = r.context["page_obj"]
    assert order.order_id == "T4" and order.estimate == Decimal("12.00")
    assert r.context["summary"].pending_count == 1
    assert r.context["summary"].pending_estimate == Decimal("12.00")


def test_earnings_by_day_chart(world, client_for, agency_creator):
    r = get(client_for(agency_creator), "fund_account", NOV)
    chart = r.context["chart"]
    values = {p.label: p.value for p in chart.points}
    assert len(chart.points) == 30
    assert (
        values["11-06"] == "¥25.79" and values["11-09"] == "-¥4.69" and values["11-07"] == "¥0.00"
    )


def test_clawbacks_and_payouts_tabs(world, client_for, agency_creator):
    c = client_for(agency_creator)
    (line,) = get(c, "fund_account", {**NOV, "tab": "clawbacks"}).context["page_obj"]
    assert line.amount == Decimal("-4.69") and line.journal.order.order_id == "T3"
    assert line.journal.basis_price == Decimal("150.00")
    (payout,) = get(c, "fund_account", {**NOV, "tab": "payouts"}).context["page_obj"]
    assert payout.amount == Decimal("25.79") and payout.business_date == date(2026, 11, 6)


def test_merchant_sees_fees_and_sales_by_creator(world, client_for, merchant):
    c = client_for(merchant)
    r = get(c, "fund_account", {**NOV, "tab": "creators"})
    rows = {row["username"]: row for row in r.context["page_obj"]}
    assert rows["carol"]["orders"] == 2 and rows["carol"]["sales"] == Decimal("199.99")
    assert rows["carol"]["fees"] == Decimal("15.00")
    assert rows["gina"]["sales"] == Decimal("249.99") and rows["gina"]["fees"] == Decimal("45.00")
    s = r.context["summary"]
    assert s.earned == Decimal("-60.00")  # the merchant pays: 15.00 + 15.00 + 40.00 − 10.00
    assert "¥60.00" in r.content.decode()
    assert "payouts" not in dict(r.context["tabs"])


def test_why_this_amount_after_a_clawback(world, client_for, agency_creator):
    r = get(client_for(agency_creator), "fund_order", None, "T3")
    b = r.context["breakdown"]
    assert (b.fee, b.platform, b.agency, b.creator) == (
        Decimal("30.00"),
        Decimal("9.00"),
        Decimal("6.93"),
        Decimal("14.07"),
    )
    journals = r.context["journals"]
    assert [(j.kind, j.my_amount) for j in journals] == [
        ("settlement", Decimal("18.76")),
        ("clawback", Decimal("-4.69")),
    ]
    html = r.content.decode()
    for text in [
        "机构主播",
        "33%",
        "¥150.00",
        "¥14.07",
        "艾琳传媒",
        "支付时生效的绑定",
        "订单退款",
    ]:
        assert text in html, text


def test_why_this_amount_spec_example(world, client_for, agency_creator, merchant):
    r = get(client_for(agency_creator), "fund_order", None, "T2")
    b = r.context["breakdown"]
    assert (b.fee, b.platform, b.agency, b.creator) == (
        Decimal("15.00"),
        Decimal("4.50"),
        Decimal("3.47"),
        Decimal("7.03"),
    )
    assert r.context["mine"] == Decimal("7.03")
    r = get(client_for(merchant), "fund_order", None, "T2")
    assert r.context["mine"] == Decimal("-15.00")
    assert "¥15.00" in r.content.decode()


# --- filters, CSV, htmx ----------------------------------------------------------------------------


def test_date_filter_is_in_the_url_and_narrows_every_section(world, client_for, agency_creator):
    c = client_for(agency_creator)
    r = get(
        c, "fund_account", {"date_from": "2026-11-01", "date_to": "2026-11-07", "tab": "clawbacks"}
    )
    assert list(r.context["page_obj"]) == []
    assert r.context["summary"].period_earned == Decimal("25.79")
    assert "date_from=2026-11-01&amp;date_to=2026-11-07" in r.content.decode()
    r = get(c, "fund_account", {"date_from": "2026-11-10", "date_to": "2026-11-01"})
    assert r.context["form"].errors["date_to"] == ["结束日期不能早于开始日期。"]
    assert 'id="id_date_to_error"' in r.content.decode()
    r = get(c, "fund_account", {"date_from": "not-a-date"})
    assert r.context["form"].errors["date_from"]


def test_csv_statement_is_exact(world, client_for, agency_creator):
    r = get(client_for(agency_creator), "fund_export", NOV)
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="hotwave-statement-gina-20261101-20261130.csv"' in r["Content-Disposition"]
    body = b"".join(r.streaming_content).decode("utf-8")
    assert body == (
        "\ufeff业务日期,类型,订单号,商品,商品编码,达人,商家,结算价格,服务费率,分成规则,机构分成比例,金额,摘要\r\n"
        "2026-11-06,结算,T2,,SKU-1,吉娜,爱丽丝的店,99.99,15%,机构主播,33%,7.03,\r\n"
        "2026-11-06,结算,T3,,SKU-1,吉娜,爱丽丝的店,200.00,20%,机构主播,33%,18.76,\r\n"
        "2026-11-06,打款,,,,,,,,,,-25.79,打款\r\n"
        "2026-11-09,退款冲回,T3,,SKU-1,吉娜,爱丽丝的店,150.00,20%,机构主播,33%,-4.69,\r\n"
    )


def test_pages_and_csv_name_the_product_by_title_with_the_sku_second(
    world, client_for, merchant, agency_creator
):
    from tests.cooperation.task_factories import ProductFactory

    ProductFactory(merchant=merchant.merchant, sku="SKU-1", title="北欧风陶瓷餐具 16 件套")
    r = get(client_for(agency_creator), "fund_export", NOV)
    rows = b"".join(r.streaming_content).decode("utf-8").splitlines()
    assert rows[1].startswith("2026-11-06,结算,T2,北欧风陶瓷餐具 16 件套,SKU-1,")
    page = get(client_for(merchant), "fund_account", NOV).content.decode()
    assert "北欧风陶瓷餐具 16 件套" in page and "SKU-1" in page
    order = get(client_for(merchant), "fund_order", None, "T2").content.decode()
    assert "北欧风陶瓷餐具 16 件套" in order and "SKU-1" in order


def test_csv_uses_the_same_filters(world, client_for, agency_creator, creator):
    r = get(
        client_for(agency_creator),
        "fund_export",
        {"date_from": "2026-11-07", "date_to": "2026-11-30"},
    )
    lines = b"".join(r.streaming_content).decode("utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith("2026-11-09,退款冲回,T3")
    r = get(
        client_for(creator), "fund_export", {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert r.status_code == 400
    r = get(client_for(creator), "fund_export", NOV)
    body = b"".join(r.streaming_content).decode("utf-8")
    assert "T2" not in body and "T3" not in body and "T1" in body


def test_htmx_gets_the_fund_body_alone(world, client_for, creator):
    r = get(
        client_for(creator),
        "fund_account",
        {**NOV, "tab": "payouts"},
        headers={"HX-Request": "true"},
    )
    html = r.content.decode()
    assert "<html" not in html and 'id="fund-body"' in html and "¥9.00" in html
    r = get(
        client_for(creator),
        "fund_account",
        NOV,
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in r.content.decode()


# --- query counts ----------------------------------------------------------------------------------


def _orders(merchant, creators, n, prefix):
    events = []
    for i in range(n):
        c = creators[i % len(creators)].user
        oid = f"{prefix}{i:04d}"
        events.append(paid(oid, merchant, c, "120.00", "0.20", "2026-11-02T10:00:00+08:00"))
        events.append(confirmed(oid, "2026-11-04T10:00:00+08:00"))
        if i % 3 == 0:
            events.append(refunded(oid, "20.00", "2026-11-07T10:00:00+08:00"))
    for i in range(n):  # and some pending ones
        events.append(
            paid(
                f"{prefix}P{i:04d}",
                merchant,
                creators[0].user,
                "50.00",
                "0.10",
                "2026-11-20T10:00:00+08:00",
            )
        )
    feed(*events[: 3 * n])
    settle_through(business_date=date(2026, 11, 5))
    feed(*events[3 * n :])
    settle_through(business_date=date(2026, 11, 8))


TABS = ["settled", "pending", "clawbacks", "payouts", "escrow", "statement"]


def _count(client, tab, captured):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = get(client, "fund_account", {**NOV, "tab": tab})
    assert r.status_code == 200
    captured[tab] = len(ctx)


def test_fund_page_query_counts_do_not_grow_with_data(
    world, client_for, merchant, agency, agency_creator, django_assert_num_queries
):
    others = [agency_creator.creator] + CreatorFactory.create_batch(2)
    c_agency, c_creator, c_merchant = (
        client_for(agency),
        client_for(agency_creator),
        client_for(merchant),
    )
    for c in (c_agency, c_creator, c_merchant):
        get(c, "fund_account")  # warm the session
    small: dict = {}
    _orders(merchant, others, 6, "S")
    for tab in TABS:
        _count(c_creator, tab, small)
    big: dict = {}
    _orders(merchant, others, 60, "B")
    for tab in TABS:
        _count(c_creator, tab, big)
    assert small == big
    # session, user, account, [tab count, tab rows], ledger signature, pending signature,
    # profile; the summary and the chart are cached under the ledger signature, the
    # pending estimate under the signature of the unsettled orders; order tabs + the
    # products' titles (one query, settlement.catalog); for the parties paid out
    # (creators, agencies) + what holds their payouts and their 收款账户 (2)
    for tab, queries in (("settled", 11), ("pending", 11), ("statement", 10)):
        with django_assert_num_queries(queries):
            get(c_creator, "fund_account", {**NOV, "tab": tab})
    # the first look since the account's last posting and the party's last order change:
    # + summary, chart, the pending estimate's grouped orders
    with django_assert_num_queries(11):
        get(c_merchant, "fund_account", {**NOV, "tab": "creators"})
    with django_assert_num_queries(8):
        get(c_merchant, "fund_account", {**NOV, "tab": "creators"})
    with django_assert_num_queries(14):
        get(c_agency, "fund_account", {**NOV, "tab": "settled"})
    with django_assert_num_queries(11):
        get(c_agency, "fund_account", {**NOV, "tab": "settled"})
    # session, user, order, product title, account, journals, events, profile
    with django_assert_num_queries(8):
        get(c_creator, "fund_order", None, "B0003")


def test_csv_cells_never_run_as_formulas(client_for, merchant, creator):
    feed(
        paid(
            "=HYPERLINK(1)",
            merchant,
            creator,
            "10.00",
            "0.20",
            "2026-11-01T10:00:00+08:00",
            product="@SUM(A1)",
        ),
        confirmed("=HYPERLINK(1)", "2026-11-02T10:00:00+08:00"),
    )
    settle_through(business_date=date(2026, 11, 2))
    r = get(client_for(creator), "fund_export", NOV)
    rows = b"".join(r.streaming_content).decode("utf-8").splitlines()
    assert rows[1].startswith("2026-11-02,结算,'=HYPERLINK(1),,'@SUM(A1),卡萝,")
    assert rows[1].endswith(",1.20,")
