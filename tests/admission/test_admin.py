"""Operators in admin: find by verdict and unmet condition, bulk verify with an audit trail."""

from __future__ import annotations

import pytest

from admission import rules
from admission.models import Assessment, Creator, Merchant, ProductPermission
from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    ProviderFactory,
    RestrictedProductFactory,
    admitted,
    sign_agreement,
)

pytestmark = pytest.mark.django_db


def _names(response) -> str:
    return response.content.decode()


def test_parties_cannot_open_admin(client_for, merchant, creator):
    for user in (merchant, creator):
        r = client_for(user).get("/admin/admission/creator/")
        assert r.status_code == 302 and "/admin/login/" in r.url


def test_filter_by_verdict_and_unmet_condition(client_for, operator):
    ok = admitted(CreatorFactory, nickname="已准入达人")
    no_alipay = CreatorFactory(nickname="缺实名达人", alipay_verified=False)
    sign_agreement(no_alipay.user)
    unsigned = CreatorFactory(nickname="未签协议达人")
    c = client_for(operator)
    html = _names(c.get("/admin/admission/creator/?admitted=yes"))
    assert ok.nickname in html and no_alipay.nickname not in html
    html = _names(c.get("/admin/admission/creator/?admitted=no"))
    assert ok.nickname not in html and no_alipay.nickname in html and unsigned.nickname in html
    html = _names(c.get("/admin/admission/creator/?unmet=alipay_verified"))
    assert no_alipay.nickname in html and unsigned.nickname not in html
    html = _names(c.get("/admin/admission/creator/?unmet=agreement_signed"))
    assert unsigned.nickname in html and no_alipay.nickname not in html
    html = _names(c.get("/admin/admission/creator/?q=缺实名"))
    assert no_alipay.nickname in html and ok.nickname not in html


@pytest.mark.parametrize(
    "url,factory",
    [
        ("/admin/admission/merchant/", MerchantFactory),
        ("/admin/admission/agency/", AgencyFactory),
        ("/admin/admission/provider/", ProviderFactory),
        ("/admin/admission/creator/", CreatorFactory),
    ],
)
def test_changelists_have_a_fixed_query_count(
    client_for, operator, url, factory, django_assert_max_num_queries
):
    factory()
    c = client_for(operator)
    c.get(url)
    for _ in range(20):
        factory()
    with django_assert_max_num_queries(20):
        r = c.get(url + "?admitted=no")
    assert r.status_code == 200
    # every unmet-condition choice works
    for code in ("agreement_signed", "account_active"):
        assert c.get(url + f"?unmet={code}").status_code == 200


def test_bulk_verify_writes_audit_rows(client_for, operator):
    a = CreatorFactory(alipay_verified=False)
    b = CreatorFactory(alipay_verified=False)
    r = client_for(operator).post(
        "/admin/admission/creator/",
        {"action": "set_alipay_verified_True", "_selected_action": [a.pk, b.pk], "index": 0},
    )
    assert r.status_code == 302
    assert Creator.objects.filter(pk__in=[a.pk, b.pk], alipay_verified=True).count() == 2
    row = a.history.first()
    assert row.history_user == operator
    assert row.history_change_reason == "运营批量操作：支付宝实名认证"
    assert row.prev_record.alipay_verified is False


def test_shop_status_action(client_for, operator):
    m = MerchantFactory()
    client_for(operator).post(
        "/admin/admission/merchant/",
        {"action": "set_shop_status_restricted", "_selected_action": [m.pk], "index": 0},
    )
    assert Merchant.objects.get(pk=m.pk).shop_status == "restricted"


def test_change_form_shows_the_verdict_and_history(client_for, operator):
    c = CreatorFactory(alipay_verified=False)
    html = _names(client_for(operator).get(f"/admin/admission/creator/{c.pk}/change/"))
    assert "未准入" in html and "支付宝实名认证待核实" in html
    assert client_for(operator).get(f"/admin/admission/creator/{c.pk}/history/").status_code == 200


