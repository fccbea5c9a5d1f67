"""合作模式 and attributed orders (SPEC §7): 纯佣 holds nothing; 保底 pays by the GMV reached."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cooperation.models import Task, TaskState
from cooperation.selectors.attribution import task_results
from cooperation.services import tasks as services
from settlement.models import EscrowHold, Posting
from settlement.services.events import ingest_objects
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db


def _paid(task, order_id, amount, *, named=False, sku=None, at=None, creator=None):
    event = {
        "type": "order.paid",
        "order_id": order_id,
        "merchant": task.merchant.user.username,
        "creator": creator or task.creator.user.username,
        "product": sku or task.items.first().sku,
        "amount": amount,
        "service_fee_rate": "0.20",
        "at": (at or task.live_at + timedelta(hours=1)).isoformat(),
    }
    if named:
        event["task"] = named if isinstance(named, str) else task.reference
    return ingest_objects([event])


def test_commission_only_holds_nothing(merchant, creator):
    task = make_task(
        merchant=merchant,
        creator=creator,
        state=TaskState.COMPLETED,
        slot_fee=Decimal("0"),
        mode="commission",
    )
    assert task.mode == "commission" and not EscrowHold.objects.exists()
    with pytest.raises(services.DomainError):
        make_task(merchant=merchant, creator=creator, mode="commission")  # with a fee


@pytest.mark.parametrize("target", [Decimal("0"), Decimal("-5"), None, Decimal("NaN")])
def test_a_guarantee_target_must_be_positive(merchant, creator, target):
    with pytest.raises(services.DomainError) as exc:
        make_task(merchant=merchant, creator=creator, mode="guarantee", gmv_target=target)
    assert exc.value.code == "task.bad_gmv_target"
    assert not Task.objects.exists()


def test_guarantee_releases_the_share_of_the_target_reached(merchant, creator):
    task = make_task(
        merchant=merchant,
        creator=creator,
        state=TaskState.LIVE_REPORTED,
        slot_fee=Decimal("1000.00"),
        mode="guarantee",
        gmv_target=Decimal("3000.00"),
    )
    _paid(task, "G1", "800.00")  # in the 48 h window
    _paid(task, "G2", "200.00", named=True, at=task.live_at + timedelta(days=5))  # named
    _paid(task, "G3", "999.00", at=task.live_at + timedelta(hours=49))  # too late
    r = task_results(task=task)
    assert (r.attribution.count, r.attribution.gmv) == (2, Decimal("1000.00"))
    services.task_confirm_completion(task=task, actor=merchant)
    task.refresh_from_db()
    # 1000 × min(1, 1000 / 3000) = 333.333… → 333.33; the rest returns.
    assert (task.escrow_released, task.escrow_returned) == (Decimal("333.33"), Decimal("666.67"))
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


def test_an_event_naming_an_unknown_task_or_another_creator_is_rejected(
    merchant, creator, other_creator
):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    assert _paid(task, "R1", "10.00", named="HW-T-999999").rejected == 1
    assert _paid(task, "R2", "10.00", named="HW-T-12").rejected == 1
    from tests.cooperation.task_factories import admit

    admit(other_creator)
    assert _paid(task, "R3", "10.00", named=True, creator="dave").rejected == 1
    assert _paid(task, "R4", "10.00", named=True).accepted == 1
    assert task_results(task=task).attribution.count == 1


def test_the_task_page_shows_results_and_polls_while_live(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.LIVE_REPORTED)
    _paid(task, "P1", "500.00")
    body = client_for(merchant).get(f"/tasks/{task.pk}/").content.decode()
    assert task.reference in body and "P1" in body and "¥500.00" in body
    assert f"/tasks/{task.pk}/results/" in body
    partial = client_for(creator).get(f"/tasks/{task.pk}/results/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "P1" in partial.content.decode()
    assert timezone.now()
