"""factory-boy factories for parties."""

from __future__ import annotations

from decimal import Decimal

import factory

from admission.models import Agency, Creator, Merchant, Provider, Role, SellerType, ShopStatus, User
from settlement.models import MerchantFunds

# What a factory merchant may hold in slot fees without topping up (授信额度).
TEST_MERCHANT_CREDIT = Decimal("100000.00")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CREATOR
    password = factory.django.Password("pw-hotwave-test")


class OperatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"operator{n}")
    role = Role.OPERATOR
    is_staff = True
    is_superuser = True


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory, role=Role.MERCHANT, username=factory.Sequence(lambda n: f"merchant{n}")
    )
    shop_name = factory.Sequence(lambda n: f"店铺{n}")
    seller_type = SellerType.TAOBAO
    shop_status = ShopStatus.NORMAL
    alipay_verified = True

    @factory.post_generation
    def credit_limit(obj, create, extracted, **kwargs):
        """Test merchants can fund slot fees: ¥100,000.00 of credit unless told otherwise."""
        if not create:
            return
        value = TEST_MERCHANT_CREDIT if extracted is None else extracted
        if value:
            MerchantFunds.objects.update_or_create(merchant=obj, defaults={"credit_limit": value})


class CreatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creator

    user = factory.SubFactory(
        UserFactory, role=Role.CREATOR, username=factory.Sequence(lambda n: f"creator{n}")
    )
    nickname = factory.Sequence(lambda n: f"达人{n}")
    fans = 10_000
    avg_viewers = 500
    quote = Decimal("1000.00")
    level = 2
    alipay_verified = True


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    user = factory.SubFactory(
        UserFactory, role=Role.AGENCY, username=factory.Sequence(lambda n: f"agency{n}")
    )
    name = factory.Sequence(lambda n: f"机构{n}")
    registered_verified = True
    licence_verified = True


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    user = factory.SubFactory(
        UserFactory, role=Role.PROVIDER, username=factory.Sequence(lambda n: f"provider{n}")
    )
    company_name = factory.Sequence(lambda n: f"服务商{n}")
    licence_verified = True
    linked_company = factory.LazyAttribute(lambda o: o.company_name)


# --- Admission records -------------------------------------------------------------
# Profile factories leave parties unsigned (not admitted); pass ``signed=True`` or
# call ``sign_agreement(user)`` to admit them.

from datetime import timedelta  # noqa: E402

from django.utils import timezone  # noqa: E402

from admission.models import (  # noqa: E402
    Activity,
    Agreement,
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    MarketingCompliance,
    PermissionStatus,
    ProductPermission,
    RestrictedProduct,
)


def current_or_new_agreement() -> Agreement:
    from admission.rules import current_agreement

    return current_agreement() or Agreement.objects.create(
        version="test-1",
        title="授权协议",
        body="测试协议正文",
        published_at=timezone.now() - timedelta(days=1),
    )


def sign_agreement(user, agreement: Agreement | None = None) -> AgreementSignature:
    """``user`` signs ``agreement`` (default: the version in force). Idempotent."""
    signature, _ = AgreementSignature.objects.get_or_create(
        user=user,
        agreement=agreement or current_or_new_agreement(),
        defaults={"signed_at": timezone.now()},
    )
    return signature


def approve_assessment(user) -> Assessment:
    return Assessment.objects.create(
        user=user, status=AssessmentStatus.APPROVED, requested_at=timezone.now(), note="测试考核"
    )


def admitted(factory_cls, **kwargs):
    """Create a profile with ``factory_cls`` and make it admitted (signed; providers assessed)."""
    profile = factory_cls(**kwargs)
    sign_agreement(profile.user)
    if isinstance(profile, Provider):
        approve_assessment(profile.user)
    return profile


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    name = factory.Sequence(lambda n: f"官方活动{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    requires_marketing_compliance = True


class ComplianceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingCompliance

    user = factory.SubFactory(UserFactory)
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=60))
    note = "测试合规"


class RestrictedProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RestrictedProduct

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-R{n:04d}")
    reason = "需提供资质证明"


class ProductPermissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductPermission

    merchant = factory.SubFactory(MerchantFactory)
    sku = factory.Sequence(lambda n: f"SKU-R{n:04d}")
    status = PermissionStatus.GRANTED
    requested_at = factory.LazyFunction(timezone.now)
