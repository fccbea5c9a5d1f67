"""Services of the 准入中心 and of operators."""

from __future__ import annotations

import pytest
from django.utils import timezone

from admission import rules, services
from admission.models import (
    Agreement,
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    DesignationStatus,
    Merchant,
    OperatingAccountRequest,
    PermissionStatus,
    ProductPermission,
    SellerType,
)
from hotwave.exceptions import DomainError
from tests.admission.factories import (
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
    ProviderFactory,
    RestrictedProductFactory,
    admitted,
    sign_agreement,
)

pytestmark = pytest.mark.django_db


# --- Agreement -------------------------------------------------------------------------


def test_signing_records_version_and_time_and_twice_is_harmless():
    creator = CreatorFactory(level=1)
    first = services.agreement_sign(user=creator.user, version="2026.1", ip_address="127.0.0.1")
    assert first.agreement.version == "2026.1"
    assert first.signed_at <= timezone.now()
    again = services.agreement_sign(user=creator.user, version="2026.1")
    assert again.pk == first.pk
    assert AgreementSignature.objects.filter(user=creator.user).count() == 1


def test_signing_an_outdated_version_is_refused_at_the_field():
    Agreement.objects.create(version="2027.1", title="新版", body="……", published_at=timezone.now())
    with pytest.raises(services.FieldError) as exc:
        services.agreement_sign(user=CreatorFactory().user, version="2026.1")
    assert exc.value.field == "version"
    assert "2027.1" in exc.value.message


def test_new_version_needs_a_new_signature():
    creator = CreatorFactory(level=1)
    services.agreement_sign(user=creator.user, version="2026.1")
    assert rules.evaluate(creator.user).admitted
    Agreement.objects.create(version="2027.1", title="新版", body="……", published_at=timezone.now())
    assert not rules.evaluate(creator.user).admitted
    services.agreement_sign(user=creator.user, version="2027.1")
    assert rules.evaluate(creator.user).admitted
    assert AgreementSignature.objects.filter(user=creator.user).count() == 2  # history kept


def test_operators_do_not_sign():
    with pytest.raises(DomainError):
        services.agreement_sign(user=OperatorFactory(), version="2026.1")


# --- Tmall operating account ---------------------------------------------------------------


@pytest.fixture
def tmall():
    return MerchantFactory(seller_type=SellerType.TMALL, shop_name="天猫店")


@pytest.fixture
def ops():
    return admitted(MerchantFactory, user__username="tm_ops")


def test_designation_then_confirmation_sets_the_operating_account(tmall, ops):
    req = services.operating_account_designate(shop=tmall, username=" tm_ops ")
    assert req.status == DesignationStatus.PENDING
    tmall.refresh_from_db()
    assert tmall.operating_account is None  # not before the account confirms
    services.operating_request_decide(request=req, actor=ops.user, accept=True)
    tmall.refresh_from_db()
    assert tmall.operating_account == ops.user
    assert rules.evaluate(tmall.user).admitted


def test_designating_twice_keeps_one_pending_request(tmall, ops):
    a = services.operating_account_designate(shop=tmall, username="tm_ops")
    b = services.operating_account_designate(shop=tmall, username="tm_ops")
    assert a.pk == b.pk
    other = admitted(MerchantFactory, user__username="tm_ops2")
    services.operating_account_designate(shop=tmall, username=other.user.username)
    assert OperatingAccountRequest.objects.filter(shop=tmall, status="pending").count() == 1
    a.refresh_from_db()
    assert a.status == DesignationStatus.WITHDRAWN


def _refusal(shop, username) -> str:
    with pytest.raises(services.FieldError) as exc:
        services.operating_account_designate(shop=shop, username=username)
    assert exc.value.field == "username"
    return exc.value.code


def test_the_shop_is_refused_only_what_it_knows_itself(tmall, ops):
    assert _refusal(tmall, tmall.user.username) == "operating.self"
    req = services.operating_account_designate(shop=tmall, username="tm_ops")
    services.operating_request_decide(request=req, actor=ops.user, accept=True)
    tmall.refresh_from_db()
    assert _refusal(tmall, "tm_ops") == "operating.already"


def _unfit_accounts(tmall) -> dict[str, object]:
    unverified = MerchantFactory(alipay_verified=False)
    sign_agreement(unverified.user)
    taken = admitted(MerchantFactory)
    MerchantFactory(seller_type=SellerType.TMALL, operating_account=taken.user)
    return {
        "nobody": None,
        "creator": CreatorFactory().user,
        "other_tmall": admitted(MerchantFactory, seller_type=SellerType.TMALL).user,
        "unverified": unverified.user,
        "unsigned": MerchantFactory().user,
        "taken": taken.user,
    }


def test_any_other_name_gets_the_same_pending_request(tmall):
    """Naming an account tells the shop nothing about it (issue 14, defect 8)."""
    for what, user in _unfit_accounts(tmall).items():
        username = user.username if user else "nobody"
        req = services.operating_account_designate(shop=tmall, username=username)
        assert (req.status, req.username) == (DesignationStatus.PENDING, username), what
        # Only a Taobao-seller login can see and answer it.
        seller = user is not None and what not in ("creator", "other_tmall")
        assert (req.account == user) if seller else req.account is None, what


