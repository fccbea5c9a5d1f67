"""The Tmall 指定运营账户 form does not enumerate accounts, and is throttled (issue 14, defect 8).

It used to answer differently for an unknown account, a non-merchant, an
unverified or unsigned account, and name other shops ("已是其他商家（…）的运营
账户"), without any limit. Now every name gets the same answer until the named
account itself confirms; more than ``OPERATING_DESIGNATE_RATE`` attempts per
shop get a 429 and change nothing.
"""

from __future__ import annotations

import re

import pytest

from admission.models import OperatingAccountRequest, SellerType
from tests.admission.factories import CreatorFactory, MerchantFactory, admitted, sign_agreement

pytestmark = pytest.mark.django_db
URL = "/admission/operating-account/"


def _answer(client, username: str) -> tuple[int, str]:
    response = client.post(URL, {"username": username}, follow=True)
    html = response.content.decode()
    # What the page says about the request: the message and the pending line.
    said = re.findall(r'class="(?:alert|field__error|message)[^"]*"[^>]*>(.*?)</', html, re.S)
    return response.redirect_chain[0][1] if response.redirect_chain else response.status_code, (
        " | ".join(s.strip() for s in said).replace(username, "<name>")
    )


def test_every_name_gets_the_same_answer(client_for, settings):
    settings.OPERATING_DESIGNATE_RATE = ""
    shop = MerchantFactory(seller_type=SellerType.TMALL)
    other_shop = MerchantFactory(seller_type=SellerType.TMALL, shop_name="隔壁旗舰店")
    taken = admitted(MerchantFactory)
    other_shop.operating_account = taken.user
    other_shop.save()
    unverified = MerchantFactory(alipay_verified=False)
    sign_agreement(unverified.user)
    names = {
        "unknown": "nobody-at-all",
        "creator": CreatorFactory().user.username,
        "other tmall shop": other_shop.user.username,
        "taken": taken.user.username,
        "unverified": unverified.user.username,
        "unsigned": MerchantFactory().user.username,
        "fit": admitted(MerchantFactory).user.username,
    }
    client = client_for(shop.user)
    answers = {what: _answer(client, name) for what, name in names.items()}
    assert len(set(answers.values())) == 1, answers
    status, said = answers["unknown"]
    assert status == 302 and "已向 <name> 发出运营账户邀请" in said
    page = client.get("/admission/").content.decode()
    assert "隔壁旗舰店" not in page
    assert OperatingAccountRequest.objects.filter(shop=shop, status="pending").count() == 1


def test_designations_are_throttled_per_shop(client_for, settings):
    settings.OPERATING_DESIGNATE_RATE = "3/h"
    shop = MerchantFactory(seller_type=SellerType.TMALL)
    client = client_for(shop.user)
    statuses = [client.post(URL, {"username": f"probe{i}"}).status_code for i in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    refused = client.post(URL, {"username": "probe9"})
    assert "次数过多" in refused.content.decode()
    assert OperatingAccountRequest.objects.get(status="pending").username == "probe2"
    # Another shop has its own budget.
    other = MerchantFactory(seller_type=SellerType.TMALL)
    assert client_for(other.user).post(URL, {"username": "probe0"}).status_code == 302
