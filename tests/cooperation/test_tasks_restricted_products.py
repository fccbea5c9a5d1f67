"""Restricted products in 我要合作 (issue 13, defect 3).

The invitation form offered restricted products it then refused, and the
refusal named the SKU, not the title that was ticked. Now a restricted product
without a permission is shown disabled, with the reason and how to request the
permission; every refusal names the product by its title.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from admission.exceptions import ProductRestricted
from admission.models import PermissionStatus, ProductPermission, RestrictedProduct
from cooperation.models import Task, TaskState
from cooperation.services.cart import cart_add
from cooperation.services.tasks import task_accept
from tests.cooperation.factories import restrict
from tests.cooperation.task_factories import ProductFactory, admit, make_task

pytestmark = pytest.mark.django_db


def _form(products):
    return {
        "products": [p.pk for p in products],
        "slot_fee": "2500.00",
        "planned_live_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }


@pytest.fixture
def shelf(merchant, creator):
    admit(merchant, creator)
    m = merchant.merchant
    free = ProductFactory(merchant=m, sku="FREE-1", title="竹纤维毛巾")
    blocked = ProductFactory(merchant=m, sku="RX-9", title="益生菌冻干粉")
    restrict(blocked, reason="保健食品需提供批准文号")
    granted = ProductFactory(merchant=m, sku="RX-10", title="维生素软糖")
    restrict(granted, granted=True)
    return free, blocked, granted


def test_a_restricted_product_is_offered_disabled_with_why_and_how(
    client_for, merchant, creator, shelf
):
    free, blocked, granted = shelf
    body = (
        client_for(merchant)
        .get(reverse("cooperation:task_create", args=[creator.creator.pk]))
        .content.decode()
    )
    restriction = RestrictedProduct.objects.get(sku="RX-9")
    box = body[
        body.index(f'value="{blocked.pk}"') - 200 : body.index(f'value="{blocked.pk}"') + 900
    ]
    assert "disabled" in box
    assert "保健食品需提供批准文号" in box
    assert f'href="/admission/#product-{restriction.pk}"' in box
    assert "申请推广权限" in box
    for enabled in (free, granted):
        tag = body[
            body.index(f'value="{enabled.pk}"') - 150 : body.index(f'value="{enabled.pk}"') + 40
        ]
        assert "disabled" not in tag


def test_a_requested_permission_says_it_waits_for_the_operator(
    client_for, merchant, creator, shelf
):
    _, blocked, _ = shelf
    ProductPermission.objects.create(
        merchant=merchant.merchant, sku=blocked.sku, status=PermissionStatus.REQUESTED
    )
    body = (
        client_for(merchant)
        .get(reverse("cooperation:task_create", args=[creator.creator.pk]))
        .content.decode()
    )
    assert "推广权限申请待平台运营审批" in body


def test_a_refusal_names_the_product_by_its_title(client_for, merchant, creator, shelf):
    _, blocked, _ = shelf
    response = client_for(merchant).post(
        reverse("cooperation:task_create", args=[creator.creator.pk]), _form([blocked])
    )
    assert response.status_code == 400
    errors = response.context["cooperate_form"].errors["products"]
    assert "商品「益生菌冻干粉」为限制推广商品" in errors[0]
    assert "RX-9" not in " ".join(errors)
    assert not Task.objects.exists()


def test_the_cart_refusal_names_the_title(shelf, other_creator):
    _, blocked, _ = shelf
    admit(other_creator)
    with pytest.raises(ProductRestricted) as exc:
        cart_add(creator=other_creator.creator, product=blocked)
    assert "益生菌冻干粉" in exc.value.message and "RX-9" not in exc.value.message


def test_a_product_restricted_after_the_invitation_is_named_at_acceptance(merchant, creator):
    admit(merchant, creator)
    product = ProductFactory(merchant=merchant.merchant, sku="LATE-1", title="草本足浴包")
    task = make_task(merchant=merchant, creator=creator, products=[product])
    restrict(product, reason="功效宣传需审核")
    with pytest.raises(ProductRestricted) as exc:
        task_accept(task=task, actor=creator)
    assert "草本足浴包" in exc.value.message and "LATE-1" not in exc.value.message
    assert Task.objects.get(pk=task.pk).state == TaskState.INVITED


def test_the_admission_center_names_restricted_products_by_title(client_for, merchant, shelf):
    c = client_for(merchant)
    body = c.get(reverse("admission:center")).content.decode()
    assert "益生菌冻干粉" in body
    restriction = RestrictedProduct.objects.get(sku="RX-9")
    response = c.post(
        reverse("admission:product_permission_request", args=[restriction.pk]),
        {"note": "已取得保健食品批准文号"},
        follow=True,
    )
    assert "已提交商品「益生菌冻干粉」的推广权限申请。" in response.content.decode()
