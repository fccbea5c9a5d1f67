"""Money fields take plain decimal text only, the same rules as the events import (issue 13, defect 6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cooperation.filters import PlazaFilter
from cooperation.forms.products import ProductForm
from cooperation.forms.tasks import TaskCreateForm
from cooperation.models import Task
from hotwave.fields import DecimalTextField, MoneyField
from settlement.forms import ShareChangeForm
from tests.cooperation.task_factories import ProductFactory, admit

pytestmark = pytest.mark.django_db

NOT_PLAIN = [
    "1e3",
    "1E3",
    "1e-2",
    "Infinity",
    "inf",
    "NaN",
    "-1",
    "+1",
    "1 000",
    "1,000",
    "1_000",
    "¥100",
    "１００",
    "0x10",
    "1.2.3",
    ".",
    "100元",
]


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_a_money_field_refuses_what_is_not_plain_decimal_text(text):
    field = MoneyField()
    with pytest.raises(ValidationError):
        field.clean(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("3000", "3000"), ("2999.50", "2999.50"), (" 12.5 ", "12.5"), ("0.01", "0.01"), (".5", "0.5")],
)
def test_a_money_field_takes_plain_decimal_text(text, value):
    assert MoneyField().clean(text) == Decimal(value)


def test_a_money_field_refuses_a_third_decimal_in_our_words():
    with pytest.raises(ValidationError) as caught:
        MoneyField().clean("1.005")
    assert caught.value.messages == ["金额最多两位小数（精确到分）。"]


def test_a_signed_decimal_field_takes_a_minus_but_no_exponent():
    field = DecimalTextField(signed=True, decimal_places=2)
    assert field.clean("-1.50") == Decimal("-1.50")
    with pytest.raises(ValidationError):
        field.clean("-1e2")


def test_money_inputs_are_text_inputs_for_decimals():
    html = str(
        MoneyField().widget.render(
            "price", "", attrs=MoneyField().widget_attrs(MoneyField().widget)
        )
    )
    assert 'type="text"' in html and 'inputmode="decimal"' in html


@pytest.mark.parametrize("text", ["1e3", "1000.", "１０００", "1,000"])
def test_the_slot_fee_takes_plain_text_only(merchant, creator, text):
    product = ProductFactory(merchant=merchant.merchant)
    form = TaskCreateForm(
        {
            "products": [product.pk],
            "slot_fee": text,
            "planned_live_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
        merchant=merchant.merchant,
        creator=creator.creator,
    )
    if text == "1000.":  # a trailing point is still plain decimal text (as in the events)
        assert form.is_valid(), form.errors
        return
    assert not form.is_valid()
    assert form.errors["slot_fee"] == ["请输入金额，例如 3000 或 2999.50。"]


def test_a_slot_fee_of_1e3_starts_no_task(client_for, merchant, creator):
    admit(merchant, creator)
    product = ProductFactory(merchant=merchant.merchant)
    response = client_for(merchant).post(
        reverse("cooperation:task_create", args=[creator.creator.pk]),
        {
            "products": [product.pk],
            "slot_fee": "1e3",
            "planned_live_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert not Task.objects.exists()
    assert "请输入金额，例如 3000 或 2999.50。" in response.content.decode()


@pytest.mark.parametrize("text", ["1e3", "-5", "9,99"])
def test_the_product_price_takes_plain_text_only(merchant, text):
    form = ProductForm(
        {"sku": "S-1", "title": "杯子", "category": "", "price": text, "service_fee_percent": "15"},
        merchant=merchant.merchant,
    )
    assert not form.is_valid()
    assert "price" in form.errors


def test_the_service_fee_rate_and_the_share_take_plain_text_only(merchant):
    form = ProductForm(
        {"sku": "S-1", "title": "杯子", "price": "10", "service_fee_percent": "1e1"},
        merchant=merchant.merchant,
    )
    assert not form.is_valid() and "service_fee_percent" in form.errors
    share = ShareChangeForm({"agency_share": "3e1"})
    assert not share.is_valid() and "agency_share" in share.errors


def test_the_plaza_quote_filter_takes_plain_text_only(db):
    filters = PlazaFilter({"quote_min": "1e3"})
    assert not filters.form.is_valid()
    assert "quote_min" in filters.form.errors
    assert PlazaFilter({"quote_min": "1000"}).form.is_valid()


def test_admin_decimal_fields_parse_like_every_money_field(rf):
    from django.contrib import admin

    from admission.models import Creator
    from tests.admission.factories import OperatorFactory

    request = rf.get("/admin/")
    request.user = OperatorFactory(is_superuser=True)
    form = admin.site._registry[Creator].get_form(request)()
    quote = form.fields["quote"]
    assert isinstance(quote, DecimalTextField)
    assert quote.clean("3000.50") == Decimal("3000.50")
    for text in ("1e3", "NaN", "3 000"):
        with pytest.raises(ValidationError):
            quote.clean(text)
