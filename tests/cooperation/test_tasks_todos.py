"""To-dos of cooperation tasks: counts equal the items on the linked page, for both sides."""

from __future__ import annotations

import pytest

from cooperation.models import TaskState
from cooperation.services.counter_offers import task_counter
from hotwave.todos import sources
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db

EXPECTED = {
    "cooperation.merchant_invited": ("merchant", TaskState.INVITED),
    "cooperation.merchant_to_ship": ("merchant", TaskState.ACCEPTED),
    "cooperation.merchant_to_confirm": ("merchant", TaskState.LIVE_REPORTED),
    "cooperation.creator_to_answer": ("creator", TaskState.INVITED),
    "cooperation.creator_to_receive": ("creator", TaskState.SHIPPED),
    "cooperation.creator_to_report": ("creator", TaskState.RECEIVED),
    # 议价: invitations with a counter-offer are the merchant's to answer, not the creator's.
    "cooperation.merchant_counter_offers": ("merchant", TaskState.INVITED),
}
COUNTERED = {
    "cooperation.merchant_counter_offers": "&countered=1",
    "cooperation.creator_to_answer": "&countered=0",
}


def test_sources_are_registered_for_the_right_roles():
    found = {
        s.key: s
        for s in sources()
        if (s.key.startswith("cooperation.merchant_") or s.key.startswith("cooperation.creator_"))
        and not s.key.endswith("_due_soon")
    }
    assert set(found) == set(EXPECTED)
    for key, (role, _state) in EXPECTED.items():
        assert found[key].roles == (role,)


def test_counts_match_the_page_they_link_to(
    client_for, merchant, other_merchant, creator, other_creator, django_assert_max_num_queries
):
    # One task in every state (the one open invitation per pair comes last).
    for state in sorted(TaskState, key=lambda s: s == TaskState.INVITED):
        make_task(merchant=merchant, creator=creator, state=state)
    make_task(merchant=merchant, creator=other_creator, state=TaskState.ACCEPTED)
    make_task(merchant=other_merchant, creator=other_creator, state=TaskState.SHIPPED)
    countered = make_task(merchant=merchant, creator=other_creator)
    task_counter(
        task=countered,
        actor=other_creator,
        slot_fee=countered.slot_fee - 100,
        mode=countered.mode,
        planned_live_date=countered.planned_live_date,
    )
    by_key = {s.key: s for s in sources()}
    people = {"merchant": [merchant, other_merchant], "creator": [creator, other_creator]}
    for key, (role, state) in EXPECTED.items():
        source = by_key[key]
        with django_assert_max_num_queries(1):
            everyone = source.count_all()
        for user in people[role]:
            with django_assert_max_num_queries(1):
                n = source.count_for(user)
            assert everyone.get(user.pk, 0) == n
            link = source.url(user)
            assert link.endswith(f"?state={state}{COUNTERED.get(key, '')}")
            page = client_for(user).get(link)
            assert page.status_code == 200
            assert len(page.context["page"].object_list) == n, (key, user)
            assert all(t.state == state for t in page.context["page"].object_list)
    assert by_key["cooperation.merchant_to_ship"].count_for(merchant) == 2
    assert by_key["cooperation.creator_to_receive"].count_all() == {
        creator.pk: 1,
        other_creator.pk: 1,
    }


def test_due_soon_counts_the_reminded_stage_and_links_to_those_tasks(
    client_for, merchant, creator, django_assert_max_num_queries
):
    from datetime import timedelta

    from cooperation.services.tasks import task_remind

    to_ship = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)  # not reminded
    task_remind(task=to_ship, now=to_ship.ship_by - timedelta(hours=2))
    by_key = {s.key: s for s in sources()}
    source = by_key["cooperation.merchant_due_soon"]
    with django_assert_max_num_queries(1):
        assert source.count_all() == {merchant.pk: 1}
    assert source.count_for(merchant) == 1
    assert by_key["cooperation.creator_due_soon"].count_for(creator) == 0
    page = client_for(merchant).get(source.url(merchant))
    assert [t.pk for t in page.context["page"].object_list] == [to_ship.pk]
    # Once shipped, the reminder belongs to a stage the task left: no longer due.
    from cooperation.services import tasks as services

    services.task_ship_sample(
        task=to_ship, actor=merchant, carrier="顺丰速运", tracking_no="SF1234567"
    )
    assert source.count_for(merchant) == 0
