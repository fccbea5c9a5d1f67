"""充值与可用资金 page (issue 20, money in): merchants only, their own funds."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from settlement.models import Journal, TopUp
from settlement.selectors.merchant_funds import funds_of
from settlement.services import funding
from tests.admission.factories import OperatorFactory, ProviderFactory

pytestmark = pytest.mark.django_db
URL = "/funds/top-up/"


def test_url_name():
    assert reverse("settlement:top_up") == URL


def test_anonymous_is_sent_to_login(anonymous):
    r = anonymous.get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_only_merchants_have_it(client_for, creator, agency):
    for user in (creator, agency, ProviderFactory().user, OperatorFactory()):
        assert client_for(user).get(URL).status_code == 404
        assert client_for(user).post(URL, {"amount": "100"}).status_code == 404
    assert not TopUp.objects.exists()


def test_the_page_shows_the_merchants_own_funds(client_for, merchant, other_merchant):
    funding.top_up_request(actor=other_merchant, amount=D("777.00"))
    funding.credit_limit_set(merchant=merchant.merchant, credit_limit=D("2500.00"))
    page = client_for(merchant).get(URL).content.decode()
    assert "¥2,500.00" in page and "¥777.00" not in page
    assert "还没有充值记录" in page  # the empty state
    assert "单笔 ¥1.00 至 ¥1,000,000.00" in page  # the bounds, shown in the form


def test_a_top_up_arrives_and_is_listed(client_for, merchant):
    r = client_for(merchant).post(URL, {"amount": "3000.50"}, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert "充值 ¥3,000.50 已到账" in page and "INSTANT-" in page
    assert funds_of(merchant.pk).balance == D("3000.50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "请填写充值金额。"),
        ("abc", "请输入金额"),
        ("0.5", "单笔充值金额须在 ¥1.00 到 ¥1,000,000.00 之间。"),
        ("1000000.01", "单笔充值金额须在 ¥1.00 到 ¥1,000,000.00 之间。"),
        ("10.001", "最多两位小数"),
    ],
)
def test_bad_amounts_are_refused_where_typed_and_change_nothing(
    client_for, merchant, amount, message
):
    r = client_for(merchant).post(URL, {"amount": amount})
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not TopUp.objects.exists() and not Journal.objects.exists()


def test_the_page_has_a_fixed_query_count(client_for, merchant, django_assert_num_queries):
    c = client_for(merchant)
    c.get(URL)
    # session, user, merchant, ledger account, credit, held, top-ups (count), shortfalls
    with django_assert_num_queries(8):
        assert c.get(URL).status_code == 200
    for n in range(25):
        funding.top_up_request(actor=merchant, amount=D("10.00") + n)
    # ... and the balance of the account that now exists, and the page of top-ups
    with django_assert_num_queries(10):
        page = c.get(URL + "?page=2")
    assert page.status_code == 200 and "第 2 / 2 页" in page.content.decode()
