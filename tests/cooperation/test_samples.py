"""申样: quotas and thresholds, told before asking, approval into a 纯佣 task, the last sample."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cooperation.models import PlanKind, SampleRequest, SampleStatus, SlotFeeMode, Task, TaskState
from cooperation.selectors.samples import sample_eligibility
from cooperation.services import tasks as task_services
from cooperation.services.plans import application_decide, plan_apply, plan_create
from cooperation.services.samples import sample_decide, sample_quota_set, sample_request_create
from hotwave import todos
from hotwave.exceptions import DomainError
from settlement.models import EscrowHold
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit

LIVE = timezone.localdate() + timedelta(days=5)


@pytest.fixture
def product(merchant, creator, other_creator):
    admit(merchant, creator, other_creator)
    for user, level, fans in ((creator, 3, 50_000), (other_creator, 1, 800)):
        user.creator.level, user.creator.fans = level, fans
        user.creator.save()
    return ProductFactory(merchant=merchant.merchant, title="露营椅", price=Decimal("169.00"))


@pytest.mark.django_db
def test_without_a_quota_nothing_is_offered(product, creator):
    assert sample_eligibility(product=product, creator=creator.creator).offered is False
    with pytest.raises(DomainError):
        sample_request_create(creator=creator.creator, product=product, planned_live_date=LIVE)


@pytest.mark.django_db
def test_below_the_threshold_is_told_why_before_asking(
    client_for, merchant, product, other_creator
):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=3, min_fans=10_000)
    page = (
        client_for(other_creator)
        .get(reverse("cooperation:product_plans_for_creator", args=[product.pk]))
        .content.decode()
    )
    assert "申样需要粉丝数 1.0万 及以上" in page and "申请免费样品" not in page
    with pytest.raises(DomainError) as exc:
        sample_request_create(
            creator=other_creator.creator, product=product, planned_live_date=LIVE
        )
    assert exc.value.reasons
    assert not SampleRequest.objects.exists()


@pytest.mark.django_db
def test_bad_quota_input_is_refused_and_changes_nothing(client_for, merchant, product):
    url = reverse("cooperation:product_samples", args=[product.pk])
    for data in ({"quota": "-1"}, {"quota": "many"}, {"quota": "3", "min_fans": "-5"}):
        response = client_for(merchant).post(url, data)
        assert response.status_code == 400
    assert sample_eligibility(product=product, creator=CreatorFactory()).offered is False


@pytest.mark.django_db
def test_approval_makes_a_commission_task_in_to_ship_with_no_escrow(
    client_for, merchant, creator, product
):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=1)
    c = client_for(creator)
    response = c.post(
        reverse("cooperation:sample_request", args=[product.pk]),
        {"planned_live_date": LIVE.isoformat(), "note": "露营专场"},
    )
    assert response.status_code == 302
    request = SampleRequest.objects.get()
    source = next(s for s in todos.sources("merchant") if s.key == "cooperation.sample_requests")
    assert source.count_for(merchant) == 1
    m = client_for(merchant)
    listing = m.get(source.url(merchant)).content.decode()
    assert "露营椅" in listing
    m.post(reverse("cooperation:sample_decide", args=[request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    task = request.task
    assert request.status == SampleStatus.APPROVED
    assert (task.state, task.mode, task.slot_fee) == (
        TaskState.ACCEPTED,
        SlotFeeMode.COMMISSION,
        Decimal("0.00"),
    )
    assert task.deadline() is not None  # 待寄样 has its shipping deadline, like any task
    assert not EscrowHold.objects.filter(key=f"task:{task.pk}").exists()
    assert source.count_for(merchant) == 0
    # The quota is used up: the next creator is told so.
    other = CreatorFactory(level=3, fans=90_000)
    admit(other.user)
    verdict = sample_eligibility(product=product, creator=other)
    assert verdict.remaining == 0 and verdict.reasons


@pytest.mark.django_db
def test_the_task_takes_the_best_plan_rate_open_to_the_creator(merchant, creator, product):
    product.service_fee_rate = Decimal("0.2000")
    product.save()
    plan = plan_create(
        merchant=merchant.merchant,
        product=product,
        kind=PlanKind.TARGETED,
        rate=Decimal("0.35"),
        min_fans=10_000,
    )
    application_decide(application=plan_apply(plan=plan, creator=creator.creator), approve=True)
    sample_quota_set(merchant=merchant.merchant, product=product, quota=2)
    request = sample_request_create(
        creator=creator.creator, product=product, planned_live_date=LIVE
    )
    task = sample_decide(request=request, approve=True).task
    assert task.items.get().service_fee_rate == Decimal("0.3500")  # not the product's 20%


@pytest.mark.django_db
def test_the_task_runs_to_completion(merchant, creator, product):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=2)
    request = sample_request_create(
        creator=creator.creator, product=product, planned_live_date=LIVE
    )
    task = sample_decide(request=request, approve=True).task
    task = task_services.task_ship_sample(
        task=task, actor=merchant, carrier="顺丰", tracking_no="SF1"
    )
    task = task_services.task_confirm_receipt(task=task, actor=creator)
    task = task_services.task_report_live(
        task=task, actor=creator, live_at=timezone.now(), replay_url="https://example.com/r"
    )
    task = task_services.task_confirm_completion(task=task, actor=merchant)
    assert task.state == TaskState.COMPLETED


@pytest.mark.django_db
def test_decline_needs_a_reason_and_someone_elses_request_is_404(
    client_for, merchant, other_merchant, creator, product
):
    admit(other_merchant)
    sample_quota_set(merchant=merchant.merchant, product=product, quota=2)
    request = sample_request_create(
        creator=creator.creator, product=product, planned_live_date=LIVE
    )
    with pytest.raises(DomainError):
        sample_decide(request=request, approve=False, reason=" ")
    url = reverse("cooperation:sample_decide", args=[request.pk])
    assert client_for(other_merchant).post(url, {"decision": "approve"}).status_code == 404
    assert (
        client_for(other_merchant)
        .get(reverse("cooperation:product_samples", args=[product.pk]))
        .status_code
        == 404
    )
    request.refresh_from_db()
    assert request.status == SampleStatus.PENDING
    sample_decide(request=request, approve=False, reason="档期已满")
    with pytest.raises(DomainError):
        sample_decide(request=request, approve=True)
    request.refresh_from_db()
    assert (request.status, request.reason, request.task) == (
        SampleStatus.DECLINED,
        "档期已满",
        None,
    )


def _race(n: int, fns) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fns[i]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_of_the_last_sample_at_once_approve_one(
    merchant, creator, other_creator, product
):
    sample_quota_set(merchant=merchant.merchant, product=product, quota=1)
    first = sample_request_create(creator=creator.creator, product=product, planned_live_date=LIVE)
    other_creator.creator.fans = 50_000
    other_creator.creator.save()
    second = sample_request_create(
        creator=other_creator.creator, product=product, planned_live_date=LIVE
    )

    def approve(pk):
        return lambda: sample_decide(request=SampleRequest.objects.get(pk=pk), approve=True)

    results = _race(2, [approve(first.pk), approve(second.pk)])
    ok = [r for r in results if isinstance(r, SampleRequest)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert (len(ok), len(refused)) == (1, 1), results
    assert refused[0].code == "sample.quota_full"
    assert SampleRequest.objects.filter(status=SampleStatus.APPROVED).count() == 1
    assert Task.objects.filter(items__product=product).count() == 1
