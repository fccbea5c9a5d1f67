"""The copied-back demo world is the seeded one, row for row (tests/demo_snapshot.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from tests import demo_snapshot
from tests.admission.factories import CreatorFactory


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Rows and a digest of their content (ordered by every column) per table."""
    out = {}
    with connection.cursor() as cursor:
        for name in demo_snapshot._tables(cursor):
            # The table names come from pg_tables, not from input.
            digest = "count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
            cursor.execute(f'SELECT {digest} FROM "{name}" t')  # noqa: S608
            out[name] = cursor.fetchone()
    return out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_copy_is_the_seeded_world_and_new_rows_get_new_ids():
    demo_snapshot.seed_demo_world()
    seeded = _fingerprint()
    assert seeded["cooperation_task"][0] > 0 and seeded["settlement_order"][0] > 0
    users = get_user_model().objects
    top_user = users.order_by("-pk").values_list("pk", flat=True).first()

    call_command("flush", interactive=False, verbosity=0)
    assert demo_snapshot._snapshots.get(()) is not None  # the next call copies back
    demo_snapshot.seed_demo_world()
    assert _fingerprint() == seeded

    # The users-only world keeps its own copy; the whole world's is still there after it.
    call_command("flush", interactive=False, verbosity=0)
    demo_snapshot.seed_demo_world("--users-only")
    assert demo_snapshot._snapshots.get(("--users-only",)) is not None
    users_only = _fingerprint()
    assert users_only["admission_user"][0] > 0 and users_only != seeded
    call_command("flush", interactive=False, verbosity=0)
    demo_snapshot.seed_demo_world()
    assert _fingerprint() == seeded

    fresh = CreatorFactory(user__username="after_the_copy").user
    assert fresh.pk > top_user


def test_an_old_copy_or_one_from_yesterday_is_not_used(monkeypatch):
    snap = demo_snapshot._Snapshot(
        args=(), taken=0.0, day=demo_snapshot._today(), tables={}, sequences={}, media=None
    )
    monkeypatch.setattr(demo_snapshot.time, "monotonic", lambda: demo_snapshot.MAX_AGE_SECONDS - 1)
    assert snap.usable_for(())
    assert not snap.usable_for(("--users-only",))
    monkeypatch.setattr(demo_snapshot.time, "monotonic", lambda: demo_snapshot.MAX_AGE_SECONDS + 1)
    assert not snap.usable_for(())
    monkeypatch.setattr(demo_snapshot.time, "monotonic", lambda: 1.0)
    snap.day = snap.day.replace(year=snap.day.year - 1)
    assert not snap.usable_for(())


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_copy_goes_back_inside_a_test_transaction_with_checks_queued():
    """In a ``db`` test, rows written before the copy have foreign-key checks queued
    (TRUNCATE refused such tables: "pending trigger events"); after it the triggers and
    checks are on again for the rest of the test."""
    demo_snapshot.seed_demo_world()
    seeded = _fingerprint()
    CreatorFactory(user__username="before_the_copy")  # deferred FK checks now queued
    demo_snapshot.seed_demo_world()
    assert _fingerprint() == seeded
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
