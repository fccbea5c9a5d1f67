"""A believable world around the persona users, at any scale (for the 10× query-count pin)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from admission.models import Category
from cooperation.models import Task, TaskState
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import CartItemFactory, ProductFactory, admit, bind, paid_order
from workbench.models import CaseFigure, SuccessCase

STATES = [s for s in TaskState]


def build(*, merchant, creator, agency, n: int) -> None:
    """``n`` of everything: products, creators, tasks, orders, cart items, bindings, cases."""
    admit(merchant, creator, agency)
    cats = list(Category.objects.order_by("position")[:4])
    now = timezone.now()
    products = [
        ProductFactory(merchant=merchant.merchant, category=cats[i % len(cats)]) for i in range(n)
    ]
    for i in range(n):
        other = CreatorFactory(avg_viewers=100 * (i + 1), completed_tasks=i)
        other.categories.set([cats[i % len(cats)]])
        admit(other.user)
        state = STATES[i % len(STATES)]
        stamps = {} if state != TaskState.COMPLETED else {"completed_at": now}
        Task.objects.create(
            merchant=merchant.merchant,
            creator=other,
            state=state,
            **stamps,
            slot_fee=Decimal("800.00"),
            planned_live_date=timezone.localdate(),
            created_at=now - timedelta(days=i),
        )
        paid_order(products[i], creator=creator.creator, at=now - timedelta(days=i % 30, hours=1))
        paid_order(products[i], creator=other, at=now - timedelta(days=i % 30, hours=2))
        CartItemFactory(creator=creator.creator, product=products[i])
        recruit = CreatorFactory()
        admit(recruit.user)
        bind(recruit, agency.agency, share="0.30")
        case = SuccessCase.objects.create(
            slug=f"case-{n}-{i}",
            party_kind="merchant",
            party_name=f"店铺{i}",
            title_zh=f"案例{i}",
            summary_zh="摘要",
            story_zh="故事",
            published=True,
        )
        CaseFigure.objects.create(case=case, label_zh="销售额", value="¥1")
