"""Acceptance holds only what the merchant can fund (issue 20, money in)."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import override_settings

from admission.models import User
from cooperation.models import Task, TaskState, TaskTransition
from cooperation.services import tasks as services
from hotwave.exceptions import DomainError
from settlement.models import EscrowHold, FundsShortfall, Journal, JournalKind
from settlement.selectors.merchant_funds import funds_of
from settlement.services import funding
from settlement.services.report import total
from tests.admission.factories import CreatorFactory, MerchantFactory
from tests.cooperation.task_factories import ProductFactory, admit, make_task


@pytest.fixture
def shop(db):
    return MerchantFactory(user__username="poor_shop", shop_name="小本生意", credit_limit=0).user


@pytest.mark.django_db
def test_an_acceptance_the_merchant_cannot_fund_is_refused_tells_both_and_changes_nothing(
    shop, creator, client_for
):
    funding.top_up_request(actor=shop, amount=D("999.99"))
    task = make_task(merchant=shop, creator=creator, slot_fee=D("1000.00"))
    with pytest.raises(funding.InsufficientFunds) as exc:
        services.task_accept(task=task, actor=creator)
    assert "¥1,000.00" in exc.value.message
    assert "¥999.99" not in exc.value.message  # the merchant's funds stay private
    task.refresh_from_db()
    assert task.state == TaskState.INVITED and task.accepted_at is None
    assert not TaskTransition.objects.filter(task=task, action="accept").exists()
    assert not EscrowHold.objects.exists()
    assert not Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).exists()
    assert funds_of(shop.pk).available == D("999.99")
    shortfall = FundsShortfall.objects.get()
    assert (shortfall.key, shortfall.reference, shortfall.needed, shortfall.available) == (
        f"task:{task.pk}",
        task.reference,
        D("1000.00"),
        D("999.99"),
    )

    # The creator, through the page: the refusal with its reason.
    page = client_for(creator).post(f"/tasks/{task.pk}/accept/", follow=True)
    assert "不足以托管坑位费" in page.content.decode()
    # The merchant: on the task and on 充值与可用资金.
    detail = client_for(shop).get(f"/tasks/{task.pk}/").content.decode()
    assert 'data-testid="funds-shortfall"' in detail and "¥999.99" in detail
    funds_page = client_for(shop).get("/funds/top-up/").content.decode()
    assert task.reference in funds_page

    # The smallest top-up (¥1.00), and the same creator can accept.
    funding.top_up_request(actor=shop, amount=D("1.00"))
    services.task_accept(task=task, actor=creator)
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    assert funds_of(shop.pk).available == D("0.99")
    assert total() == D("0.00")
    assert (
        'data-testid="funds-shortfall"'
        not in client_for(shop).get(f"/tasks/{task.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_a_commission_only_task_needs_no_funds(shop, creator):
    task = make_task(merchant=shop, creator=creator, slot_fee=D("0.00"), mode="commission")
    services.task_accept(task=task, actor=creator)
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED and not EscrowHold.objects.exists()


@pytest.mark.django_db
@override_settings(HOTWAVE_MAX_SLOT_FEE=D("5000.00"))
def test_a_slot_fee_above_the_bound_is_refused_where_it_is_typed(merchant, creator):
    admit(merchant, creator)
    product = ProductFactory(merchant=merchant.merchant)
    with pytest.raises(DomainError) as exc:
        make_task(merchant=merchant, creator=creator, slot_fee=D("5000.01"), products=[product])
    assert exc.value.code == "task.slot_fee_above_limit" and "¥5,000.00" in exc.value.message
    assert not Task.objects.exists()
    make_task(merchant=merchant, creator=creator, slot_fee=D("5000.00"), products=[product])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_once_that_together_exceed_the_funds_hold_exactly_one():
    shop = MerchantFactory(credit_limit=0).user
    first, second = CreatorFactory().user, CreatorFactory().user
    funding.top_up_request(actor=shop, amount=D("1500.00"))
    tasks = [make_task(merchant=shop, creator=c, slot_fee=D("1000.00")) for c in (first, second)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def accept(i: int) -> None:
        try:
            user = User.objects.get(pk=(first, second)[i].pk)
            task = Task.objects.get(pk=tasks[i].pk)
            barrier.wait()
            results[i] = services.task_accept(task=task, actor=user)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ok = [r for r in results if isinstance(r, Task)]
    refused = [r for r in results if isinstance(r, funding.InsufficientFunds)]
    assert (len(ok), len(refused)) == (1, 1), results
    assert EscrowHold.objects.count() == 1
    assert Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).count() == 1
    assert Task.objects.filter(state=TaskState.ACCEPTED).count() == 1
    assert funds_of(shop.pk).available == D("500.00")
    assert FundsShortfall.objects.get().available == D("500.00")
    assert total() == D("0.00")
