"""Ratings (评价, issue 17): once per side, after completion, within 14 days, editable 24 h."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from cooperation.models import Rating, TaskState
from cooperation.services import ratings
from tests.admission.factories import OperatorFactory
from tests.cooperation.task_factories import make_task
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(merchant, creator):
    return make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)


def test_each_side_rates_the_other_once(completed, merchant, creator):
    mine = ratings.rating_create(task=completed, actor=merchant, stars=4, text="准时开播，讲解专业")
    theirs = ratings.rating_create(task=completed, actor=creator, stars=5)
    assert (mine.rater_party, mine.stars, mine.creator_id) == ("merchant", 4, creator.pk)
    assert (theirs.rater_party, theirs.merchant_id) == ("creator", merchant.pk)
    with pytest.raises(ratings.RatingError) as exc:
        ratings.rating_create(task=completed, actor=merchant, stars=1)
    assert exc.value.code == "rating.already_rated"
    assert Rating.objects.get(pk=mine.pk).stars == 4


@pytest.mark.parametrize(
    "state", [TaskState.INVITED, TaskState.RECEIVED, TaskState.LIVE_REPORTED, TaskState.CANCELLED]
)
def test_no_rating_before_completion(merchant, creator, state):
    task = make_task(merchant=merchant, creator=creator, state=state)
    with pytest.raises(ratings.RatingError) as exc:
        ratings.rating_create(task=task, actor=merchant, stars=5)
    assert exc.value.code == "rating.not_completed"
    assert not Rating.objects.exists()


def test_the_window_closes_14_days_after_completion(completed, merchant):
    late = completed.completed_at + timedelta(days=14)
    with pytest.raises(ratings.RatingError) as exc:
        ratings.rating_create(task=completed, actor=merchant, stars=5, now=late)
    assert exc.value.code == "rating.window_closed"
    ratings.rating_create(task=completed, actor=merchant, stars=5, now=late - timedelta(minutes=1))


def test_editable_for_24_hours_then_fixed(completed, merchant):
    r = ratings.rating_create(task=completed, actor=merchant, stars=2, text="一般")
    ratings.rating_edit(task=completed, actor=merchant, stars=3, text="沟通后好转")
    r.refresh_from_db()
    assert (r.stars, r.text) == (3, "沟通后好转")
    with pytest.raises(ratings.RatingError) as exc:
        ratings.rating_edit(
            task=completed, actor=merchant, stars=5, now=r.created_at + timedelta(hours=24)
        )
    assert exc.value.code == "rating.edit_closed"
    r.refresh_from_db()
    assert r.stars == 3


@pytest.mark.parametrize("stars", [0, 6, "4.5", "x", None, -1])
def test_bad_stars_and_long_text_are_refused(completed, merchant, stars):
    with pytest.raises(ratings.RatingError):
        ratings.rating_create(task=completed, actor=merchant, stars=stars)
    with pytest.raises(ratings.RatingError):
        ratings.rating_create(task=completed, actor=merchant, stars=5, text="字" * 501)
    assert not Rating.objects.exists()


def test_a_stranger_cannot_rate(completed, other_merchant):
    with pytest.raises(ratings.RatingError) as exc:
        ratings.rating_create(task=completed, actor=other_merchant, stars=1)
    assert exc.value.code == "rating.not_party"


# --- the task page ---------------------------------------------------------------------


def test_task_page_rates_and_shows_both_sides(client_for, completed, merchant, creator):
    client = client_for(merchant)
    url = reverse("cooperation:task_detail", args=[completed.pk])
    page = client.get(url)
    assert "提交评价" in page.content.decode()
    response = client.post(
        reverse("cooperation:task_rate", args=[completed.pk]), {"stars": "5", "text": "很专业"}
    )
    assert response.status_code == 302
    ratings.rating_create(task=completed, actor=creator, stars=4, text="回款及时")
    body = client.get(url).content.decode()
    assert "很专业" in body and "回款及时" in body and "修改评价" in body


def test_task_page_refuses_twice_and_bad_input_with_a_message(client_for, completed, merchant):
    client = client_for(merchant)
    rate = reverse("cooperation:task_rate", args=[completed.pk])
    bad = client.post(rate, {"stars": "9"})
    assert bad.status_code == 400 and "请选择 1 到 5 星" in bad.content.decode()
    assert client.post(rate, {"stars": "3"}).status_code == 302
    again = client.post(rate, {"stars": "1"})
    assert again.status_code == 400 and "你已经评价过这个任务" in again.content.decode()
    assert Rating.objects.get().stars == 3


def test_htmx_rating_swaps_the_task_partial(client_for, completed, merchant):
    client = client_for(merchant)
    response = client.post(
        reverse("cooperation:task_rate", args=[completed.pk]),
        {"stars": "4"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="task"' in body and "<html" not in body


def test_strangers_get_404_and_anonymous_goes_to_login(
    client_for, completed, other_merchant, other_creator, client
):
    rate = reverse("cooperation:task_rate", args=[completed.pk])
    for user in (other_merchant, other_creator):
        assert client_for(user).post(rate, {"stars": "1"}).status_code == 404
    assert client.post(rate, {"stars": "1"}).status_code in (302, 404)
    assert not Rating.objects.exists()


def test_task_page_query_count_with_ratings(
    client_for, completed, merchant, creator, django_assert_max_num_queries
):
    ratings.rating_create(task=completed, actor=creator, stars=4)
    client = client_for(merchant)
    url = reverse("cooperation:task_detail", args=[completed.pk])
    client.get(url)
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


# --- operators ------------------------------------------------------------------------


@pytest.fixture
def ops(db):
    from django.apps import apps

    ensure_operator_group(apps, None)
    user = OperatorFactory(username="ops_rating", is_superuser=False)
    user.groups.add(Group.objects.get(name=OPERATORS))
    return user


def test_operator_hides_a_text_in_admin_audited_stars_unchanged(
    client_for, completed, merchant, creator, ops
):
    r = ratings.rating_create(task=completed, actor=merchant, stars=1, text="骂人的话")
    client = client_for(ops)
    url = reverse("admin:cooperation_rating_change", args=[r.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"text_hidden": "on", "hidden_reason": "人身攻击", "stars": "5"})
    assert response.status_code == 302, response.content.decode()[:2000]
    r.refresh_from_db()
    assert (r.text_hidden, r.hidden_reason, r.hidden_by, r.stars) == (True, "人身攻击", ops, 1)
    last = r.history.first()
    assert (last.history_user, last.text_hidden) == (ops, True)
    # The creator's homepage and the task page no longer show the words.
    body = client_for(creator).get(reverse("cooperation:task_detail", args=[completed.pk]))
    assert "骂人的话" not in body.content.decode()


def test_hiding_needs_a_reason_and_the_permission(completed, merchant, ops):
    r = ratings.rating_create(task=completed, actor=merchant, stars=1, text="骂人的话")
    with pytest.raises(ratings.RatingError):
        ratings.rating_hide_text(rating=r, actor=ops, reason="  ")
    plain = OperatorFactory(username="ops_plain", is_superuser=False)
    with pytest.raises(ratings.RatingError):
        ratings.rating_hide_text(rating=r, actor=plain, reason="x")
    r.refresh_from_db()
    assert not r.text_hidden


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_write_one_rating(merchant, creator):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs Postgres")
    task = make_task(merchant=merchant, creator=creator, state=TaskState.COMPLETED)
    barrier = threading.Barrier(2)
    outcomes = []

    def rate(stars):
        from django.db import connection as conn

        try:
            barrier.wait()
            ratings.rating_create(task=task, actor=merchant, stars=stars)
            outcomes.append("ok")
        except ratings.RatingError as exc:
            outcomes.append(exc.code)
        finally:
            conn.close()

    threads = [threading.Thread(target=rate, args=(s,)) for s in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "rating.already_rated"]
    assert Rating.objects.filter(task=task).count() == 1
