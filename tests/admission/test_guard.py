"""The guard: admission from current data on every call, activities, restricted products."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from admission.exceptions import NotAdmitted, ProductRestricted
from admission.guard import ACTIONS, require_admitted, require_product_allowed
from admission.models import PermissionStatus, ShopStatus
from hotwave.exceptions import DomainError
from tests.admission.factories import (
    ActivityFactory,
    AgencyFactory,
    ComplianceFactory,
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
    ProductPermissionFactory,
    ProviderFactory,
    RestrictedProductFactory,
    admitted,
    sign_agreement,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", [*ACTIONS, "something_new"])
def test_admitted_parties_pass_every_action(action):
    for factory in (MerchantFactory, CreatorFactory, AgencyFactory, ProviderFactory):
        require_admitted(admitted(factory).user, action=action)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_unadmitted_parties_are_refused_with_their_reasons(action):
    creator = CreatorFactory(alipay_verified=False, level=1)
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(creator.user, action=action)
    err = exc.value
    assert isinstance(err, DomainError)
    assert err.code == "admission.not_admitted"
    assert str(ACTIONS[action]) in err.message
    assert creator.nickname in err.message
    assert "未签署当前版本的授权协议（版本 2026.1）" in err.reasons
    assert "任一准入路径「实名认证主播」：支付宝实名认证待核实" in err.reasons
    assert {c.code for c in err.conditions} >= {"agreement_signed", "alipay_verified"}
    assert err.action == action


def test_unknown_action_gets_a_generic_wording():
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(CreatorFactory().user, action="teleport")
    assert "进行此操作" in exc.value.message


def test_operators_are_not_parties():
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(OperatorFactory(), action="invite")
    assert exc.value.reasons == ["平台运营账户不参与合作"]


def test_losing_a_qualification_stops_the_party_at_once():
    merchant = admitted(MerchantFactory)
    require_admitted(merchant.user, action="invite")
    merchant.shop_status = ShopStatus.RESTRICTED
    merchant.save()
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(merchant.user, action="invite")
    assert exc.value.reasons == ["店铺状态为「受限」，需恢复为「正常」"]


def test_deactivated_account_is_refused():
    creator = admitted(CreatorFactory)
    creator.user.is_active = False
    creator.user.save()
    with pytest.raises(NotAdmitted):
        require_admitted(creator.user, action="accept")


def test_tmall_follows_its_operating_account():
    ops = admitted(MerchantFactory)
    shop = MerchantFactory(seller_type="tmall", operating_account=ops.user, alipay_verified=False)
    require_admitted(shop.user, action="invite")
    ops.alipay_verified = False
    ops.save()
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(shop.user, action="invite")
    assert exc.value.reasons == ["运营账户支付宝实名认证待核实"]


# --- Special activities ---------------------------------------------------------------------


def test_activity_requires_compliance_covering_the_rest_of_it():
    creator = admitted(CreatorFactory)
    activity = ActivityFactory(name="双12 年终好物节")
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(creator.user, action="accept", activity=activity)
    assert "不满足官方活动的准入要求" in exc.value.message
    assert "双12 年终好物节" in exc.value.reasons[0]
    assert [c.code for c in exc.value.conditions] == ["marketing_compliance"]

    # A record that lapses before the activity ends does not cover it.
    ComplianceFactory(user=creator.user, valid_until=activity.ends_at - timedelta(hours=1))
    with pytest.raises(NotAdmitted):
        require_admitted(creator.user, action="accept", activity=activity)

    ComplianceFactory(user=creator.user, valid_until=activity.ends_at + timedelta(days=1))
    require_admitted(creator.user, action="accept", activity=activity)


def test_compliance_starting_after_the_activity_began_covers_what_remains():
    merchant = admitted(MerchantFactory)
    activity = ActivityFactory(starts_at=timezone.now() - timedelta(days=5))
    ComplianceFactory(
        user=merchant.user,
        valid_from=timezone.now() - timedelta(hours=1),
        valid_until=activity.ends_at,
    )
    require_admitted(merchant.user, action="invite", activity=activity)


def test_upcoming_activity_needs_compliance_from_its_start():
    merchant = admitted(MerchantFactory)
    start = timezone.now() + timedelta(days=3)
    activity = ActivityFactory(starts_at=start, ends_at=start + timedelta(days=7))
    ComplianceFactory(user=merchant.user, valid_from=start + timedelta(days=1))
    with pytest.raises(NotAdmitted):
        require_admitted(merchant.user, action="invite", activity=activity)


def test_activity_without_requirement_and_ended_activity():
    creator = admitted(CreatorFactory)
    require_admitted(
        creator.user, action="accept", activity=ActivityFactory(requires_marketing_compliance=False)
    )
    ended = ActivityFactory(
        starts_at=timezone.now() - timedelta(days=10), ends_at=timezone.now() - timedelta(days=1)
    )
    ComplianceFactory(user=creator.user, valid_from=timezone.now() - timedelta(days=30))
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(creator.user, action="accept", activity=ended)
    assert "已于" in exc.value.reasons[0]


def test_unadmitted_party_in_an_activity_gets_both_kinds_of_reasons():
    creator = CreatorFactory()
    with pytest.raises(NotAdmitted) as exc:
        require_admitted(creator.user, action="accept", activity=ActivityFactory())
    codes = [c.code for c in exc.value.conditions]
    assert "agreement_signed" in codes and "marketing_compliance" in codes


# --- Restricted products --------------------------------------------------------------------


def test_unrestricted_product_is_allowed():
    require_product_allowed(merchant=MerchantFactory(), sku="ANY")


def test_restricted_product_is_refused_with_the_reason():
    m = MerchantFactory()
    RestrictedProductFactory(merchant=m, sku="SKU-9", reason="保健食品需批准文号")
    with pytest.raises(ProductRestricted) as exc:
        require_product_allowed(merchant=m, sku="SKU-9")
    err = exc.value
    assert isinstance(err, DomainError)
    assert "SKU-9" in err.message and "限制推广商品" in err.message
    assert err.reason == "保健食品需批准文号"
    assert "限制原因：保健食品需批准文号" in err.reasons
    # The merchant's user works too (same primary key).
    with pytest.raises(ProductRestricted):
        require_product_allowed(merchant=m.user, sku="SKU-9")


@pytest.mark.parametrize(
    "status,allowed",
    [
        (PermissionStatus.GRANTED, True),
        (PermissionStatus.REQUESTED, False),
        (PermissionStatus.REFUSED, False),
        (PermissionStatus.REVOKED, False),
    ],
)
def test_permission_states(status, allowed):
    m = MerchantFactory()
    RestrictedProductFactory(merchant=m, sku="S")
    ProductPermissionFactory(merchant=m, sku="S", status=status)
    if allowed:
        require_product_allowed(merchant=m, sku="S")
    else:
        with pytest.raises(ProductRestricted):
            require_product_allowed(merchant=m, sku="S")


def test_permission_is_per_merchant():
    m, other = MerchantFactory(), MerchantFactory()
    RestrictedProductFactory(merchant=m, sku="S")
    ProductPermissionFactory(merchant=other, sku="S", status=PermissionStatus.GRANTED)
    with pytest.raises(ProductRestricted):
        require_product_allowed(merchant=m, sku="S")


def test_guard_query_budget(django_assert_max_num_queries):
    creator = CreatorFactory()
    sign_agreement(creator.user)
    with django_assert_max_num_queries(4):
        require_admitted(creator.user, action="accept")


def test_guard_reads_current_data_not_the_callers_cached_objects():
    creator = admitted(CreatorFactory)
    user = creator.user
    assert user.creator.alipay_verified  # cached on the caller's user
    from admission.models import Creator

    Creator.objects.filter(pk=creator.pk).update(alipay_verified=False, guangguang_eligible=False)
    with pytest.raises(NotAdmitted):
        require_admitted(user, action="accept")
