"""议价: a creator counters an invitation once; the merchant accepts (the task proceeds on the
new terms, escrow held on the new amount, once) or declines (the invitation ends)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperation.models import (
    CounterOffer,
    CounterOfferStatus,
    Party,
    SlotFeeMode,
    TaskAction,
    TaskEventKind,
    TaskState,
)
from cooperation.selectors.tasks import task_for, viewer_of
from cooperation.services import tasks as services
from cooperation.services.counter_offers import (
    task_accept_counter,
    task_counter,
    task_decline_counter,
)
from cooperation.todos import CREATOR_TO_ANSWER, MERCHANT_COUNTER_OFFERS
from hotwave.exceptions import DomainError
from settlement.models import EscrowHold, EscrowStatus, Journal, JournalKind, Posting
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db

FEE = Decimal("1000.00")


def counter(task, creator, **terms):
    values = {
        "slot_fee": Decimal("800.00"),
        "mode": SlotFeeMode.FIXED,
        "planned_live_date": task.planned_live_date + timedelta(days=3),
    }
    values.update(terms)
    return task_counter(task=task, actor=creator, **values)


def test_the_creator_counters_and_the_invitation_waits_for_the_merchant(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    offer = counter(task, creator, note="档期紧张")
    task.refresh_from_db()
    assert task.state == TaskState.INVITED and task.countered_at == offer.created_at
    assert task.slot_fee == FEE  # the invitation's terms until the merchant accepts
    assert (offer.was_slot_fee, offer.slot_fee) == (FEE, Decimal("800.00"))
    assert task.deadline().party == Party.MERCHANT
    event = task.events.get(kind=TaskEventKind.COUNTER_OFFERED)
    assert event.amount == Decimal("800.00") and event.note == "档期紧张"
    from cooperation.selectors.tasks import task_timeline

    line = next(
        e for e in task_timeline(task=task_for(actor=merchant, pk=task.pk)) if e.title == "达人议价"
    )
    assert "坑位费 ¥1,000.00 → ¥800.00" in line.move
    assert MERCHANT_COUNTER_OFFERS.count_for(merchant) == 1
    assert CREATOR_TO_ANSWER.count_for(creator) == 0
    assert viewer_of(task=task, actor=merchant).actions[:2] == (
        TaskAction.ACCEPT_COUNTER,
        TaskAction.DECLINE_COUNTER,
    )
    creator_actions = viewer_of(task=task, actor=creator).actions
    assert (
        TaskAction.ACCEPT not in creator_actions and TaskAction.COUNTER_OFFER not in creator_actions
    )


def test_a_second_counter_offer_is_refused_and_changes_nothing(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator)
    with pytest.raises(DomainError) as refused:
        counter(task, creator, slot_fee=Decimal("500.00"))
    assert refused.value.code == "counter.already"
    assert CounterOffer.objects.get().slot_fee == Decimal("800.00")
    assert task.events.filter(kind=TaskEventKind.COUNTER_OFFERED).count() == 1


def test_after_countering_the_creator_can_no_longer_accept_or_decline(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator)
    for act in (services.task_accept, services.task_decline):
        with pytest.raises(services.IllegalTransition) as refused:
            act(task=task, actor=creator)
        assert refused.value.code == "task.countered"
    assert not EscrowHold.objects.exists()


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"slot_fee": Decimal("-1.00")}, "counter.bad_slot_fee"),
        ({"slot_fee": Decimal("1000000.01")}, "counter.bad_slot_fee"),
        ({"slot_fee": Decimal("12.345")}, "counter.bad_slot_fee"),
        ({"slot_fee": Decimal("NaN")}, "counter.bad_slot_fee"),
        ({"mode": SlotFeeMode.COMMISSION}, "counter.bad_slot_fee"),
        ({"mode": SlotFeeMode.GUARANTEE, "gmv_target": None}, "counter.bad_gmv_target"),
        ({"mode": "barter"}, "counter.bad_mode"),
        ({"planned_live_date": timezone.localdate() - timedelta(days=1)}, "counter.past_date"),
    ],
    ids=[
        "negative",
        "over-max",
        "three-places",
        "nan",
        "commission-with-fee",
        "no-target",
        "bad-mode",
        "past-date",
    ],
)
def test_bad_terms_are_refused_and_change_nothing(merchant, creator, terms, code):
    task = make_task(merchant=merchant, creator=creator)
    with pytest.raises(DomainError) as refused:
        counter(task, creator, **terms)
    assert refused.value.code == code
    task.refresh_from_db()
    assert task.countered_at is None and not CounterOffer.objects.exists()
    assert not task.events.filter(kind=TaskEventKind.COUNTER_OFFERED).exists()


def test_a_counter_offer_must_change_something(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    with pytest.raises(DomainError) as refused:
        counter(task, creator, slot_fee=task.slot_fee, planned_live_date=task.planned_live_date)
    assert refused.value.code == "counter.unchanged"


def test_only_the_invited_creator_counters_and_only_while_invited(
    merchant, creator, other_merchant
):
    task = make_task(merchant=merchant, creator=creator)
    with pytest.raises(services.IllegalTransition):
        counter(task, merchant)
    accepted = make_task(merchant=other_merchant, creator=creator, state=TaskState.ACCEPTED)
    with pytest.raises(services.IllegalTransition):
        counter(accepted, creator)


def test_accepting_moves_the_task_on_the_new_terms_and_holds_the_new_fee_once(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    new_date = task.planned_live_date + timedelta(days=3)
    counter(
        task,
        creator,
        slot_fee=Decimal("1500.50"),
        mode=SlotFeeMode.GUARANTEE,
        gmv_target=Decimal("30000.00"),
        planned_live_date=new_date,
    )
    task_accept_counter(task=task, actor=merchant)
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED and task.accepted_at is not None
    assert (task.slot_fee, task.mode, task.gmv_target, task.planned_live_date) == (
        Decimal("1500.50"),
        SlotFeeMode.GUARANTEE,
        Decimal("30000.00"),
        new_date,
    )
    hold = EscrowHold.objects.get(key=f"task:{task.pk}")
    assert (hold.amount, hold.status) == (Decimal("1500.50"), EscrowStatus.HELD)
    assert CounterOffer.objects.get().status == CounterOfferStatus.ACCEPTED
    assert task.transitions.last().action == TaskAction.ACCEPT_COUNTER
    with pytest.raises(services.IllegalTransition):
        task_accept_counter(task=task, actor=merchant)  # twice
    assert Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).count() == 1
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0
    # The task then runs as any other: cancel before shipping returns exactly the new fee.
    services.task_cancel(task=task, actor=merchant)
    hold.refresh_from_db()
    assert hold.status == EscrowStatus.RETURNED
    task.refresh_from_db()
    assert task.escrow_returned == Decimal("1500.50")


def test_accepting_a_commission_only_counter_holds_nothing(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator, slot_fee=Decimal("0.00"), mode=SlotFeeMode.COMMISSION)
    task_accept_counter(task=task, actor=merchant)
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED and task.slot_fee == 0
    assert not EscrowHold.objects.exists()


def test_declining_ends_the_invitation(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator)
    task_decline_counter(task=task, actor=merchant, reason="预算有限")
    task.refresh_from_db()
    assert task.state == TaskState.DECLINED and task.slot_fee == FEE
    assert CounterOffer.objects.get().status == CounterOfferStatus.DECLINED
    assert task.transitions.last().note == "预算有限"
    assert not EscrowHold.objects.exists()
    with pytest.raises(services.IllegalTransition):
        task_accept_counter(task=task, actor=merchant)


def test_the_merchant_cannot_answer_without_a_counter_offer_nor_the_creator_answer(
    merchant, creator
):
    task = make_task(merchant=merchant, creator=creator)
    with pytest.raises(services.IllegalTransition):
        task_accept_counter(task=task, actor=merchant)
    counter(task, creator)
    with pytest.raises(services.IllegalTransition):
        task_accept_counter(task=task, actor=creator)


def test_an_unanswered_counter_offer_expires_with_the_invitation(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator)
    services.task_expire(task=task, now=task.created_at + timedelta(hours=72))
    task.refresh_from_db()
    assert task.state == TaskState.EXPIRED and not EscrowHold.objects.exists()


# --- the page ----------------------------------------------------------------------


def url(task, slug):
    return reverse(f"cooperation:task_{slug}", args=[task.pk])


def test_counter_on_someone_elses_invitation_is_404(client_for, merchant, creator, db):
    from tests.admission.factories import CreatorFactory

    task = make_task(merchant=merchant, creator=creator)
    stranger = CreatorFactory(user__username="stranger").user
    data = {"slot_fee": "800", "mode": "fixed", "planned_live_date": task.planned_live_date}
    assert client_for(stranger).post(url(task, "counter"), data).status_code == 404
    assert not CounterOffer.objects.exists()


def test_the_counter_form_refuses_a_bad_fee_at_the_field(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    data = {"slot_fee": "-5", "mode": "fixed", "planned_live_date": task.planned_live_date}
    response = client_for(creator).post(url(task, "counter"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "坑位费不能为负数。" in body
    data["slot_fee"] = "2000000"
    body = client_for(creator).post(url(task, "counter"), data).content.decode()
    assert "议价的坑位费不能超过 ¥1,000,000.00。" in body
    assert not CounterOffer.objects.exists()


def test_counter_then_accept_through_the_pages(client_for, merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    c = client_for(creator)
    page = c.get(reverse("cooperation:task_detail", args=[task.pk])).content.decode()
    assert "提出议价" in page
    new_date = (task.planned_live_date + timedelta(days=2)).isoformat()
    response = c.post(
        url(task, "counter"),
        {"slot_fee": "650.00", "mode": "fixed", "planned_live_date": new_date, "note": "改期"},
    )
    assert response.status_code == 302
    again = c.post(
        url(task, "counter"), {"slot_fee": "600", "mode": "fixed", "planned_live_date": new_date}
    )
    assert again.status_code == 400  # the action is gone: once only
    m = client_for(merchant)
    page = m.get(reverse("cooperation:task_detail", args=[task.pk])).content.decode()
    assert "接受议价" in page and "¥650.00" in page and "达人议价" in page
    confirm = m.get(url(task, "accept_counter")).content.decode()
    assert "¥650.00" in confirm
    assert m.post(url(task, "accept_counter")).status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED and task.slot_fee == Decimal("650.00")
    todo = reverse("cooperation:task_list") + "?state=invited&countered=1"
    assert m.get(todo).status_code == 200


def test_task_detail_query_count_with_a_counter_offer(
    client_for, merchant, creator, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = make_task(merchant=merchant, creator=creator)
    m = client_for(merchant)
    detail = reverse("cooperation:task_detail", args=[task.pk])
    m.get(detail)
    with CaptureQueriesContext(connection) as before:
        m.get(detail)
    counter(task, creator)
    with django_assert_num_queries(len(before)):
        m.get(detail)
    assert task_for(actor=merchant, pk=task.pk).counter_offer.slot_fee == Decimal("800.00")


# --- races (PostgreSQL row locks) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_answers_racing_on_one_counter_offer_do_one_thing(merchant, creator):
    from django.db import connection

    from tests.cooperation.test_tasks_concurrency import _race

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    task = make_task(merchant=merchant, creator=creator)
    counter(task, creator, slot_fee=Decimal("777.77"))

    def answer(i=[0]):  # noqa: B006 - alternate accept / decline across the threads
        i[0] += 1
        if i[0] % 3 == 0:
            return task_decline_counter(task=task, actor=merchant)
        return task_accept_counter(task=task, actor=merchant)

    results = _race(6, answer)
    done = [r for r in results if not isinstance(r, Exception)]
    assert len(done) == 1, results
    assert all(isinstance(r, services.IllegalTransition) for r in results if r not in done)
    task.refresh_from_db()
    holds = EscrowHold.objects.filter(key=f"task:{task.pk}")
    if task.state == TaskState.ACCEPTED:
        assert [h.amount for h in holds] == [Decimal("777.77")]
        assert Journal.objects.filter(kind=JournalKind.ESCROW_HOLD).count() == 1
    else:
        assert task.state == TaskState.DECLINED and not holds.exists()
    assert (
        task.transitions.filter(
            action__in=[TaskAction.ACCEPT_COUNTER, TaskAction.DECLINE_COUNTER]
        ).count()
        == 1
    )
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_counter_offer_racing_the_creators_own_accept_one_wins(merchant, creator):
    from django.db import connection

    from tests.cooperation.test_tasks_concurrency import _race

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    task = make_task(merchant=merchant, creator=creator)

    def act(i=[0]):  # noqa: B006
        i[0] += 1
        if i[0] % 2:
            return services.task_accept(task=task, actor=creator)
        return counter(task, creator)

    results = _race(4, act)
    assert len([r for r in results if not isinstance(r, Exception)]) == 1, results
    task.refresh_from_db()
    if task.state == TaskState.ACCEPTED:
        assert not CounterOffer.objects.exists()
        assert EscrowHold.objects.get().amount == FEE
    else:
        assert CounterOffer.objects.count() == 1 and not EscrowHold.objects.exists()
