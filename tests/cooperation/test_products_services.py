"""Product services: create, edit, archive, unarchive — and the rules the database keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from admission.exceptions import NotAdmitted
from cooperation.models import Product, ProductStatus
from cooperation.services import products as services
from hotwave.exceptions import DomainError
from tests.cooperation.factories import ProductFactory, admit, category

pytestmark = pytest.mark.django_db


def create(merchant, **overrides):
    admit(merchant)
    data = {
        "merchant": merchant.merchant,
        "sku": "A-1",
        "title": "陶瓷杯",
        "category": category("home"),
        "price": Decimal("59.90"),
        "service_fee_rate": Decimal("0.15"),
    }
    data.update(overrides)
    return services.product_create(**data)


def test_create_makes_an_active_product(merchant):
    product = create(merchant, title="  陶瓷杯  ")
    assert product.status == ProductStatus.ACTIVE
    assert product.title == "陶瓷杯"
    assert product.price == Decimal("59.90")
    assert product.service_fee_rate == Decimal("0.15")
    assert product.merchant == merchant.merchant


def test_same_sku_twice_for_one_merchant_is_refused(merchant):
    create(merchant)
    with pytest.raises(DomainError) as exc:
        create(merchant, title="另一个")
    assert exc.value.code == "product.sku_taken"
    assert Product.objects.count() == 1


def test_same_sku_at_two_merchants_is_fine(merchant, other_merchant):
    create(merchant)
    create(other_merchant)
    assert Product.objects.filter(sku="A-1").count() == 2


@pytest.mark.parametrize("rate", ["0.0099", "0.8001", "0", "1"])
def test_rate_outside_1_to_80_percent_is_refused(merchant, rate):
    with pytest.raises(DomainError) as exc:
        create(merchant, service_fee_rate=Decimal(rate))
    assert exc.value.code == "product.bad_rate"


@pytest.mark.parametrize("rate", ["0.01", "0.80", "0.125"])
def test_rate_bounds_are_inclusive(merchant, rate):
    assert create(merchant, service_fee_rate=Decimal(rate)).service_fee_rate == Decimal(rate)


@pytest.mark.parametrize("price", ["0", "-1.00", "1.005"])
def test_bad_price_is_refused(merchant, price):
    with pytest.raises(DomainError):
        create(merchant, price=Decimal(price))


def test_database_refuses_a_rate_above_the_cap(merchant):
    product = ProductFactory(merchant=merchant.merchant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(service_fee_rate=Decimal("0.81"))


def test_database_refuses_a_duplicate_sku(merchant):
    ProductFactory(merchant=merchant.merchant, sku="X")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(merchant=merchant.merchant, sku="X")


def test_update_changes_fields_but_never_the_sku(merchant):
    product = create(merchant)
    services.product_update(
        product=product,
        title="新名字",
        category=category("food"),
        price=Decimal("10.00"),
        service_fee_rate=Decimal("0.30"),
    )
    product.refresh_from_db()
    assert (product.title, product.category_id, product.price, product.service_fee_rate) == (
        "新名字",
        "food",
        Decimal("10.00"),
        Decimal("0.30"),
    )
    assert product.sku == "A-1"


def test_update_refuses_a_bad_rate_and_changes_nothing(merchant):
    product = create(merchant)
    with pytest.raises(DomainError):
        services.product_update(
            product=product,
            title="x",
            category=category("food"),
            price=Decimal("10.00"),
            service_fee_rate=Decimal("0.90"),
        )
    product.refresh_from_db()
    assert product.title == "陶瓷杯"


def test_archive_and_unarchive_are_idempotent(merchant):
    product = create(merchant)
    services.product_archive(product=product)
    services.product_archive(product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED
    services.product_unarchive(product=product)
    services.product_unarchive(product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE


def test_a_merchant_not_admitted_cannot_publish(merchant):
    with pytest.raises(NotAdmitted) as exc:
        services.product_create(
            merchant=merchant.merchant,
            sku="A-1",
            title="陶瓷杯",
            category=category("home"),
            price=Decimal("59.90"),
            service_fee_rate=Decimal("0.15"),
        )
    assert exc.value.reasons  # which conditions are unmet
    assert not Product.objects.exists()


def test_a_merchant_not_admitted_cannot_unarchive_but_can_archive(merchant):
    product = ProductFactory(merchant=merchant.merchant)
    services.product_archive(product=product)
    with pytest.raises(NotAdmitted):
        services.product_unarchive(product=product)
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED
