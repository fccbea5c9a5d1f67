"""The fast to-do paths count exactly what the per-source queries count.

On a generated world (generate_load + the admission demo world + tasks in every
state + every queue), for every user: the one-statement-per-role count
(``hotwave.todos.counts_for``) equals each source's ``count_for``, and the streamed
all-users recount (``hotwave.todos.stream_all``) equals the sources' ``count_all``.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from admission.demo import seed
from admission.models import (
    Assessment,
    OperatingAccountRequest,
    ProductPermission,
    SellerType,
    User,
)
from cooperation.models import Task, TaskState
from cooperation.services.counter_offers import task_counter
from cooperation.services.tasks import task_remind
from hotwave import todos
from settlement.models import Binding, BindingStatus
from tests.admission.factories import MerchantFactory, ProviderFactory, RestrictedProductFactory
from tests.cooperation.task_factories import make_task
from tests.workbench import world as wb_world
from workbench import services

pytestmark = pytest.mark.django_db


def old_counts_for(user) -> dict[str, int]:
    """The per-source path the fast one replaces: one ``count_for`` per source."""
    return {s.key: int(s.count_for(user)) for s in todos.sources(user.role)}


def old_count_all() -> dict[int, dict[str, int]]:
    """The per-source set-based path: one ``count_all`` per source, grouped per user."""
    per_user: dict[int, dict[str, int]] = {}
    for source in todos.sources():
        for user_id, n in source.count_all().items():
            if n:
                per_user.setdefault(int(user_id), {})[source.key] = int(n)
    return per_user


@pytest.fixture
def generated(merchant, other_merchant, creator, other_creator, agency, operator):
    call_command(
        "generate_load",
        "--creators=60",
        "--merchants=8",
        "--products=30",
        "--orders=120",
        f"--until={date(2026, 11, 1).isoformat()}",
        "--days=30",
        "--batch-size=50",
        "--quiet",
        stdout=io.StringIO(),
    )
    seed(users_only=False, context={})  # every role in every admission state
    wb_world.build(merchant=merchant, creator=creator, agency=agency, n=len(wb_world.STATES))
    now = timezone.now()
    # Tasks of both personas in every to-do state, some with the other party.
    # (Every task starts as an invitation: the one left open for a pair comes last.)
    for state in [s for s in TaskState if s != TaskState.INVITED]:
        make_task(merchant=merchant, creator=creator, state=state)
        make_task(merchant=other_merchant, creator=creator, state=state)
        make_task(merchant=merchant, creator=other_creator, state=state)
    make_task(merchant=merchant, creator=creator, state=TaskState.INVITED)
    # 议价: an invitation the creator countered waits for the merchant.
    countered = make_task(merchant=other_merchant, creator=creator, state=TaskState.INVITED)
    task_counter(
        task=countered,
        actor=creator,
        slot_fee=countered.slot_fee - 100,
        mode=countered.mode,
        planned_live_date=countered.planned_live_date,
    )
    # 即将到期: the reminders the tick writes 24 h ahead, one for each side.
    for t in Task.objects.filter(
        merchant_id=merchant.pk,
        creator_id=creator.pk,
        state__in=[TaskState.ACCEPTED, TaskState.SHIPPED],
    ):
        task_remind(task=t, now=t.deadline().due_at - timedelta(hours=1))
    # 推广计划: an application waiting (merchant's side) and cuts announced on cart
    # products (creator's side) — counted only where the plan applies to the creator.
    from cooperation.models import CartItem, PlanKind
    from cooperation.services.plans import (
        application_decide,
        plan_apply,
        plan_create,
        plan_set_rate,
    )
    from tests.cooperation.factories import ProductFactory, admit

    admit(merchant, creator, other_creator)
    waiting, approved, not_mine = (ProductFactory(merchant=merchant.merchant) for _ in range(3))
    plan_apply(
        plan=plan_create(
            merchant=merchant.merchant, product=waiting, kind=PlanKind.TARGETED, rate=Decimal("0.3")
        ),
        creator=creator.creator,
    )
    for product, approve in ((approved, True), (not_mine, False)):
        plan = plan_create(
            merchant=merchant.merchant, product=product, kind=PlanKind.TARGETED, rate=Decimal("0.3")
        )
        if approve:
            application_decide(
                application=plan_apply(plan=plan, creator=creator.creator), approve=True
            )
        CartItem.objects.create(creator=creator.creator, product=product)
        CartItem.objects.create(creator=other_creator.creator, product=product)
        plan_set_rate(plan=plan, rate=Decimal("0.1"))
    # 申样: a request waiting on one of the merchant's products.
    from cooperation.services.samples import sample_quota_set, sample_request_create

    sample_quota_set(merchant=merchant.merchant, product=waiting, quota=2)
    sample_request_create(
        creator=creator.creator, product=waiting, planned_live_date=now.date() + timedelta(days=3)
    )
    # 未读消息: messages each side has not read yet in a task thread.
    from conversations.services import message_send, thread_for_task

    thread = thread_for_task(
        task=Task.objects.filter(merchant_id=merchant.pk, creator_id=creator.pk).first()
    )
    message_send(thread=thread, actor=merchant, body="样品已寄出", now=now)
    message_send(thread=thread, actor=creator, body="收到", now=now)
    # Binding invitations (creator's and agency's side).
    Binding.objects.create(
        creator=other_creator.creator,
        agency=agency.agency,
        agency_share=Decimal("0.20"),
        status=BindingStatus.INVITED,
    )
    # Operating-account requests, assessments and permission requests (operators' queues).
    ops = MerchantFactory()
    for _ in range(2):
        shop = MerchantFactory(seller_type=SellerType.TMALL)
        OperatingAccountRequest.objects.create(shop=shop, account=ops.user, created_at=now)
    Assessment.objects.create(user=ProviderFactory().user, requested_at=now)
    r = RestrictedProductFactory()
    ProductPermission.objects.create(merchant=r.merchant, sku=r.sku, requested_at=now)
    # An inactive party and an inactive operator count like before (0 / the queue).
    User.objects.filter(pk=other_creator.pk).update(is_active=False)
    inactive_op = User.objects.create(
        username="op_off", role="operator", is_staff=True, is_active=False
    )
    return {"inactive_operator": inactive_op}


def test_fast_per_user_counts_equal_the_per_source_counts_for_every_user(
    generated, django_assert_num_queries
):
    users = list(User.objects.order_by("pk"))
    assert len(users) > 100
    nonzero: set[str] = set()
    for user in users:
        expected = old_counts_for(user)
        with django_assert_num_queries(1 if expected else 0):
            got = todos.counts_for(user)
        assert got == expected, user.username
        assert list(got) == list(expected)  # same order: the page lists them in order
        nonzero |= {k for k, n in got.items() if n}
    # The world exercises every source with a non-zero count (else the test proves little).
    assert nonzero == {s.key for s in todos.sources()}


def test_streamed_recount_equals_the_per_source_count_all(generated):
    expected = old_count_all()
    streamed = list(todos.stream_all())
    ids = [uid for uid, _counts in streamed]
    assert ids == sorted(ids) and len(ids) == len(set(ids))  # ascending, one row per user
    assert dict(streamed) == expected
    assert {k for counts in expected.values() for k in counts} == {s.key for s in todos.sources()}


def test_recount_all_uses_fewer_statements_than_sources_and_recount_user_two(generated):
    with CaptureQueriesContext(connection) as ctx:
        summary = services.todos_recount_all()
    assert summary["users"] == len(old_count_all())
    # Batches: admission (3 statements), bindings (2), one per task side (2).
    assert len(ctx.captured_queries) < len(todos.sources())
    user = User.objects.filter(role="merchant").order_by("pk").first()
    with CaptureQueriesContext(connection) as ctx:
        counts = services.todos_recount_user(user_id=user.pk)
    assert counts == old_counts_for(user)
    assert len(ctx.captured_queries) == 2  # the user, then one statement for all its counts


def test_a_source_without_fast_path_is_still_counted(fake_source, merchant, creator):
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    fake_source.counts = {merchant.pk: 4}
    got = todos.counts_for(merchant)
    assert got["test.fake"] == 4 and fake_source.for_calls == 1
    assert got["cooperation.merchant_to_ship"] == 1
    assert list(got)[0] == "test.fake"
    assert dict(todos.stream_all())[merchant.pk]["test.fake"] == 4
    assert fake_source.all_calls == 1


def test_role_statement_is_compiled_once_and_reused(merchant, django_assert_num_queries):
    todos.counts_for(merchant)
    keys = [k for k in todos._STATEMENTS if k[2] == "merchant"]
    assert keys
    expected = old_counts_for(merchant)
    with django_assert_num_queries(1):
        assert todos.counts_for(merchant) == expected


def test_a_statement_with_a_python_time_is_never_reused(merchant):
    from cooperation.models import Task

    calls = []

    def expr(role):
        calls.append(role)
        return todos.count_of(
            Task.objects.filter(merchant=merchant.pk, created_at__lte=timezone.now())
        )

    source = todos.register(
        todos.TodoSource(
            key="test.timed",
            roles=("merchant",),
            title="计时",
            url=lambda user: "/",
            count_all=dict,
            count_for=lambda user: 0,
            count_expr=expr,
        )
    )
    try:
        todos.counts_for(merchant)
        todos.counts_for(merchant)
        # Built again on each call (the time is a parameter), never kept for reuse.
        assert len(calls) >= 2
        assert not any("test.timed" in str(key) for key in todos._STATEMENTS)
    finally:
        todos.unregister(source.key)
