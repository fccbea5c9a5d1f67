"""The product's own 服务费率 follows the plans' rule: a raise at once, a cut after the notice.

Tested at the exact second like the plan rate cuts; creators carrying the product
(带货车 or an open task) are told; tasks copy the rate in force when created.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import CartItem, PlanKind, Product, TaskState
from cooperation.selectors.plans import best_rate_for, with_best_rate
from cooperation.services.clock import cooperation_tick
from cooperation.services.plans import plan_create
from cooperation.services.products import product_rate_cuts_apply, product_update
from hotwave import todos
from notifications.kinds import Kind
from notifications.models import Notification
from tests.cooperation.factories import ProductFactory, admit
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def product(merchant, creator, other_creator, settings):
    settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = 24
    admit(merchant, creator, other_creator)
    return ProductFactory(
        merchant=merchant.merchant, title="露营椅", service_fee_rate=Decimal("0.2000")
    )


def edit(product, rate, now=None):
    return product_update(
        product=product,
        title=product.title,
        category=product.category,
        price=product.price,
        service_fee_rate=Decimal(rate),
        now=now,
    )


def test_a_cut_takes_effect_after_the_notice_at_the_exact_second(product, creator):
    announced = T0 + timedelta(hours=1)
    saved = edit(product, "0.10", now=announced)
    effective = announced + timedelta(hours=24)
    assert (saved.service_fee_rate, saved.rate_cut_to) == (Decimal("0.2000"), Decimal("0.1000"))
    assert saved.rate_cut_from == effective
    before, at = effective - timedelta(seconds=1), effective
    assert best_rate_for(creator=creator.creator, product=saved, at=before) == Decimal("0.2000")
    assert best_rate_for(creator=creator.creator, product=saved, at=at) == Decimal("0.1000")
    assert saved.rate_in_force(before) == Decimal("0.2000")
    assert saved.rate_in_force(at) == Decimal("0.1000")
    pending = with_best_rate(
        Product.objects.filter(pk=product.pk), creator=creator.creator, at=before
    ).get()
    assert pending.rate_cut_pending is True
    after = with_best_rate(Product.objects.filter(pk=product.pk), creator=creator.creator, at=at)
    assert after.get().rate_cut_pending is False
    # The tick writes the cut into the stored rate from its second on, once.
    assert product_rate_cuts_apply(now=before) == 0
    assert product_rate_cuts_apply(now=at) == 1
    assert product_rate_cuts_apply(now=at) == 0
    product.refresh_from_db()
    assert (product.service_fee_rate, product.rate_cut_to, product.rate_cut_from) == (
        Decimal("0.1000"),
        None,
        None,
    )
    # The audit trail keeps the announcement and the fold.
    rates = list(
        product.history.order_by("history_date").values_list("service_fee_rate", "rate_cut_to")
    )
    assert rates[-2:] == [(Decimal("0.2000"), Decimal("0.1000")), (Decimal("0.1000"), None)]


def test_a_raise_is_in_force_at_once_and_withdraws_an_announced_cut(product, creator):
    edit(product, "0.10", now=T0)
    saved = edit(product, "0.25", now=T0 + timedelta(hours=1))
    assert (saved.service_fee_rate, saved.rate_cut_to, saved.rate_cut_from) == (
        Decimal("0.2500"),
        None,
        None,
    )
    assert best_rate_for(creator=creator.creator, product=saved, at=T0 + timedelta(days=2)) == (
        Decimal("0.2500")
    )


def test_back_to_the_rate_in_force_withdraws_the_cut_and_an_unchanged_edit_keeps_it(product):
    first = edit(product, "0.10", now=T0)
    kept = edit(product, "0.10", now=T0 + timedelta(hours=2))  # e.g. only the title changed
    assert kept.rate_cut_from == first.rate_cut_from  # the notice does not start again
    withdrawn = edit(product, "0.20", now=T0 + timedelta(hours=3))
    assert (withdrawn.service_fee_rate, withdrawn.rate_cut_to) == (Decimal("0.2000"), None)


def test_the_cut_tells_creators_in_cart_or_an_open_task_and_a_raise_does_not(
    client_for, product, merchant, creator, other_creator
):
    CartItem.objects.create(creator=creator.creator, product=product)
    make_task(
        merchant=merchant, creator=other_creator, state=TaskState.ACCEPTED, products=[product]
    )
    edit(product, "0.30")  # a raise: nobody is told
    assert not Notification.objects.filter(kind=Kind.RATE_CUT_ANNOUNCED).exists()
    saved = edit(product, "0.15")
    told = Notification.objects.filter(kind=Kind.RATE_CUT_ANNOUNCED)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [creator.pk, other_creator.pk]
    )
    message = told.get(recipient=creator).message
    assert "露营椅" in message and "30%" in message and "15%" in message
    assert timezone.localtime(saved.rate_cut_from).strftime("%Y-%m-%d %H:%M") in message
    source = next(s for s in todos.sources("creator") if s.key == "cooperation.rate_cuts")
    assert source.count_for(creator) == 1
    assert source.count_all() == {creator.pk: 1}
    page = client_for(creator).get(source.url(creator)).content.decode()
    assert "露营椅" in page and "30%" in page  # the rate in force until the notice ends


def test_a_plan_applying_to_the_creator_hides_the_products_own_cut(product, merchant, creator):
    plan_create(
        merchant=merchant.merchant, product=product, kind=PlanKind.OPEN, rate=Decimal("0.25")
    )
    CartItem.objects.create(creator=creator.creator, product=product)
    edit(product, "0.10")
    source = next(s for s in todos.sources("creator") if s.key == "cooperation.rate_cuts")
    assert source.count_for(creator) == 0  # its rate is the plan's, which is not cut
    row = with_best_rate(Product.objects.filter(pk=product.pk), creator=creator.creator).get()
    assert (row.best_rate, row.rate_cut_pending) == (Decimal("0.2500"), False)


def test_tasks_keep_the_rate_in_force_when_they_were_made(
    product, merchant, creator, other_creator
):
    before = make_task(merchant=merchant, creator=creator, products=[product])
    edit(product, "0.10", now=timezone.now() - timedelta(hours=1))  # in its notice period
    during = make_task(merchant=merchant, creator=other_creator, products=[product])
    assert before.items.get().service_fee_rate == Decimal("0.2000")
    assert during.items.get().service_fee_rate == Decimal("0.2000")
    product.refresh_from_db()
    edit(product, "0.05", now=timezone.now() - timedelta(hours=25))  # replaced, already in force
    cooperation_tick()
    product.refresh_from_db()
    assert product.service_fee_rate == Decimal("0.0500") and product.rate_cut_to is None
    assert before.items.get().service_fee_rate == Decimal("0.2000")  # agreed tasks never change


def test_the_edit_page_says_when_the_cut_takes_effect(client_for, merchant, product):
    response = client_for(merchant).post(
        reverse("cooperation:product_edit", args=[product.pk]),
        {
            "title": product.title,
            "category": product.category_id,
            "price": str(product.price),
            "service_fee_percent": "12",
        },
        follow=True,
    )
    page = response.content.decode()
    product.refresh_from_db()
    at = timezone.localtime(product.rate_cut_from).strftime("%Y-%m-%d %H:%M")
    assert f"服务费率将于 {at} 下调至 12%" in page
    assert "起下调至 12%" in page  # the product list shows the coming cut beside 20%
    assert product.service_fee_rate == Decimal("0.2000")
