"""Slot fees and product prices are bounded by settings, shown in the forms (issue 20)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.utils import timezone

from admission.models import Category
from cooperation.forms.products import ProductForm
from cooperation.forms.tasks import TaskCreateForm
from cooperation.models import Product
from cooperation.services import products as product_services
from hotwave.exceptions import DomainError
from tests.cooperation.task_factories import ProductFactory, admit

pytestmark = pytest.mark.django_db


def _task_form(merchant, creator, fee: str) -> TaskCreateForm:
    product = ProductFactory(merchant=merchant.merchant)
    return TaskCreateForm(
        {
            "products": [product.pk],
            "slot_fee": fee,
            "planned_live_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
        merchant=merchant.merchant,
        creator=creator.creator,
    )


def test_the_slot_fee_bound_is_shown_and_one_fen_above_is_refused(merchant, creator):
    form = _task_form(merchant, creator, "500000.01")
    assert "¥500,000.00" in str(form.fields["slot_fee"].help_text)
    assert not form.is_valid()
    assert form.errors["slot_fee"] == ["坑位费不能高于 ¥500,000.00。"]
    assert _task_form(merchant, creator, "500000.00").is_valid()


def test_the_slot_fee_of_the_issue_is_refused_on_the_page(client_for, merchant, creator):
    admit(merchant, creator)
    product = ProductFactory(merchant=merchant.merchant)
    r = client_for(merchant).post(
        f"/creators/{creator.creator.pk}/cooperate/",
        {
            "products": [product.pk],
            "slot_fee": "999999999999.99",
            "planned_live_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert "坑位费不能高于 ¥500,000.00。" in r.content.decode()


def test_the_invitation_form_shows_the_available_funds(client_for, merchant, creator):
    admit(merchant, creator)
    page = client_for(merchant).get(f"/creators/{creator.creator.pk}/cooperate/").content.decode()
    assert 'data-testid="available-funds"' in page and "¥100,000.00" in page


@override_settings(HOTWAVE_MAX_PRODUCT_PRICE=D("2000.00"))
def test_the_product_price_bound_is_shown_and_enforced(merchant):
    admit(merchant)
    category = Category.objects.get(code="home")
    data = {"sku": "B-1", "title": "贵重商品", "category": category.pk, "service_fee_percent": "20"}
    form = ProductForm({**data, "price": "2000.01"}, merchant=merchant.merchant)
    assert "¥2,000.00" in str(form.fields["price"].help_text)
    assert not form.is_valid() and form.errors["price"] == ["价格不能高于 ¥2,000.00。"]
    assert ProductForm({**data, "price": "2000.00"}, merchant=merchant.merchant).is_valid()
    with pytest.raises(DomainError) as exc:
        product_services.product_create(
            merchant=merchant.merchant,
            sku="B-2",
            title="贵重商品",
            category=category,
            price=D("2000.01"),
            service_fee_rate=D("0.20"),
        )
    assert exc.value.code == "product.price_above_limit"
    assert not Product.objects.filter(sku="B-2").exists()
