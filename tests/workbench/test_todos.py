"""待办事项: the registry, the Celery recount into the cache, and the page's fallbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from hotwave import todos
from workbench import services, tasks

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every cache call fails fast.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def counts_of(board) -> dict[str, int]:
    return {item.key: item.count for item in board.items}


def test_registry_lists_sources_by_role_and_order(fake_source):
    keys = [s.key for s in todos.sources("merchant")]
    assert keys[0] == "test.fake"  # order=1 sorts first
    assert "test.fake" not in [s.key for s in todos.sources("operator")]
    # Real sources declared by the other apps are discovered too.
    assert "cooperation.merchant_invited" in keys
    assert "cooperation.creator_to_answer" in [s.key for s in todos.sources("creator")]


def test_register_is_idempotent_per_key(fake_source):
    before = len(todos.sources())
    todos.register(todos.sources("merchant")[0])
    assert len(todos.sources()) == before


def test_recount_all_runs_one_count_all_per_source_and_pages_read_the_cache(
    fake_source, merchant, creator
):
    fake_source.counts = {merchant.pk: 3, creator.pk: 0}
    summary = tasks.recount_all_todos.delay().get()
    assert fake_source.all_calls == 1
    assert summary["users"] >= 1

    board = services.todos_board(merchant)
    assert board.source == "cache"
    assert counts_of(board)["test.fake"] == 3
    # A user with no entry in a known generation has zero, without touching the database.
    board = services.todos_board(creator)
    assert board.source == "cache"
    assert counts_of(board)["test.fake"] == 0
    assert fake_source.for_calls == 0


def test_recount_all_makes_a_new_generation_so_cleared_counts_read_zero(fake_source, merchant):
    fake_source.counts = {merchant.pk: 2}
    services.todos_recount_all()
    fake_source.counts = {merchant.pk: 0}
    services.todos_recount_all()
    assert counts_of(services.todos_board(merchant))["test.fake"] == 0


def test_cold_cache_computes_the_user_directly_and_stores_it(fake_source, merchant):
    fake_source.counts = {merchant.pk: 5}
    board = services.todos_board(merchant)
    assert board.source == "live" and not board.cache_error
    assert counts_of(board)["test.fake"] == 5
    assert fake_source.for_calls == 1
    # The direct result was cached: the next view reads it.
    again = services.todos_board(merchant)
    assert again.source == "cache"
    assert fake_source.for_calls == 1


def test_stale_cache_is_not_trusted(fake_source, merchant):
    old = timezone.now() - timedelta(seconds=services.TODO_MAX_AGE + 60)
    services.todos_store_user(user_id=merchant.pk, counts={"test.fake": 9}, at=old)
    fake_source.counts = {merchant.pk: 1}
    board = services.todos_board(merchant)
    assert board.source == "live"
    assert counts_of(board)["test.fake"] == 1


def test_the_fresher_of_generation_and_user_entry_wins(fake_source, merchant):
    fake_source.counts = {merchant.pk: 2}
    services.todos_recount_all()
    fake_source.counts = {merchant.pk: 7}
    services.todos_recount_user(user_id=merchant.pk)
    board = services.todos_board(merchant)
    assert board.source == "cache"
    assert counts_of(board)["test.fake"] == 7


@pytest.mark.django_db(transaction=True)
def test_changed_recounts_the_user_after_commit(fake_source, merchant):
    from django.db import transaction

    services.todos_recount_all()  # merchant has 0
    fake_source.counts = {merchant.pk: 4}
    with transaction.atomic():
        todos.changed([merchant.pk, None])
        # Not yet: the recount waits for the commit.
        assert counts_of(services.todos_board(merchant))["test.fake"] == 0
    assert counts_of(services.todos_board(merchant))["test.fake"] == 4


def test_changed_never_breaks_the_callers_write(fake_source, merchant, monkeypatch):
    def broken(ids):
        raise RuntimeError("broker down")

    todos.on_change(broken)
    try:
        todos.changed([merchant.pk])  # logs, does not raise
    finally:
        todos._LISTENERS.remove(broken)


def test_cache_down_computes_directly_and_says_so(fake_source, merchant, client_for):
    fake_source.counts = {merchant.pk: 2}
    with override_settings(CACHES=DEAD_REDIS):
        board = services.todos_board(merchant)
        assert board.source == "live" and board.cache_error
        assert counts_of(board)["test.fake"] == 2
        response = client_for(merchant).get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "缓存暂不可用" in html and "实时计算于" in html
        with pytest.raises(Exception):  # noqa: B017 - the recount task itself reports the outage
            services.todos_recount_all()
    cache.clear()


def test_cached_counts_show_when_they_were_computed(fake_source, merchant, client_for):
    fake_source.counts = {merchant.pk: 3}
    services.todos_recount_all()
    html = client_for(merchant).get("/").content.decode()
    assert "更新于" in html
    assert 'data-todo="test.fake"' in html
    assert 'href="/fake/?state=waiting"' in html


def test_todos_partial_for_htmx_refresh(fake_source, merchant, client_for):
    fake_source.counts = {merchant.pk: 6}
    c = client_for(merchant)
    response = c.get("/workbench/todos/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert 'hx-trigger="every 60s"' in html
    assert "<html" not in html
    # Without htmx, the address leads to the whole workbench.
    assert c.get("/workbench/todos/").url == "/"


def test_recount_of_a_deleted_user_is_harmless(db):
    assert services.todos_recount_user(user_id=987654) is None
