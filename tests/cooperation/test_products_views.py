"""我的商品 pages: access, list with search and paging, create/edit at the field, archive."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cooperation.models import Product, ProductStatus
from tests.cooperation.factories import ProductFactory, admit, restrict, with_image

pytestmark = pytest.mark.django_db

LIST = reverse("cooperation:product_list")
NEW = reverse("cooperation:product_create")


def form_data(**overrides):
    data = {
        "sku": "NEW-1",
        "title": "竹纤维毛巾",
        "category": "home",
        "price": "29.90",
        "service_fee_percent": "15",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(anonymous):
    response = anonymous.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["creator", "agency", "operator"])
def test_other_roles_get_404(request, client_for, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(LIST).status_code == 404
    assert client_for(user).get(NEW).status_code == 404


def test_list_shows_only_own_products(client_for, merchant, other_merchant):
    ProductFactory(merchant=merchant.merchant, title="我的杯子")
    ProductFactory(merchant=other_merchant.merchant, title="别人的杯子")
    body = client_for(merchant).get(LIST).content.decode()
    assert "我的杯子" in body
    assert "别人的杯子" not in body


def test_search_by_title_or_sku_and_status_tab(client_for, merchant):
    m = merchant.merchant
    ProductFactory(merchant=m, title="手冲咖啡壶", sku="CF-1")
    ProductFactory(merchant=m, title="毛巾", sku="TW-1")
    ProductFactory(merchant=m, title="旧咖啡豆", sku="CF-2", status=ProductStatus.ARCHIVED)
    c = client_for(merchant)
    body = c.get(LIST, {"q": "咖啡"}).content.decode()
    assert "手冲咖啡壶" in body and "旧咖啡豆" in body and "毛巾" not in body
    body = c.get(LIST, {"q": "tw-"}).content.decode()
    assert "毛巾" in body and "咖啡" not in body
    body = c.get(LIST, {"status": "archived"}).content.decode()
    assert "旧咖啡豆" in body and "手冲咖啡壶" not in body


def test_htmx_gets_the_results_partial_and_a_full_page_otherwise(client_for, merchant):
    ProductFactory(merchant=merchant.merchant, title="毛巾")
    c = client_for(merchant)
    full = c.get(LIST).content.decode()
    partial = c.get(LIST, {"q": "毛"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and 'id="product-results"' in full
    assert "<html" not in partial and partial.lstrip().startswith('<section id="product-results"')
    assert "毛巾" in partial


def test_list_is_paged(client_for, merchant):
    ProductFactory.create_batch(25, merchant=merchant.merchant)
    c = client_for(merchant)
    page1 = c.get(LIST).context["page"]
    page2 = c.get(LIST, {"page": 2}).context["page"]
    assert len(page1.object_list) == 20 and len(page2.object_list) == 5


def test_list_query_count_does_not_grow_with_products(
    client_for, merchant, django_assert_num_queries
):
    c = client_for(merchant)
    c.get(LIST)  # the first request after login rewrites the session
    ProductFactory.create_batch(3, merchant=merchant.merchant)
    # session, user, merchant, paginator count, tab counts, categories (filter), page rows
    with django_assert_num_queries(7):
        c.get(LIST)
    for product in ProductFactory.create_batch(30, merchant=merchant.merchant):
        with_image(product)  # thumbnails come in the rows' query
    with django_assert_num_queries(7):
        body = c.get(LIST).content.decode()
    assert body.count('<img class="product-thumb') == 20


def test_restricted_product_is_marked_in_the_list(client_for, merchant):
    product = ProductFactory(merchant=merchant.merchant)
    restrict(product)
    assert "限制推广" in client_for(merchant).get(LIST).content.decode()


def test_create_with_a_percentage(client_for, merchant):
    admit(merchant)
    response = client_for(merchant).post(NEW, form_data(service_fee_percent="12.5"))
    assert response.status_code == 302
    product = Product.objects.get(merchant=merchant.merchant, sku="NEW-1")
    assert product.service_fee_rate == Decimal("0.125")
    assert product.price == Decimal("29.90")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("service_fee_percent", "81", "服务费率不能高于 80%"),
        ("service_fee_percent", "0.5", "服务费率不能低于 1%"),
        ("service_fee_percent", "abc", "请输入数字"),
        ("service_fee_percent", "10.123", "服务费率最多两位小数"),
        ("price", "0", ""),
        ("price", "-3", ""),
        ("title", "   ", ""),
        ("category", "nope", ""),
        ("sku", "", ""),
    ],
)
def test_bad_input_is_shown_at_the_field(client_for, merchant, field, value, message):
    response = client_for(merchant).post(NEW, form_data(**{field: value}))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    if message:
        assert any(message in e for e in form.errors[field])
    assert 'class="field__error"' in response.content.decode()
    assert not Product.objects.exists()


def test_duplicate_sku_is_shown_at_the_field(client_for, merchant):
    ProductFactory(merchant=merchant.merchant, sku="NEW-1")
    response = client_for(merchant).post(NEW, form_data())
    assert "sku" in response.context["form"].errors
    assert Product.objects.count() == 1


def test_edit_own_product(client_for, merchant):
    product = ProductFactory(merchant=merchant.merchant, sku="KEEP")
    url = reverse("cooperation:product_edit", args=[product.pk])
    c = client_for(merchant)
    assert c.get(url).status_code == 200
    response = c.post(url, form_data(sku="CHANGED", title="改名了", service_fee_percent="33"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.title, product.sku, product.service_fee_rate) == (
        "改名了",
        "KEEP",
        Decimal("0.33"),
    )
    # Audit trail (issue #8): who changed the rate, from what to what, and when.
    last, before = product.history.order_by("-history_id")[:2]
    assert last.history_user_id == merchant.pk and last.history_type == "~"
    assert before.service_fee_rate != Decimal("0.33") == last.service_fee_rate


def test_other_merchants_product_is_404(client_for, merchant, other_merchant):
    product = ProductFactory(merchant=other_merchant.merchant)
    c = client_for(merchant)
    assert c.get(reverse("cooperation:product_edit", args=[product.pk])).status_code == 404
    assert c.post(reverse("cooperation:product_archive", args=[product.pk])).status_code == 404
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE


def test_archive_and_unarchive(client_for, merchant):
    admit(merchant)
    product = ProductFactory(merchant=merchant.merchant)
    c = client_for(merchant)
    # A GET only asks (the confirmation page); it never archives.
    assert c.get(reverse("cooperation:product_archive", args=[product.pk])).status_code == 200
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE
    response = c.post(reverse("cooperation:product_archive", args=[product.pk]))
    assert response.status_code == 302 and response.url == LIST
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED
    c.post(reverse("cooperation:product_unarchive", args=[product.pk]), {"next": LIST + "?q=x"})
    product.refresh_from_db()
    assert product.status == ProductStatus.ACTIVE


def test_archive_ignores_an_offsite_next(client_for, merchant):
    product = ProductFactory(merchant=merchant.merchant)
    url = reverse("cooperation:product_archive", args=[product.pk])
    response = client_for(merchant).post(url, {"next": "https://evil.example/"})
    assert response.url == LIST


def test_a_merchant_not_admitted_sees_why_at_the_form(client_for, merchant):
    response = client_for(merchant).post(NEW, form_data())
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert any("尚未通过准入" in e for e in errors) and len(errors) > 1
    assert 'class="error-summary"' in response.content.decode()
    assert not Product.objects.exists()


def test_unarchive_refusal_is_a_message(client_for, merchant):
    product = ProductFactory(merchant=merchant.merchant, status=ProductStatus.ARCHIVED)
    url = reverse("cooperation:product_unarchive", args=[product.pk])
    response = client_for(merchant).post(url, follow=True)
    assert "尚未通过准入" in response.content.decode()
    product.refresh_from_db()
    assert product.status == ProductStatus.ARCHIVED
