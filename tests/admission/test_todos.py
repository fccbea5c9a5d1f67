"""Admission to-do sources: one query for everyone, counts equal to the page's items."""

from __future__ import annotations

import pytest
from django.utils import timezone

from admission import rules, todos
from admission.models import Assessment, OperatingAccountRequest, ProductPermission, SellerType
from hotwave.todos import sources
from tests.admission.factories import (
    CreatorFactory,
    MerchantFactory,
    ProviderFactory,
    RestrictedProductFactory,
    admitted,
    sign_agreement,
)

pytestmark = pytest.mark.django_db


def test_sources_are_registered_per_role():
    keys = {s.key for s in sources("creator")}
    assert "admission.incomplete" in keys
    assert "admission.operating_requests" in {s.key for s in sources("merchant")}
    assert {"admission.assessments_pending", "admission.permissions_pending"} <= {
        s.key for s in sources("operator")
    }


@pytest.fixture
def world():
    unsigned_creator = CreatorFactory()
    signed_creator = CreatorFactory(alipay_verified=False)  # waits for an operator only
    sign_agreement(signed_creator.user)
    ok = admitted(CreatorFactory)
    tmall = MerchantFactory(seller_type=SellerType.TMALL)
    provider = ProviderFactory()
    pending_provider = ProviderFactory()
    sign_agreement(pending_provider.user)
    Assessment.objects.create(user=pending_provider.user, requested_at=timezone.now())
    return {
        "unsigned_creator": (unsigned_creator.user, 1),
        "signed_creator": (signed_creator.user, 0),
        "ok": (ok.user, 0),
        "tmall": (tmall.user, 2),
        "provider": (provider.user, 2),
        "pending_provider": (pending_provider.user, 0),
    }


def test_incomplete_count_all_is_one_query_and_matches_count_for(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = todos.incomplete_count_all()
    for name, (user, expected) in world.items():
        assert counts.get(user.pk, 0) == expected, name
        with django_assert_num_queries(1):
            assert todos.incomplete_count_for(user) == expected, name
        # ... and equals the items the linked page lists (the self-fixable unmet conditions).
        assert len(rules.evaluate(user).self_fixable) == expected, name


def test_self_fixable_gaps_always_mean_not_admitted():
    """Why incomplete_count_all need not exclude admitted parties."""
    from admission.demo import seed
    from admission.models import User

    seed(users_only=False, context={})
    counts = todos.incomplete_count_all()
    for user in User.objects.exclude(role="operator"):
        verdict = rules.evaluate(user)
        assert counts.get(user.pk, 0) == len(verdict.self_fixable), user.username
        if verdict.self_fixable:
            assert not verdict.admitted


def test_incomplete_page_lists_the_counted_items(world, client_for):
    user, expected = world["tmall"]
    url = todos._center_todo_url(user)
    html = client_for(user).get(url).content.decode()
    assert html.count('class="adm-cond adm-cond--self"') == expected


def test_operating_requests_to_do():
    ops = admitted(MerchantFactory)
    shop = MerchantFactory(seller_type=SellerType.TMALL)
    OperatingAccountRequest.objects.create(shop=shop, account=ops.user, created_at=timezone.now())
    assert todos._operating_count_all() == {ops.user.pk: 1}
    assert todos._operating_count_for(ops.user) == 1


def test_operator_queues(operator, django_assert_num_queries):
    r = RestrictedProductFactory()
    ProductPermission.objects.create(merchant=r.merchant, sku=r.sku, requested_at=timezone.now())
    Assessment.objects.create(user=ProviderFactory().user, requested_at=timezone.now())
    with django_assert_num_queries(1):
        assert todos._operators_count_all(todos._pending_permissions()) == {operator.pk: 1}
    assert todos._operators_count_all(todos._pending_assessments()) == {operator.pk: 1}
    source = next(s for s in sources("operator") if s.key == "admission.permissions_pending")
    assert source.count_for(operator) == 1
    assert source.url(operator) == "/admin/admission/productpermission/?status__exact=requested"
