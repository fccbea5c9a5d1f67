"""带货车: add (htmx in place or plain POST), twice is harmless, refusals with reasons, remove."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from admission.exceptions import NotAdmitted, ProductRestricted
from cooperation.models import CartItem, ProductStatus
from cooperation.services.cart import cart_add, cart_remove
from hotwave.exceptions import DomainError
from tests.cooperation.factories import (
    CartItemFactory,
    ProductFactory,
    admit,
    restrict,
    with_image,
)

pytestmark = pytest.mark.django_db

CART = reverse("cooperation:cart")


def add_url(product):
    return reverse("cooperation:cart_add", args=[product.pk])


def remove_url(product):
    return reverse("cooperation:cart_remove", args=[product.pk])


@pytest.fixture
def admitted(creator):
    admit(creator)
    return creator


# --- services -----------------------------------------------------------------


def test_add_then_add_again_is_one_item(admitted):
    product = ProductFactory()
    item, created = cart_add(creator=admitted.creator, product=product)
    again, created_again = cart_add(creator=admitted.creator, product=product)
    assert created is True and created_again is False and item.pk == again.pk
    assert CartItem.objects.count() == 1


def test_archived_product_is_refused_with_the_reason(admitted):
    product = ProductFactory(title="旧款", status=ProductStatus.ARCHIVED)
    with pytest.raises(DomainError) as exc:
        cart_add(creator=admitted.creator, product=product)
    assert "已下架" in exc.value.message
    assert not CartItem.objects.exists()


def test_restricted_product_without_permission_is_refused(admitted):
    product = ProductFactory()
    restrict(product, reason="保健品需资质")
    with pytest.raises(ProductRestricted) as exc:
        cart_add(creator=admitted.creator, product=product)
    assert any("保健品需资质" in str(r) for r in exc.value.reasons)
    assert not CartItem.objects.exists()


def test_restricted_product_with_permission_can_be_added(admitted):
    product = ProductFactory()
    restrict(product, granted=True)
    assert cart_add(creator=admitted.creator, product=product)[1] is True


def test_a_creator_not_admitted_cannot_add(creator):
    with pytest.raises(NotAdmitted):
        cart_add(creator=creator.creator, product=ProductFactory())
    assert not CartItem.objects.exists()


def test_remove_is_idempotent_and_only_touches_own_cart(admitted, other_creator):
    product = ProductFactory()
    CartItemFactory(creator=admitted.creator, product=product)
    CartItemFactory(creator=other_creator.creator, product=product)
    assert cart_remove(creator=admitted.creator, product=product) is True
    assert cart_remove(creator=admitted.creator, product=product) is False
    assert list(CartItem.objects.values_list("creator_id", flat=True)) == [other_creator.pk]


# --- views --------------------------------------------------------------------


def test_htmx_add_swaps_the_button_with_feedback(client_for, admitted):
    product = ProductFactory()
    response = client_for(admitted).post(add_url(product), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="cart-action-{product.pk}"' in body and "已加入带货车" in body
    assert CartItem.objects.filter(creator=admitted.creator, product=product).exists()


def test_htmx_add_of_a_restricted_product_says_why(client_for, admitted):
    product = ProductFactory()
    restrict(product, reason="保健品需资质")
    body = (
        client_for(admitted).post(add_url(product), headers={"HX-Request": "true"}).content.decode()
    )
    assert 'role="alert"' in body and "限制推广商品" in body and "保健品需资质" in body
    assert "加入带货车" in body  # the button stays
    assert not CartItem.objects.exists()


def test_plain_post_add_redirects_back_with_a_message(client_for, admitted):
    product = ProductFactory(title="露营椅")
    c = client_for(admitted)
    response = c.post(add_url(product), {"next": "/hot/?page=2"}, follow=True)
    assert response.redirect_chain[-1][0] == "/hot/?page=2"
    assert "「露营椅」已加入带货车" in response.content.decode()
    response = c.post(add_url(product), follow=True)
    assert "已在带货车里" in response.content.decode()
    assert CartItem.objects.count() == 1


def test_plain_post_refusal_is_a_message_and_changes_nothing(client_for, admitted):
    product = ProductFactory(title="旧款", status=ProductStatus.ARCHIVED)
    response = client_for(admitted).post(add_url(product), follow=True)
    assert "已下架" in response.content.decode()
    assert not CartItem.objects.exists()


def test_add_needs_post(client_for, admitted):
    assert client_for(admitted).get(add_url(ProductFactory())).status_code == 405


def test_unknown_product_is_404(client_for, admitted):
    assert (
        client_for(admitted).post(reverse("cooperation:cart_add", args=[999999])).status_code == 404
    )


@pytest.mark.parametrize("persona", ["merchant", "agency", "operator"])
def test_other_roles_get_404(request, client_for, persona):
    user = request.getfixturevalue(persona)
    product = ProductFactory()
    c = client_for(user)
    assert c.get(CART).status_code == 404
    assert c.post(add_url(product)).status_code == 404
    assert c.post(remove_url(product)).status_code == 404


def test_anonymous_is_sent_to_login(anonymous):
    assert anonymous.get(CART).status_code == 302
    assert anonymous.post(add_url(ProductFactory())).status_code == 302
    assert not CartItem.objects.exists()


def test_cart_lists_only_own_items_with_estimates_and_state(client_for, admitted, other_creator):
    ok = ProductFactory(title="好物", price=Decimal("100.00"), service_fee_rate=Decimal("0.20"))
    gone = ProductFactory(title="下架了", status=ProductStatus.ARCHIVED)
    blocked = ProductFactory(title="被限制")
    restrict(blocked)
    for p in (ok, gone, blocked):
        CartItemFactory(creator=admitted.creator, product=p)
    CartItemFactory(creator=other_creator.creator, product=ProductFactory(title="别人的"))
    body = client_for(admitted).get(CART).content.decode()
    assert "好物" in body and "下架了" in body and "被限制" in body and "别人的" not in body
    assert "¥12.00" in body  # fee 20.00, individual 60%
    assert "可推广" in body and "已下架" in body and "限制推广" in body


def test_htmx_remove_returns_the_updated_list(client_for, admitted):
    a, b = ProductFactory(title="甲货"), ProductFactory(title="乙货")
    CartItemFactory(creator=admitted.creator, product=a)
    CartItemFactory(creator=admitted.creator, product=b)
    body = client_for(admitted).post(remove_url(a), headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<section id="cart-results"')
    assert "已将「甲货」移出带货车" in re.sub(r"<[^>]+>", "", body) and "乙货" in body
    assert list(CartItem.objects.values_list("product__title", flat=True)) == ["乙货"]


def test_plain_remove_redirects_to_the_cart(client_for, admitted):
    a = ProductFactory()
    CartItemFactory(creator=admitted.creator, product=a)
    response = client_for(admitted).post(remove_url(a))
    assert response.status_code == 302 and response.url == CART
    assert not CartItem.objects.exists()


def test_empty_cart_points_to_hot_products(client_for, admitted):
    body = client_for(admitted).get(CART).content.decode()
    assert "带货车还是空的" in body and reverse("cooperation:hot_products") in body


def test_cart_query_count_is_fixed(client_for, admitted, django_assert_num_queries):
    c = client_for(admitted)
    c.get(CART)
    for p in ProductFactory.create_batch(3):
        CartItemFactory(creator=admitted.creator, product=p)
    # session, user, creator, binding, count, page rows (product, merchant, category joined)
    with django_assert_num_queries(6):
        c.get(CART)
    for p in ProductFactory.create_batch(30):
        CartItemFactory(creator=admitted.creator, product=p)
        with_image(p)
    with django_assert_num_queries(6):
        body = c.get(CART).content.decode()
    assert '<img class="product-thumb' in body
    assert body.count("<tr") == 21  # header + 20 rows


def test_two_creators_adding_the_same_product(admitted, other_creator):
    admit(other_creator)
    product = ProductFactory()
    cart_add(creator=admitted.creator, product=product)
    cart_add(creator=other_creator.creator, product=product)
    assert CartItem.objects.filter(product=product).count() == 2
