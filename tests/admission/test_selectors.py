"""The set-based twins of the rules agree with ``rules.evaluate``, in one query."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db.models import CharField, Value
from django.utils import timezone

from admission import rules, selectors
from admission.models import (
    Agreement,
    AssessmentStatus,
    Merchant,
    PermissionStatus,
    RestrictedProduct,
    Role,
    SellerType,
    ShopStatus,
)
from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    ProductPermissionFactory,
    ProviderFactory,
    RestrictedProductFactory,
    approve_assessment,
    sign_agreement,
)

pytestmark = pytest.mark.django_db


def _creator_grid():
    out = []
    for gg, alipay, level, signed, active in itertools.product(
        [True, False], [True, False], [0, 1, 4], [True, False], [True, False]
    ):
        c = CreatorFactory(guangguang_eligible=gg, alipay_verified=alipay, level=level)
        if signed:
            sign_agreement(c.user)
        if not active:
            c.user.is_active = False
            c.user.save()
        out.append(c)
    return out


def test_admitted_creators_agrees_with_the_rules_for_every_combination():
    creators = _creator_grid()
    expected = {c.pk for c in creators if rules.evaluate(c.user).admitted}
    assert set(selectors.admitted_creators().values_list("pk", flat=True)) == expected
    assert 0 < len(expected) < len(creators)


def test_admitted_creators_is_a_single_query(django_assert_num_queries):
    _creator_grid()
    with django_assert_num_queries(1):
        list(selectors.admitted_creators())


def test_a_new_agreement_version_unadmits_until_signed_again():
    c = CreatorFactory()
    sign_agreement(c.user)
    assert selectors.admitted_creators().filter(pk=c.pk).exists()
    new = Agreement.objects.create(
        version="2027.1", title="新版", body="……", published_at=timezone.now()
    )
    assert not selectors.admitted_creators().filter(pk=c.pk).exists()
    assert not rules.evaluate(c.user).admitted
    sign_agreement(c.user, new)
    assert selectors.admitted_creators().filter(pk=c.pk).exists()


def test_a_future_version_is_not_yet_in_force():
    c = CreatorFactory()
    sign_agreement(c.user)
    Agreement.objects.create(
        version="2099.1", title="未来版", body="……", published_at=timezone.now() + timedelta(days=5)
    )
    assert rules.evaluate(c.user).admitted
    assert selectors.admitted_creators().filter(pk=c.pk).exists()


def test_merchants_agree_with_the_rules():
    ops_ok = MerchantFactory()
    sign_agreement(ops_ok.user)
    ops_unsigned = MerchantFactory()
    ops_unverified = MerchantFactory(alipay_verified=False)
    sign_agreement(ops_unverified.user)
    made = [ops_ok, ops_unsigned, ops_unverified]
    for alipay, signed, status in itertools.product(
        [True, False], [True, False], [ShopStatus.NORMAL, ShopStatus.RESTRICTED]
    ):
        m = MerchantFactory(alipay_verified=alipay, shop_status=status)
        if signed:
            sign_agreement(m.user)
        made.append(m)
    for ops, status in itertools.product(
        [None, ops_ok, ops_unsigned, ops_unverified], [ShopStatus.NORMAL, ShopStatus.CLOSED]
    ):
        made.append(
            MerchantFactory(
                seller_type=SellerType.TMALL,
                shop_status=status,
                operating_account=ops.user if ops else None,
                alipay_verified=False,
            )
        )
    expected = {m.pk for m in made if rules.evaluate(m.user).admitted}
    assert set(selectors.admitted_merchants().values_list("pk", flat=True)) == expected
    assert (
        Merchant.objects.get(pk__in=expected, seller_type=SellerType.TMALL).operating_account
        == ops_ok.user
    )


def test_agencies_and_providers_agree_with_the_rules():
    agencies = []
    for registered, signed in itertools.product([True, False], repeat=2):
        a = AgencyFactory(registered_verified=registered)
        if signed:
            sign_agreement(a.user)
        agencies.append(a)
    providers = []
    for licence, linked, assessed in itertools.product([True, False], repeat=3):
        p = ProviderFactory(
            licence_verified=licence,
            linked_company="关联公司" if linked else "",
            linked_agency=None,
        )
        sign_agreement(p.user)
        if assessed:
            approve_assessment(p.user)
        providers.append(p)
    assert set(selectors.admitted_agencies().values_list("pk", flat=True)) == {
        a.pk for a in agencies if rules.evaluate(a.user).admitted
    }
    assert set(selectors.admitted_providers().values_list("pk", flat=True)) == {
        p.pk for p in providers if rules.evaluate(p.user).admitted
    }


@pytest.mark.parametrize("role", [Role.MERCHANT, Role.CREATOR, Role.AGENCY, Role.PROVIDER])
def test_unmet_q_matches_verdict_codes(role):
    factories = {
        Role.MERCHANT: lambda: MerchantFactory(alipay_verified=False),
        Role.CREATOR: lambda: CreatorFactory(alipay_verified=False, level=0),
        Role.AGENCY: lambda: AgencyFactory(registered_verified=False),
        Role.PROVIDER: lambda: ProviderFactory(licence_verified=False),
    }
    profile = factories[role]()
    codes = {c.code for c in rules.evaluate(profile.user).conditions if not c.met}
    model = selectors.PROFILE_MODELS[role]
    for code in selectors.condition_table(role):
        hit = model.objects.filter(selectors.unmet_q(role, code), pk=profile.pk).exists()
        assert hit is (code in codes), code


def test_is_admitted():
    c = CreatorFactory()
    assert not selectors.is_admitted(c.user)
    sign_agreement(c.user)
    assert selectors.is_admitted(c.user)


def test_provider_assessment_rejected_then_approved():
    from admission.models import Assessment

    p = ProviderFactory(linked_company="某公司")
    sign_agreement(p.user)
    Assessment.objects.create(
        user=p.user, status=AssessmentStatus.REJECTED, requested_at=timezone.now()
    )
    assert not selectors.admitted_providers().filter(pk=p.pk).exists()
    approve_assessment(p.user)
    assert selectors.admitted_providers().filter(pk=p.pk).exists()
    assert rules.evaluate(p.user).admitted


# --- Restricted products -------------------------------------------------------------------


def test_blocked_products_q_keeps_unrestricted_and_permitted_products():
    m = MerchantFactory()
    other = MerchantFactory()
    RestrictedProductFactory(merchant=m, sku="R-NONE")
    RestrictedProductFactory(merchant=m, sku="R-GRANTED")
    ProductPermissionFactory(merchant=m, sku="R-GRANTED", status=PermissionStatus.GRANTED)
    RestrictedProductFactory(merchant=m, sku="R-REVOKED")
    ProductPermissionFactory(merchant=m, sku="R-REVOKED", status=PermissionStatus.REVOKED)
    RestrictedProductFactory(merchant=m, sku="R-REQUESTED")
    ProductPermissionFactory(merchant=m, sku="R-REQUESTED", status=PermissionStatus.REQUESTED)
    # Same SKU at another merchant: restricted there, not here.
    RestrictedProductFactory(merchant=other, sku="FREE")
    # RestrictedProduct itself has merchant and sku: filter a list of candidate rows built
    # from it plus unrestricted ones, as cooperation's Product will be filtered.
    candidates = {
        "R-NONE": False,
        "R-GRANTED": True,
        "R-REVOKED": False,
        "R-REQUESTED": False,
        "FREE": True,
    }
    for sku, allowed in candidates.items():
        row = RestrictedProduct.objects.filter(merchant=other, sku="FREE").annotate(
            m=Value(m.pk), s=Value(sku, output_field=CharField())
        )
        kept = row.filter(selectors.blocked_products_q(merchant_field="m", sku_field="s")).exists()
        assert kept is allowed, sku


def test_restricted_products_for_is_scoped_and_annotated():
    m = MerchantFactory()
    other = MerchantFactory()
    RestrictedProductFactory(merchant=m, sku="A")
    ProductPermissionFactory(merchant=m, sku="A", status=PermissionStatus.REQUESTED)
    RestrictedProductFactory(merchant=other, sku="B")
    rows = list(selectors.restricted_products_for(merchant=m))
    assert [(r.sku, r.permission_status) for r in rows] == [("A", "requested")]