def test_editing_a_flag_in_the_form_is_audited(client_for, operator):
    a = AgencyFactory(registered_verified=False, name="新机构")
    r = client_for(operator).post(
        f"/admin/admission/agency/{a.pk}/change/",
        {
            "user": a.user.pk,
            "name": "新机构",
            "registered_verified": "on",
            "licence_verified": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert a.history.first().history_user == operator


def test_assessment_actions(client_for, operator):
    p = ProviderFactory()
    from django.utils import timezone

    a = Assessment.objects.create(user=p.user, requested_at=timezone.now(), note="申请")
    client_for(operator).post(
        "/admin/admission/assessment/",
        {"action": "approve", "_selected_action": [a.pk], "index": 0},
    )
    a.refresh_from_db()
    assert a.status == "approved" and a.decided_by == operator


def test_permission_actions(client_for, operator):
    r = RestrictedProductFactory()
    p = ProductPermission.objects.create(merchant=r.merchant, sku=r.sku)
    c = client_for(operator)
    c.post(
        "/admin/admission/productpermission/",
        {"action": "grant", "_selected_action": [p.pk], "index": 0},
    )
    p.refresh_from_db()
    assert p.status == "granted" and p.decided_by == operator
    c.post(
        "/admin/admission/productpermission/",
        {"action": "revoke", "_selected_action": [p.pk], "index": 0},
    )
    p.refresh_from_db()
    assert p.status == "revoked"
    assert p.history.count() == 3


@pytest.mark.parametrize(
    "model",
    [
        "agreement",
        "agreementsignature",
        "activity",
        "marketingcompliance",
        "restrictedproduct",
        "operatingaccountrequest",
        "assessment",
        "productpermission",
    ],
)
def test_every_admission_admin_opens(client_for, operator, model):
    c = client_for(operator)
    assert c.get(f"/admin/admission/{model}/").status_code == 200
    add = c.get(f"/admin/admission/{model}/add/").status_code
    assert add in (200, 403)


def _row(party) -> str:
    user = getattr(party, "user", party)
    return f"/admin/admission/user/{user.pk}/change/"


def test_accounts_list_finds_parties_of_every_role(
    client_for, operator, django_assert_max_num_queries
):
    from admission.models import User

    ok_m = admitted(MerchantFactory, shop_name="合规小店")
    bad_m = MerchantFactory(shop_name="未认证小店", alipay_verified=False)
    sign_agreement(bad_m.user)
    ok_c = admitted(CreatorFactory, nickname="合规达人")
    bad_p = ProviderFactory(company_name="未考核服务商")
    sign_agreement(bad_p.user)
    c = client_for(operator)
    yes = _names(c.get("/admin/admission/user/?admitted=yes"))
    assert _row(ok_m) in yes and _row(ok_c) in yes
    assert _row(bad_m) not in yes and _row(operator) not in yes
    no = _names(c.get("/admin/admission/user/?admitted=no"))
    assert _row(bad_m) in no and _row(bad_p) in no
    assert _row(ok_m) not in no and _row(operator) not in no
    html = _names(c.get("/admin/admission/user/?unmet=assessment_approved"))
    assert _row(bad_p) in html and _row(bad_m) not in html
    html = _names(c.get("/admin/admission/user/?unmet=alipay_verified&role__exact=merchant"))
    assert _row(bad_m) in html and _row(ok_c) not in html
    html = _names(c.get("/admin/admission/user/?q=合规达人"))
    assert _row(ok_c) in html and _row(ok_m) not in html
    # Set-based: the rules agree on who is admitted.
    assert set(User.objects.filter(selectors_admitted()).values_list("pk", flat=True)) == {
        u.pk for u in User.objects.all() if rules.evaluate(u).admitted
    }
    for _ in range(10):
        CreatorFactory()
    with django_assert_max_num_queries(20):
        assert c.get("/admin/admission/user/").status_code == 200


def selectors_admitted():
    from admission.selectors import admitted_users_q

    return admitted_users_q()


def test_a_signed_agreement_version_cannot_be_edited(client_for, operator, creator):
    from admission.models import Agreement

    sign_agreement(creator)
    agreement = Agreement.objects.get(version="2026.1")
    c = client_for(operator)
    r = c.post(
        f"/admin/admission/agreement/{agreement.pk}/change/",
        {
            "version": "2026.1",
            "title": "改过的标题",
            "body": "改过的正文",
            "published_at_0": "2026-01-01",
            "published_at_1": "08:00:00",
        },
    )
    agreement.refresh_from_db()
    assert agreement.title == "Hotwave 热浪平台合作授权协议"
    assert "改过的正文" not in agreement.body
    assert r.status_code in (200, 302)
    assert (
        c.post(f"/admin/admission/agreement/{agreement.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_publishing_a_new_version_warns_and_unadmits(client_for, operator):
    from admission import rules

    creator = admitted(CreatorFactory)
    r = client_for(operator).post(
        "/admin/admission/agreement/add/",
        {
            "version": "2027.1",
            "title": "新版授权协议",
            "body": "新版正文",
            "published_at_0": "2026-01-02",
            "published_at_1": "00:00:00",
        },
        follow=True,
    )
    assert "所有合作方须重新签署" in r.content.decode()
    assert not rules.evaluate(creator.user).admitted


@pytest.mark.parametrize("factory", [CreatorFactory, AgencyFactory, MerchantFactory])
def test_the_owning_account_of_a_profile_is_read_only_after_creation(client_for, operator, factory):
    """Editing ``user`` on a profile used to save the profile under another account."""
    profile = factory()
    model = type(profile)
    other = AgencyFactory().user if factory is not AgencyFactory else CreatorFactory().user
    url = f"/admin/admission/{model._meta.model_name}/{profile.pk}/change/"
    page = client_for(operator).get(url)
    assert page.status_code == 200
    assert b'name="user"' not in page.content  # shown, not editable
    data = {
        f.name: getattr(profile, f.attname)
        for f in model._meta.concrete_fields
        if f.editable and f.name != "user" and not isinstance(getattr(profile, f.attname), bool)
    }
    data.update(
        {f.name: "on" for f in model._meta.concrete_fields if getattr(profile, f.attname) is True}
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = client_for(operator).post(url, {**data, "user": other.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not model.objects.filter(pk=other.pk).exists()
    assert model.objects.filter(pk=profile.pk).exists()


def test_the_role_of_an_account_is_read_only_after_creation(client_for, operator, creator):
    page = client_for(operator).get(f"/admin/admission/user/{creator.pk}/change/")
    assert page.status_code == 200 and b'name="role"' not in page.content
