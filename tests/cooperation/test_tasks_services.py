"""Task services: creation and its refusals, escrow of the slot fee, 合作任务数, admission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from admission.exceptions import NotAdmitted, ProductRestricted
from admission.models import (
    Activity,
    Creator,
    MarketingCompliance,
    PermissionStatus,
    ProductPermission,
    RestrictedProduct,
    ShopStatus,
    User,
)
from cooperation.models import ProductStatus, Task, TaskAction, TaskState, TaskTransition
from cooperation.services import tasks as services
from hotwave.exceptions import DomainError
from settlement.models import EscrowHold, EscrowStatus, Journal, JournalKind, Posting
from settlement.services.ledger import balance, party_account
from tests.cooperation.task_factories import ProductFactory, admit, make_task

pytestmark = pytest.mark.django_db

FEE = Decimal("1000.00")


def _bal(user) -> Decimal:
    return balance(party_account(user.pk, user.role))


def _create(merchant, creator, **kw):
    admit(merchant, creator)
    kw.setdefault("products", [ProductFactory(merchant=merchant.merchant)])
    kw.setdefault("slot_fee", FEE)
    kw.setdefault("planned_live_date", timezone.localdate() + timedelta(days=3))
    return services.task_create(actor=merchant, creator=creator.creator, **kw)


# --- creation ----------------------------------------------------------------------


def test_create_copies_each_products_rate_and_records_the_invitation(merchant, creator):
    p1 = ProductFactory(merchant=merchant.merchant, service_fee_rate=Decimal("0.15"))
    p2 = ProductFactory(merchant=merchant.merchant, service_fee_rate=Decimal("0.30"))
    task = _create(merchant, creator, products=[p1, p2], note="  周末场  ")
    assert task.state == TaskState.INVITED
    assert task.note == "周末场"
    assert [(i.product_id, i.service_fee_rate) for i in task.items.order_by("pk")] == [
        (p1.pk, Decimal("0.1500")),
        (p2.pk, Decimal("0.3000")),
    ]
    # The merchant changes its rate later: the task keeps what was agreed.
    p1.service_fee_rate = Decimal("0.05")
    p1.save()
    assert task.items.get(product=p1).service_fee_rate == Decimal("0.1500")
    (t,) = TaskTransition.objects.filter(task=task)
    assert (t.action, t.actor_id, t.from_state, t.to_state) == (
        TaskAction.CREATE,
        merchant.pk,
        "",
        TaskState.INVITED,
    )
    assert not EscrowHold.objects.exists()  # nothing is held before the creator accepts


def test_create_refuses_no_product_past_date_and_foreign_or_archived_products(
    merchant, other_merchant, creator
):
    admit(merchant, creator, other_merchant)
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator, products=[])
    assert exc.value.code == "task.no_product"
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator, planned_live_date=timezone.localdate() - timedelta(days=1))
    assert exc.value.code == "task.past_date"
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator, products=[ProductFactory(merchant=other_merchant.merchant)])
    assert exc.value.code == "task.product_unavailable"
    archived = ProductFactory(merchant=merchant.merchant, status=ProductStatus.ARCHIVED)
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator, products=[archived])
    assert exc.value.code == "task.product_unavailable"
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator, slot_fee=Decimal("-1.00"))
    assert exc.value.code == "task.bad_slot_fee"
    assert not Task.objects.exists()


def test_create_today_is_allowed(merchant, creator):
    assert _create(merchant, creator, planned_live_date=timezone.localdate()).pk


def test_only_merchants_create_and_only_admitted_ones(merchant, creator, other_creator):
    admit(creator, other_creator)
    with pytest.raises(DomainError) as exc:
        services.task_create(
            actor=other_creator,
            creator=creator.creator,
            products=[],
            slot_fee=FEE,
            planned_live_date=timezone.localdate(),
        )
    assert exc.value.code == "task.not_merchant"
    # The merchant has not signed the agreement: not admitted, with its reasons.
    product = ProductFactory(merchant=merchant.merchant)
    with pytest.raises(NotAdmitted) as exc:
        services.task_create(
            actor=merchant,
            creator=creator.creator,
            products=[product],
            slot_fee=FEE,
            planned_live_date=timezone.localdate(),
        )
    assert exc.value.reasons
    assert not Task.objects.exists()


def test_an_unadmitted_creator_cannot_be_invited(merchant, creator):
    admit(merchant)
    Creator.objects.filter(pk=creator.pk).update(level=0, alipay_verified=False)
    with pytest.raises(DomainError) as exc:
        services.task_create(
            actor=merchant,
            creator=Creator.objects.get(pk=creator.pk),
            products=[ProductFactory(merchant=merchant.merchant)],
            slot_fee=FEE,
            planned_live_date=timezone.localdate(),
        )
    assert exc.value.code == "task.creator_not_admitted"


def test_restricted_product_needs_permission(merchant, creator, operator):
    product = ProductFactory(merchant=merchant.merchant, sku="RX-1")
    RestrictedProduct.objects.create(merchant=merchant.merchant, sku="RX-1", reason="医疗器械")
    with pytest.raises(ProductRestricted) as exc:
        _create(merchant, creator, products=[product])
    assert f"「{product.title}」" in exc.value.message and "RX-1" not in exc.value.message
    assert any("医疗器械" in r for r in exc.value.reasons)
    assert not Task.objects.exists()
    ProductPermission.objects.create(
        merchant=merchant.merchant, sku="RX-1", status=PermissionStatus.GRANTED
    )
    assert _create(merchant, creator, products=[product]).pk


def test_one_open_invitation_per_pair(merchant, creator):
    first = _create(merchant, creator)
    with pytest.raises(DomainError) as exc:
        _create(merchant, creator)
    assert exc.value.code == "task.duplicate_invitation"
    assert Task.objects.count() == 1
    services.task_decline(task=first, actor=creator)
    assert _create(merchant, creator).pk  # answered: a new invitation is fine


def test_activity_requires_compliance_of_both_sides(merchant, creator):
    now = timezone.now()
    activity = Activity.objects.create(
        name="双十二直播节",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=20),
        requires_marketing_compliance=True,
    )
    with pytest.raises(NotAdmitted):
        _create(merchant, creator, activity=activity)
    MarketingCompliance.objects.create(
        user=merchant, valid_from=now - timedelta(days=2), valid_until=now + timedelta(days=30)
    )
    with pytest.raises(DomainError) as exc:
        _create(
            merchant,
            creator,
            activity=activity,
            planned_live_date=timezone.localdate() + timedelta(days=40),
        )
    assert exc.value.code == "task.outside_activity"
    task = _create(merchant, creator, activity=activity)
    # The creator is not compliant: it cannot accept the activity's task.
    with pytest.raises(NotAdmitted):
        services.task_accept(task=task, actor=creator)
    assert Task.objects.get(pk=task.pk).state == TaskState.INVITED
    MarketingCompliance.objects.create(
        user=creator, valid_from=now - timedelta(days=2), valid_until=now + timedelta(days=30)
    )
    services.task_accept(task=task, actor=creator)
    assert Task.objects.get(pk=task.pk).state == TaskState.ACCEPTED


# --- escrow and completion -------------------------------------------------------------


def test_accept_holds_the_slot_fee_once_and_completion_releases_it_once(merchant, creator):
    task = _create(merchant, creator)
    services.task_accept(task=task, actor=creator)
    hold = EscrowHold.objects.get(key=f"task:{task.pk}")
    assert (hold.amount, hold.status, hold.merchant_id, hold.creator_id) == (
        FEE,
        EscrowStatus.HELD,
        merchant.pk,
        creator.pk,
    )
    assert _bal(merchant) == -FEE
    with pytest.raises(services.IllegalTransition):
        services.task_accept(task=task, actor=creator)  # accepting twice
    assert Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).count() == 1
    assert _bal(merchant) == -FEE
    services.task_ship_sample(task=task, actor=merchant, carrier="顺丰", tracking_no="SF123456")
    services.task_confirm_receipt(task=task, actor=creator)
    services.task_report_live(
        task=task, actor=creator, live_at=timezone.now(), replay_url="https://r.example/1"
    )
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 0
    services.task_confirm_completion(task=task, actor=merchant)
    with pytest.raises(services.IllegalTransition):
        services.task_confirm_completion(task=task, actor=merchant)
    with pytest.raises(services.IllegalTransition):
        services.task_autocomplete(task=task, now=timezone.now() + timedelta(days=30))
    hold.refresh_from_db()
    assert hold.status == EscrowStatus.RELEASED
    assert Journal.objects.filter(kind=JournalKind.ESCROW_RELEASE).count() == 1
    # Individual creator (SPEC §4): the platform keeps 40%, the creator gets 60%.
    assert _bal(creator) == Decimal("600.00")
    assert _bal(merchant) == -FEE
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


def test_cancel_after_accept_returns_the_fee_and_before_accept_posts_nothing(merchant, creator):
    accepted = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    services.task_cancel(task=accepted, actor=merchant, reason="改期")
    assert EscrowHold.objects.get(key=f"task:{accepted.pk}").status == EscrowStatus.RETURNED
    assert _bal(merchant) == Decimal("0.00")
    assert accepted.transitions.last().note == "改期"
    journals = Journal.objects.count()
    invited = make_task(merchant=merchant, creator=creator)
    services.task_cancel(task=invited, actor=merchant)
    assert Journal.objects.count() == journals
    assert not EscrowHold.objects.filter(key=f"task:{invited.pk}").exists()


def test_a_zero_slot_fee_needs_no_escrow(merchant, creator):
    task = make_task(
        merchant=merchant, creator=creator, state=TaskState.COMPLETED, slot_fee=Decimal("0.00")
    )
    assert not EscrowHold.objects.filter(key=f"task:{task.pk}").exists()
    assert Creator.objects.get(pk=creator.pk).completed_tasks == 1


def test_illegal_moves_named_by_the_issue_change_nothing(merchant, creator):
    reported = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    task = make_task(merchant=merchant, creator=creator)
    with pytest.raises(services.IllegalTransition) as exc:
        services.task_ship_sample(task=task, actor=merchant, carrier="顺丰", tracking_no="SF1234")
    assert "待达人确认" in exc.value.message
    with pytest.raises(services.IllegalTransition) as exc:
        services.task_confirm_completion(task=reported, actor=creator)
    assert exc.value.code == "task.wrong_party"
    reported.refresh_from_db()
    assert reported.state == TaskState.LIVE_REPORTED
    assert EscrowHold.objects.get(key=f"task:{reported.pk}").status == EscrowStatus.HELD


def test_ship_and_report_validate_their_inputs(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    with pytest.raises(DomainError) as exc:
        services.task_ship_sample(task=task, actor=merchant, carrier=" ", tracking_no="")
    assert exc.value.code == "task.no_tracking"
    received = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    with pytest.raises(DomainError) as exc:
        services.task_report_live(
            task=received,
            actor=creator,
            live_at=timezone.now() + timedelta(hours=1),
            replay_url="https://r.example/1",
        )
    assert exc.value.code == "task.live_in_future"
    with pytest.raises(DomainError) as exc:
        services.task_report_live(
            task=received,
            actor=creator,
            live_at=received.created_at - timedelta(days=1),
            replay_url="https://r.example/1",
        )
    assert exc.value.code == "task.live_too_early"
    received.refresh_from_db()
    assert received.state == TaskState.RECEIVED


# --- admission on every cooperating step -------------------------------------------------


def test_a_merchant_that_loses_admission_cannot_ship_but_can_still_cancel(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    merchant.merchant.shop_status = ShopStatus.RESTRICTED
    merchant.merchant.save()
    with pytest.raises(NotAdmitted):
        services.task_ship_sample(task=task, actor=merchant, carrier="顺丰", tracking_no="SF1234")
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    # Leaving is never blocked: the cancellation returns the merchant's money.
    services.task_cancel(task=task, actor=merchant)
    assert _bal(merchant) == Decimal("0.00")


def test_a_creator_cannot_accept_from_an_unadmitted_merchant_or_a_restricted_product(
    merchant, creator
):
    task = make_task(merchant=merchant, creator=creator)
    merchant.merchant.shop_status = ShopStatus.CLOSED
    merchant.merchant.save()
    with pytest.raises(DomainError) as exc:
        services.task_accept(task=task, actor=creator)
    assert exc.value.code == "task.merchant_not_admitted"
    merchant.merchant.shop_status = ShopStatus.NORMAL
    merchant.merchant.save()
    RestrictedProduct.objects.create(
        merchant=merchant.merchant, sku=task.items.get().sku, reason="临时下架审查"
    )
    with pytest.raises(ProductRestricted):
        services.task_accept(task=task, actor=creator)
    task.refresh_from_db()
    assert task.state == TaskState.INVITED
    assert not EscrowHold.objects.exists()


def test_a_creator_that_loses_admission_cannot_accept_but_can_decline(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    Creator.objects.filter(pk=creator.pk).update(level=0)
    creator = User.objects.get(pk=creator.pk)  # as the next request would load it
    with pytest.raises(NotAdmitted):
        services.task_accept(task=task, actor=creator)
    services.task_decline(task=task, actor=creator, reason="暂停接单")
    task.refresh_from_db()
    assert task.state == TaskState.DECLINED
