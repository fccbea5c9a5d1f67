"""The exact page cache (hotwave.pagecache): an unchanged page is answered without its
view; every kind of write to a table the page read, every other input, the CSRF token,
flash messages, uncommitted writes and a dead cache are each shown to behave.

These tests commit (``transaction=True``): versions move after commits, and a request on
a connection with uncommitted writes is never cached — which is what every ordinary
test (one transaction, rolled back) sees.
"""

from __future__ import annotations

import json
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hotwave import pagecache, readcache
from notifications.kinds import Kind
from notifications.models import Notification
from tests.notifications.test_views import _client, _raise

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CENTER = "/notifications/?show=all"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


def _get(client, path=CENTER, **extra):
    """The response and the statements its request ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def _view_ran(statements) -> bool:
    return any("notifications_notification" in sql for sql in statements)


@pytest.fixture
def center(merchant):
    _raise(merchant, 1, start=1)
    client = _client(merchant)
    first, statements = _get(client)
    assert _view_ran(statements)
    return client


def test_an_unchanged_page_is_answered_without_its_view(center):
    again, statements = _get(center)
    assert not _view_ran(statements)
    assert len(statements) <= 2  # the session and the user, read by middleware
    assert "达人1" in again.content.decode()
    assert "no-store" in again["Cache-Control"]  # still private to this browser


def test_a_model_save_shows_at_once(center, merchant):
    _raise(merchant, 1, start=2)
    page, statements = _get(center)
    assert _view_ran(statements) and "达人2" in page.content.decode()


def test_a_queryset_update_shows_at_once(center, merchant):
    Notification.objects.filter(recipient=merchant).update(
        context={"creator": "改名达人", "task": "HW-T-000001"}
    )
    page, _ = _get(center)
    assert "改名达人" in page.content.decode()


def test_a_raw_statement_shows_at_once(center, merchant):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notifications_notification SET read_at = %s WHERE recipient_id = %s",
            [timezone.now(), merchant.pk],
        )
    unread, _ = _get(center, "/notifications/")
    assert "达人1" not in unread.content.decode()


def test_a_delete_inside_a_transaction_shows_after_its_commit(center, merchant):
    with transaction.atomic():
        Notification.objects.filter(recipient=merchant).delete()
    page, statements = _get(center)
    assert _view_ran(statements) and "达人1" not in page.content.decode()


@pytest.mark.postgres
def test_rows_copied_in_bypassing_the_cursor_show_at_once(center, merchant):
    from settlement.services.bulk import insert_rows

    columns = ["recipient_id", "kind", "key", "url", "context", "delivery", "created_at"]
    context = json.dumps({"creator": "复制达人", "task": "HW-T-000009"}, ensure_ascii=False)
    row = (merchant.pk, Kind.INVITATION_ACCEPTED, "t:9", "/tasks/9/", context, "site",
           timezone.now())  # fmt: skip
    insert_rows(Notification, columns, [row], with_ids=True)
    page, _ = _get(center)
    assert "复制达人" in page.content.decode()


def test_uncommitted_writes_are_shown_and_never_kept(center, merchant):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        _raise(merchant, 1, start=3)
        inside, statements = _get(center)
        assert _view_ran(statements) and "达人3" in inside.content.decode()
        raise Rollback
    after, _ = _get(center)
    assert "达人3" not in after.content.decode()


def test_each_user_and_language_has_its_own_page(center, merchant, other_merchant):
    _raise(other_merchant, 1, start=4)
    theirs, _ = _get(_client(other_merchant))
    assert "达人4" in theirs.content.decode() and "达人1" not in theirs.content.decode()
    _get(center)  # after the other merchant's rows (the page reads merchants) were written
    center.cookies["django_language"] = "en"
    english, statements = _get(center)
    assert _view_ran(statements) and 'lang="en"' in english.content.decode()
    center.cookies["django_language"] = "zh-hans"
    chinese, statements = _get(center)
    assert not _view_ran(statements) and 'lang="zh-CN"' in chinese.content.decode()


def test_the_query_and_htmx_headers_are_inputs(center):
    for path, extra in (("/notifications/", {}), (CENTER, {"HTTP_HX_REQUEST": "true"})):
        _, statements = _get(center, path, **extra)
        assert _view_ran(statements)
    partial, statements = _get(center, CENTER, HTTP_HX_REQUEST="true")
    assert not _view_ran(statements) and b"<html" not in partial.content


def test_a_new_minute_computes_the_page_again(center, monkeypatch):
    monkeypatch.setattr(pagecache, "_minute", lambda: 10**9)
    _, statements = _get(center)
    assert _view_ran(statements)


def test_each_answer_carries_the_requests_own_working_csrf_token(merchant):
    _raise(merchant, 1, start=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(merchant)
    tokens = []
    for _ in range(2):
        page, _ = _get(client, "/notifications/")
        body = page.content
        assert pagecache.csrf_placeholder().encode() not in body
        tokens.append(TOKEN.search(body).group(1).decode())
    assert tokens[0] != tokens[1]  # masked anew, as Django renders it
    done = client.post(reverse("notifications:read_all"), {"csrfmiddlewaretoken": tokens[1]})
    assert done.status_code == 302
    assert not Notification.objects.filter(recipient=merchant, read_at__isnull=True).exists()


def test_a_flash_message_is_shown_once_and_never_kept(center):
    center.post(reverse("notifications:read_all"))
    shown, statements = _get(center)
    assert _view_ran(statements) and "已将 1 条通知标为已读" in shown.content.decode()
    again, _ = _get(center)
    assert "已将 1 条通知标为已读" not in again.content.decode()


def test_a_dead_cache_still_answers_every_page(center):
    with (
        mock.patch.object(cache, "get", side_effect=ConnectionError("down")),
        mock.patch.object(cache, "get_many", side_effect=ConnectionError("down")),
    ):
        page, statements = _get(center)
    assert _view_ran(statements) and "达人1" in page.content.decode()


def test_off_in_settings_means_off(center, settings):
    settings.PAGE_CACHE = False
    _, statements = _get(center)
    assert _view_ran(statements)


def test_a_readcache_value_brings_its_tables_along(merchant):
    def count():
        return Notification.objects.filter(recipient=merchant).count()

    with pagecache.track() as first:
        assert readcache.get_or_compute("pagecache-test", count, 60) == 0
    with pagecache.track() as second:
        assert readcache.get_or_compute("pagecache-test", count, 60) == 0  # from the cache
    assert "notifications_notification" in first.tables
    assert "notifications_notification" in second.tables


@pytest.mark.django_db(transaction=False)
def test_statements_are_told_apart():
    assert pagecache.is_read('SELECT "a" FROM "notifications_notification"')
    assert pagecache.is_read("  SAVEPOINT s1") and pagecache.is_read("RELEASE SAVEPOINT s1")
    assert pagecache.is_read("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not pagecache.is_read("WITH x AS (DELETE FROM t RETURNING id) SELECT 1")
    for sql in ("INSERT INTO t VALUES (1)", "update t set a=1", "DELETE FROM t", "COPY t FROM STDIN",
                "TRUNCATE t"):  # fmt: skip
        assert not pagecache.is_read(sql)
    assert pagecache.tables_in(
        'SELECT 1 FROM "notifications_notification" JOIN admission_user ON true'
    ) == {"notifications_notification", "admission_user"}


def test_the_observer_stays_first_among_execute_wrappers():
    connection.ensure_connection()
    assert connection.execute_wrappers[0] is pagecache._observe
    with connection.execute_wrapper(lambda execute, *args: execute(*args)):
        pass
    assert connection.execute_wrappers == [pagecache._observe]


def test_a_cached_task_page_and_thread_stay_their_parties_own(merchant, creator, other_merchant):
    from conversations import services as conversations
    from tests.cooperation.task_factories import make_task

    task = make_task(merchant=merchant, creator=creator)
    thread = conversations.thread_for_task(task=task)
    conversations.message_send(thread=thread, actor=merchant, body="样品明天寄出")
    pages = [reverse("cooperation:task_detail", args=[task.pk]),
             reverse("conversations:thread", args=[thread.pk])]  # fmt: skip
    owner, stranger = _client(merchant), _client(other_merchant)
    for path in pages:
        for _ in range(3):  # computed (marking the thread read), computed, from the cache
            assert owner.get(path).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(path).status_code == 200
        assert len(queries.captured_queries) <= 2
        assert stranger.get(path).status_code == 404
    assert "样品明天寄出" in _client(creator).get(pages[1]).content.decode()


def test_the_workbench_follows_its_own_to_do_counts_and_no_one_elses(merchant, other_merchant):
    from workbench import services as workbench

    client = _client(merchant)
    for _ in range(3):  # the first stores the counts it computed, the next the page
        assert client.get("/").status_code == 200

    def computed() -> bool:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries.captured_queries) > 2

    assert not computed()
    workbench.todos_store_user(user_id=other_merchant.pk, counts={}, at=timezone.now())
    assert not computed()
    workbench.todos_store_user(user_id=merchant.pk, counts={}, at=timezone.now())
    assert computed() and not computed()
    workbench.todos_recount_all()  # every user's counts of a recount
    assert computed()


def test_a_dead_cache_never_fails_a_write_nor_slows_every_one(merchant, monkeypatch):
    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise ConnectionError("down")

    monkeypatch.setattr(pagecache, "_redis_client", down)
    monkeypatch.setattr(pagecache, "_bump_paused_until", [0.0])
    for i in range(3):
        _raise(merchant, 1, start=20 + i)  # autocommit: a version move per write
    assert Notification.objects.filter(recipient=merchant).count() == 3
    assert len(calls) == 1  # then paused for BUMP_PAUSE_SECONDS