def test_the_named_account_learns_what_it_lacks_when_it_confirms(tmall):
    accounts = _unfit_accounts(tmall)
    expected = {
        "unverified": "operating.unverified",
        "unsigned": "operating.unsigned",
        "taken": "operating.taken",
    }
    for what, code in expected.items():
        user = accounts[what]
        req = services.operating_account_designate(shop=tmall, username=user.username)
        with pytest.raises(DomainError) as exc:
            services.operating_request_decide(request=req, actor=user, accept=True)
        assert exc.value.code == code, what
    tmall.refresh_from_db()
    assert tmall.operating_account is None


def test_only_tmall_designates(ops):
    with pytest.raises(DomainError):
        services.operating_account_designate(shop=MerchantFactory(), username="tm_ops")


def test_only_the_named_account_decides(tmall, ops):
    req = services.operating_account_designate(shop=tmall, username="tm_ops")
    with pytest.raises(DomainError):
        services.operating_request_decide(request=req, actor=tmall.user, accept=True)
    services.operating_request_decide(request=req, actor=ops.user, accept=False)
    tmall.refresh_from_db()
    assert tmall.operating_account is None
    with pytest.raises(DomainError):  # already decided
        services.operating_request_decide(request=req, actor=ops.user, accept=True)


def test_confirmation_rechecks_the_account(tmall, ops):
    req = services.operating_account_designate(shop=tmall, username="tm_ops")
    Merchant.objects.filter(pk=ops.pk).update(alipay_verified=False)
    with pytest.raises(DomainError):
        services.operating_request_decide(request=req, actor=ops.user, accept=True)


# --- Assessment ------------------------------------------------------------------------------


def test_provider_requests_an_assessment_once():
    p = ProviderFactory()
    a = services.assessment_request(user=p.user, note="我们是代运营公司，关联星河传媒。")
    b = services.assessment_request(user=p.user, note="再次申请")
    assert a.pk == b.pk
    assert a.status == AssessmentStatus.PENDING


def test_assessment_only_for_special_accounts():
    with pytest.raises(DomainError):
        services.assessment_request(user=CreatorFactory().user, note="我也想考核一下")


def test_operator_decides_and_the_provider_is_admitted():
    p = ProviderFactory()
    sign_agreement(p.user)
    a = services.assessment_request(user=p.user, note="申请考核，资料齐全。")
    assert not rules.evaluate(p.user).admitted
    with pytest.raises(DomainError):
        services.assessment_decide(assessment=a, operator=p.user, approve=True)
    op = OperatorFactory()
    services.assessment_decide(assessment=a, operator=op, approve=True, note="通过")
    assert rules.evaluate(p.user).admitted
    assert a.history.first().history_user == op
    with pytest.raises(DomainError):
        services.assessment_request(user=p.user, note="已经通过了还申请")


def test_rejected_assessment_can_be_requested_again():
    p = ProviderFactory()
    a = services.assessment_request(user=p.user, note="第一次申请考核")
    services.assessment_decide(assessment=a, operator=OperatorFactory(), approve=False)
    b = services.assessment_request(user=p.user, note="补充材料后再申请")
    assert b.pk != a.pk and Assessment.objects.filter(user=p.user).count() == 2


# --- Restricted products -------------------------------------------------------------------


def test_permission_request_grant_revoke():
    m = MerchantFactory()
    r = RestrictedProductFactory(merchant=m, sku="S1")
    p = services.product_permission_request(merchant=m, restricted=r, note="有批准文号")
    assert p.status == PermissionStatus.REQUESTED
    assert services.product_permission_request(merchant=m, restricted=r, note="再次").pk == p.pk
    op = OperatorFactory()
    services.product_permission_set(operator=op, merchant=m, sku="S1", status="granted")
    with pytest.raises(DomainError):
        services.product_permission_request(merchant=m, restricted=r, note="已授权再申请")
    services.product_permission_set(operator=op, merchant=m, sku="S1", status="revoked")
    again = services.product_permission_request(merchant=m, restricted=r, note="重新申请")
    assert again.status == PermissionStatus.REQUESTED
    assert ProductPermission.objects.get(pk=p.pk).history.count() >= 4


def test_permission_request_for_another_merchants_product_is_refused():
    r = RestrictedProductFactory()
    with pytest.raises(DomainError):
        services.product_permission_request(
            merchant=MerchantFactory(), restricted=r, note="不是我的"
        )


def test_only_operators_set_permissions():
    m = MerchantFactory()
    with pytest.raises(DomainError):
        services.product_permission_set(operator=m.user, merchant=m, sku="S", status="granted")


# --- Verification flags -------------------------------------------------------------------------


def test_flags_set_writes_an_audit_row_per_change():
    from admission.models import Creator

    a = CreatorFactory(alipay_verified=False)
    b = CreatorFactory(alipay_verified=True)
    op = OperatorFactory()
    n = services.flags_set(
        operator=op,
        profiles=Creator.objects.filter(pk__in=[a.pk, b.pk]),
        field="alipay_verified",
        value=True,
    )
    assert n == 1
    latest = a.history.first()
    assert latest.history_user == op and latest.alipay_verified is True
    assert latest.prev_record.alipay_verified is False


def test_flags_set_refuses_non_operators_and_other_fields():
    from admission.models import Creator

    c = CreatorFactory(alipay_verified=False)
    with pytest.raises(DomainError):
        services.flags_set(
            operator=c.user, profiles=Creator.objects.all(), field="alipay_verified", value=True
        )
    with pytest.raises(DomainError):
        services.flags_set(
            operator=OperatorFactory(), profiles=Creator.objects.all(), field="quote", value=0
        )
    c.refresh_from_db()
    assert c.alipay_verified is False
