"""收款账户 page (issue 20, item 1) and the payout holds on 资金账户 (issue 14, defect 3)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from settlement.models import PayoutAccount
from settlement.services.events import ingest_objects
from settlement.services.settle import settle_through
from tests.admission.factories import OperatorFactory, ProviderFactory, sign_agreement
from tests.settlement.factories import confirmed, paid, payable

pytestmark = pytest.mark.django_db
URL = "/funds/payout-account/"
GOOD = {"method": "alipay", "holder_name": "卡萝", "account_number": "13800138000"}


@pytest.fixture
def carol(creator):
    creator.creator.real_name = "卡萝"
    creator.creator.save()
    return creator


def test_url_name():
    assert reverse("settlement:payout_account") == URL


def test_anonymous_is_sent_to_login(anonymous):
    r = anonymous.get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_parties_that_are_never_paid_get_a_404(client_for, merchant):
    for user in (merchant, ProviderFactory().user, OperatorFactory()):
        assert client_for(user).get(URL).status_code == 404
        assert client_for(user).post(URL, GOOD).status_code == 404


def test_the_page_shows_the_record_and_what_holds_payouts(client_for, carol):
    html = client_for(carol).get(URL).content.decode()
    assert "平台登记的实名信息：卡萝" in html
    assert "你还没有收款账户" in html
    assert 'data-hold="not_admitted"' in html and 'data-hold="no_verified_payout_account"' in html


def test_adding_an_account_then_it_waits_for_verification(client_for, carol):
    c = client_for(carol)
    r = c.post(URL, GOOD)
    assert r.status_code == 302 and r["Location"] == URL
    account = PayoutAccount.objects.get(user=carol)
    assert account.status == "pending"
    html = c.get(URL).content.decode()
    assert "138****8000" in html and "待核实" in html and "13800138000" not in html


def test_a_wrong_name_is_refused_at_the_field(client_for, carol):
    r = client_for(carol).post(URL, {**GOOD, "holder_name": "别人"})
    assert r.status_code == 400
    assert "户名须与平台登记的实名信息「卡萝」一致" in r.content.decode()
    assert not PayoutAccount.objects.exists()


def test_htmx_gets_the_form_alone(client_for, carol):
    r = client_for(carol).post(URL, {**GOOD, "account_number": "1"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 400
    assert html.lstrip().startswith('<section class="card" id="payout-form"')
    assert "<html" not in html and "支付宝账号须是" in html


def test_the_page_has_a_fixed_query_count(client_for, carol, django_assert_num_queries):
    c = client_for(carol)
    c.get(URL)
    # session, user, profile, current account, history, holds (one statement)
    with django_assert_num_queries(6):
        assert c.get(URL).status_code == 200
    payable(carol)
    with django_assert_num_queries(6):
        assert c.get(URL).status_code == 200


def test_fund_account_says_why_payouts_are_held_and_stops_saying_so(client_for, merchant, carol):
    sign_agreement(carol)
    ingest_objects(
        [
            paid("P1", merchant, carol, "100.00", "0.20", "2026-10-05T10:00:00+08:00"),
            confirmed("P1", "2026-10-05T12:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 10, 31))
    c = client_for(carol)
    html = c.get("/funds/").content.decode()
    assert 'id="payout-holds"' in html and 'data-hold="no_verified_payout_account"' in html
    assert "打款暂缓：原因见上方" in html and "收款账户 · 未添加" in html
    # the workbench's 待办事项 lists it with the number of reasons
    home = c.get("/").content.decode()
    assert "打款暂缓" in home
    payable(carol)
    settle_through(business_date=date(2026, 11, 1))
    html = c.get("/funds/").content.decode()
    assert 'id="payout-holds"' not in html and "已核实" in html
    assert client_for(merchant).get("/funds/").content.decode().count("payout-holds") == 0


def test_htmx_success_reloads_the_whole_page(client_for, carol):
    r = client_for(carol).post(URL, GOOD, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Redirect"] == URL
