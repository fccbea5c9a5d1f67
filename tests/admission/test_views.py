"""The 准入中心 over HTTP: access, each role, forms, refusals, query counts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.models import (
    Agreement,
    AgreementSignature,
    Assessment,
    Creator,
    Merchant,
    OperatingAccountRequest,
    ProductPermission,
    SellerType,
)
from tests.admission.factories import (
    ActivityFactory,
    ComplianceFactory,
    CreatorFactory,
    MerchantFactory,
    ProviderFactory,
    RestrictedProductFactory,
    admitted,
    sign_agreement,
)

pytestmark = pytest.mark.django_db

CENTER = "/admission/"
SIGN = "/admission/agreement/sign/"


def test_url_names():
    assert reverse("admission:center") == CENTER
    assert reverse("admission:agreement_sign") == SIGN


@pytest.mark.parametrize(
    "url",
    [
        CENTER,
        SIGN,
        "/admission/operating-account/",
        "/admission/assessment/",
        "/admission/products/1/request/",
        "/admission/operating-account/1/accept/",
    ],
)
def test_anonymous_is_sent_to_login(anonymous, url):
    r = anonymous.post(url) if url != CENTER else anonymous.get(url)
    assert r.status_code == 302
    assert r.url.startswith("/accounts/login/")


def test_operator_has_no_admission_center(client_for, operator):
    assert client_for(operator).get(CENTER).status_code == 404
    assert client_for(operator).post(SIGN, {"agree": "on", "version": "2026.1"}).status_code == 404


def test_creator_sees_what_is_missing(client_for):
    c = CreatorFactory(level=1, alipay_verified=False, nickname="新人")
    r = client_for(c.user).get(CENTER)
    html = r.content.decode()
    assert r.status_code == 200
    assert "尚未通过准入" in html
    assert "未签署当前版本的授权协议（版本 2026.1）" in html
    assert "支付宝实名认证待核实" in html
    assert "等待运营核实" in html
    assert "Hotwave 热浪平台合作授权协议" in html  # the agreement text itself
    assert "第一条 授权范围" in html
    assert 'id="c-alipay_verified"' in html


def test_admitted_parties_see_it(client_for, merchant, creator, agency):
    for user in (merchant, creator, agency):
        sign_agreement(user)
        html = client_for(user).get(CENTER).content.decode()
        assert "已通过准入" in html
        assert "你已于" in html


def test_provider_page_has_the_assessment(client_for):
    p = ProviderFactory()
    html = client_for(p.user).get(CENTER).content.decode()
    assert "准入考核" in html and "申请准入考核" in html


def test_tmall_page_has_the_operating_account_form(client_for):
    shop = MerchantFactory(seller_type=SellerType.TMALL)
    html = client_for(shop.user).get(CENTER).content.decode()
    assert "指定运营账户" in html
    assert "天猫商家由指定的运营账户签署授权协议" in html
    assert 'action="/admission/agreement/sign/"' not in html


def test_htmx_gets_the_checklist_partial(client_for, creator):
    r = client_for(creator).get(CENTER, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'id="admission-checklist"' in html
    assert "<html" not in html


def test_show_todo_lists_exactly_the_self_fixable_items(client_for):
    c = CreatorFactory(level=1, alipay_verified=False)
    html = client_for(c.user).get(CENTER + "?show=todo").content.decode()
    assert 'id="c-agreement_signed"' in html
    assert 'id="c-alipay_verified"' not in html


# --- Signing ------------------------------------------------------------------------------


def test_signing_from_the_page(client_for):
    c = CreatorFactory(level=1)
    client = client_for(c.user)
    r = client.post(SIGN, {"agree": "on", "version": "2026.1"})
    assert r.status_code == 302 and r.url == "/admission/#agreement"
    assert AgreementSignature.objects.filter(user=c.user, agreement__version="2026.1").exists()
    # twice is harmless
    assert client.post(SIGN, {"agree": "on", "version": "2026.1"}).status_code == 302
    assert AgreementSignature.objects.filter(user=c.user).count() == 1
    html = client.get(CENTER).content.decode()
    assert "已通过准入" in html


@pytest.mark.parametrize(
    ("proxies", "recorded"),
    [(0, "10.0.0.2"), (1, "203.0.113.7"), (2, "198.51.100.9")],
)
def test_the_signing_ip_is_the_clients_behind_the_trusted_proxies(
    client_for, settings, proxies, recorded
):
    """The same address login throttling and the events rate limit use (hotwave.clientip):
    with N trusted proxies, the N-th entry of X-Forwarded-For from the right."""
    settings.PROXY_COUNT = proxies
    c = CreatorFactory(level=1)
    r = client_for(c.user).post(
        SIGN,
        {"agree": "on", "version": "2026.1"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.9, 203.0.113.7",
    )
    assert r.status_code == 302
    assert AgreementSignature.objects.get(user=c.user).ip_address == recorded


def test_signing_without_ticking_is_refused_at_the_field(client_for, creator):
    r = client_for(creator).post(SIGN, {"version": "2026.1"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "请先勾选同意协议再签署。" in html
    assert 'aria-invalid="true"' in html
    assert not AgreementSignature.objects.filter(user=creator).exists()


def test_signing_a_stale_version_says_so(client_for, creator):
    Agreement.objects.create(
        version="2027.1", title="新版", body="新版正文", published_at=timezone.now()
    )
    r = client_for(creator).post(SIGN, {"agree": "on", "version": "2026.1"})
    assert r.status_code == 400
    assert "协议已更新为版本 2027.1" in r.content.decode()
    assert not AgreementSignature.objects.filter(user=creator).exists()


def test_get_on_a_post_endpoint_is_not_allowed(client_for, creator):
    assert client_for(creator).get(SIGN).status_code == 405
    assert client_for(creator).post(CENTER).status_code == 405


# --- Nobody but operators changes verification flags ------------------------------------------

FLAGS = {
    "alipay_verified": "on",
    "guangguang_eligible": "on",
    "level": "6",
    "registered_verified": "on",
    "licence_verified": "on",
    "shop_status": "normal",
    "is_staff": "on",
    "role": "operator",
}


def test_posting_flags_anywhere_changes_nothing(client_for):
    c = CreatorFactory(level=0, alipay_verified=False)
    p = ProviderFactory(licence_verified=False)
    m = MerchantFactory(alipay_verified=False, shop_status="closed", seller_type=SellerType.TMALL)
    r = RestrictedProductFactory(merchant=m)
    for user, urls in [
        (c.user, [SIGN, "/admission/assessment/", "/admission/operating-account/"]),
        (p.user, [SIGN, "/admission/assessment/"]),
        (
            m.user,
            [SIGN, "/admission/operating-account/", f"/admission/products/{r.pk}/request/"],
        ),
    ]:
        client = client_for(user)
        for url in urls:
            client.post(
                url, {**FLAGS, "agree": "on", "version": "2026.1", "note": "伪造标志的请求"}
            )
        # The admin is closed to parties.
        admin = client.post(f"/admin/admission/creator/{c.pk}/change/", {**FLAGS, "nickname": "x"})
        assert admin.status_code == 302 and "/admin/login/" in admin.url
    c.refresh_from_db()
    p.refresh_from_db()
    m.refresh_from_db()
    assert (c.level, c.alipay_verified, c.guangguang_eligible) == (0, False, False)
    assert p.licence_verified is False
    assert (m.alipay_verified, m.shop_status) == (False, "closed")
    assert not c.user.is_staff and c.user.role == "creator"


# --- Tmall operating account ---------------------------------------------------------------


def test_designating_a_bad_account_shows_the_error_at_the_field(client_for):
    shop = MerchantFactory(seller_type=SellerType.TMALL)
    client = client_for(shop.user)
    r = client.post("/admission/operating-account/", {"username": shop.user.username})
    assert r.status_code == 400
    html = r.content.decode()
    assert "不能指定本店账户自己作为运营账户。" in html
    assert 'id="id_username_error"' in html
    r = client.post("/admission/operating-account/", {"username": ""})
    assert "请填写运营账户的用户名。" in r.content.decode()
    assert not OperatingAccountRequest.objects.exists()


def test_designation_and_confirmation_over_http(client_for):
    shop = MerchantFactory(seller_type=SellerType.TMALL, shop_name="山野旗舰店")
    ops = admitted(MerchantFactory, user__username="shanye_ops")
    r = client_for(shop.user).post("/admission/operating-account/", {"username": "shanye_ops"})
    assert r.status_code == 302
    req = OperatingAccountRequest.objects.get()
    ops_client = client_for(ops.user)
    html = ops_client.get(CENTER).content.decode()
    assert "「山野旗舰店」于" in re.sub(r"<[^>]+>", "", html)
    # The shop cannot accept on the account's behalf: it is not its request (404).
    assert (
        client_for(shop.user).post(f"/admission/operating-account/{req.pk}/accept/").status_code
        == 404
    )
    assert ops_client.post(f"/admission/operating-account/{req.pk}/accept/").status_code == 302
    shop.refresh_from_db()
    assert shop.operating_account == ops.user
    assert "已通过准入" in client_for(shop.user).get(CENTER).content.decode()


def test_non_tmall_cannot_designate(client_for, merchant, creator):
    assert (
        client_for(merchant).post("/admission/operating-account/", {"username": "x"}).status_code
        == 404
    )
    assert (
        client_for(creator).post("/admission/operating-account/", {"username": "x"}).status_code
        == 404
    )


# --- Assessment -----------------------------------------------------------------------------


def test_assessment_form(client_for, creator):
    p = ProviderFactory()
    client = client_for(p.user)
    r = client.post("/admission/assessment/", {"note": "太短"})
    assert r.status_code == 400
    assert "申请说明至少需要 10 个字。" in r.content.decode()
    r = client.post(
        "/admission/assessment/", {"note": "我们是代运营公司，关联星河传媒，申请考核。"}
    )
    assert r.status_code == 302
    assert Assessment.objects.get(user=p.user).status == "pending"
    assert "准入考核已申请，等待运营审核" in client.get(CENTER).content.decode()
    assert client_for(creator).post("/admission/assessment/", {"note": "x" * 20}).status_code == 404


# --- Restricted products ---------------------------------------------------------------------


def test_permission_request_from_the_page(client_for):
    m = MerchantFactory()
    r = RestrictedProductFactory(merchant=m, sku="SKU-H1", reason="保健食品")
    client = client_for(m.user)
    html = client.get(CENTER).content.decode()
    assert "SKU-H1" in html and "保健食品" in html and "申请推广权限" in html
    bad = client.post(f"/admission/products/{r.pk}/request/", {"note": "短"})
    assert bad.status_code == 400
    assert "申请理由至少需要 5 个字。" in bad.content.decode()
    ok = client.post(f"/admission/products/{r.pk}/request/", {"note": "已取得保健食品批准文号"})
    assert ok.status_code == 302
    assert ProductPermission.objects.get(merchant=m, sku="SKU-H1").status == "requested"
    assert "等待平台运营审批" in client.get(CENTER).content.decode()


def test_another_merchants_restricted_product_is_404(client_for, merchant):
    other = RestrictedProductFactory()
    r = client_for(merchant).post(
        f"/admission/products/{other.pk}/request/", {"note": "不是我的商品"}
    )
    assert r.status_code == 404
    assert not ProductPermission.objects.exists()


# --- Query counts -----------------------------------------------------------------------------


def test_merchant_center_query_count_does_not_grow(client_for, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    m = MerchantFactory()
    sign_agreement(m.user)
    client = client_for(m.user)
    RestrictedProductFactory(merchant=m)
    ActivityFactory()
    client.get(CENTER)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(CENTER)
    for _ in range(14):
        RestrictedProductFactory(merchant=m)
    for _ in range(5):
        ActivityFactory()
    ComplianceFactory(user=m.user)
    ComplianceFactory(user=m.user)
    with django_assert_num_queries(len(few.captured_queries)):
        r = client.get(CENTER + "?page=2")
    assert r.status_code == 200
    assert len(few.captured_queries) <= 16


@pytest.mark.parametrize("kind", ["creator", "provider", "tmall"])
def test_other_centers_have_a_fixed_query_count(client_for, kind, django_assert_max_num_queries):
    profile = {
        "creator": lambda: CreatorFactory(),
        "provider": lambda: ProviderFactory(),
        "tmall": lambda: MerchantFactory(seller_type=SellerType.TMALL),
    }[kind]()
    client = client_for(profile.user)
    client.get(CENTER)
    with django_assert_max_num_queries(16):
        client.get(CENTER)


def test_unchanged_models_after_reads(client_for, creator):
    before = (Creator.objects.count(), Merchant.objects.count())
    client_for(creator).get(CENTER)
    assert (Creator.objects.count(), Merchant.objects.count()) == before


def test_other_routes_are_marked_not_needed_once_one_route_is_met(client_for):
    c = CreatorFactory(level=2, guangguang_eligible=False)
    sign_agreement(c.user)
    html = client_for(c.user).get(CENTER).content.decode()
    assert "已通过准入" in html
    assert 'class="adm-cond adm-cond--optional"' in html and "非必需" in html
    assert "等待运营核实" not in html
