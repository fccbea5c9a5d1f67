"""factory-boy factories for parties."""

from __future__ import annotations

from decimal import Decimal

import factory

from admission.models import Agency, Creator, Merchant, Provider, Role, SellerType, ShopStatus, User


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

    user = factory.SubFactory(
        UserFactory, role=Role.MERCHANT, username=factory.Sequence(lambda n: f"merchant{n}")
    )
    shop_name = factory.Sequence(lambda n: f"店铺{n}")
    seller_type = SellerType.TAOBAO
    shop_status = ShopStatus.NORMAL
    alipay_verified = True


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
