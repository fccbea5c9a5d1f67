"""Restricted products end to end with cooperation's real Product rows.

Operator marks a product restricted in admin → it disappears from filtered lists
and the guard refuses it with the reason → the merchant requests permission on
its 准入中心 → the operator grants it in admin → it is back; revoking blocks again.
"""

from __future__ import annotations

import pytest

from admission.exceptions import ProductRestricted
from admission.guard import require_product_allowed
from admission.models import ProductPermission, RestrictedProduct
from admission.selectors import blocked_products_q
from tests.admission.factories import MerchantFactory

pytestmark = pytest.mark.django_db

Product = pytest.importorskip("cooperation.models").Product


def _product(merchant, sku):
    from tests.cooperation.factories import ProductFactory

    return ProductFactory(merchant=merchant, sku=sku)


def _listed(merchant) -> set[str]:
    return set(
        Product.objects.filter(merchant=merchant)
        .filter(blocked_products_q())
        .values_list("sku", flat=True)
    )


def test_restrict_request_grant_revoke(client_for, operator):
    merchant = MerchantFactory()
    _product(merchant, "SKU-OK")
    target = _product(merchant, "SKU-HEALTH")
    ops = client_for(operator)
    assert _listed(merchant) == {"SKU-OK", "SKU-HEALTH"}

    # The operator marks it restricted in admin.
    r = ops.post(
        "/admin/admission/restrictedproduct/add/",
        {"merchant": merchant.pk, "sku": "SKU-HEALTH", "reason": "保健食品需批准文号"},
    )
    assert r.status_code == 302
    restriction = RestrictedProduct.objects.get(merchant=merchant, sku="SKU-HEALTH")
    assert restriction.history.first().history_user == operator
    assert _listed(merchant) == {"SKU-OK"}
    with pytest.raises(ProductRestricted) as exc:
        require_product_allowed(merchant=target.merchant, sku=target.sku)
    assert "限制原因：保健食品需批准文号" in exc.value.reasons

    # The merchant asks for permission on its 准入中心.
    page = client_for(merchant.user)
    assert (
        page.post(
            f"/admission/products/{restriction.pk}/request/", {"note": "已取得保健食品批准文号"}
        ).status_code
        == 302
    )
    permission = ProductPermission.objects.get(merchant=merchant, sku="SKU-HEALTH")
    assert _listed(merchant) == {"SKU-OK"}  # a request is not a permission

    # The operator grants it in admin: the product is back.
    ops.post(
        "/admin/admission/productpermission/",
        {"action": "grant", "_selected_action": [permission.pk], "index": 0},
    )
    assert _listed(merchant) == {"SKU-OK", "SKU-HEALTH"}
    require_product_allowed(merchant=merchant, sku="SKU-HEALTH")

    # Revoked: blocked again at once.
    ops.post(
        "/admin/admission/productpermission/",
        {"action": "revoke", "_selected_action": [permission.pk], "index": 0},
    )
    assert _listed(merchant) == {"SKU-OK"}
    with pytest.raises(ProductRestricted):
        require_product_allowed(merchant=merchant, sku="SKU-HEALTH")


def test_blocked_products_q_is_part_of_one_query(django_assert_num_queries):
    merchant = MerchantFactory()
    for i in range(5):
        _product(merchant, f"S{i}")
    RestrictedProduct.objects.create(merchant=merchant, sku="S1", reason="测试")
    with django_assert_num_queries(1):
        assert len(_listed(merchant)) == 4
