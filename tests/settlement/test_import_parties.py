"""How an ingestion finds its merchants and creators (``decide.KnownParties``).

Names found once are not asked again; a name not found is asked again in the
next chunk (a party registered meanwhile is seen). A file import, whose chunk
names many parties not found yet, loads every party of that kind at once (when
there are not too many), so its later chunks need no lookup at all.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from settlement.services import events as ev
from settlement.services.events import decide, pipeline
from settlement.services.events.decide import KnownParties
from tests.admission.factories import CreatorFactory, MerchantFactory
from tests.settlement.factories import paid


def _names(parties) -> set[str]:
    return {p.user.username for p in parties}


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_names_found_once_are_not_asked_again_and_missing_ones_are():
    merchants = MerchantFactory.create_batch(2)
    creators = CreatorFactory.create_batch(3)
    parties = KnownParties()
    parties.load(_names(merchants), _names(creators[:2]) | {"nobody"})
    assert parties.merchants == {m.user.username: m.pk for m in merchants}
    assert parties.creators == {c.user.username: c.pk for c in creators[:2]}
    assert _queries(lambda: parties.load(_names(merchants), _names(creators[:2]))) == 0
    late = CreatorFactory()  # registered between two chunks
    parties.load(set(), {"nobody", late.user.username})
    assert parties.creators[late.user.username] == late.pk and "nobody" not in parties.creators


@pytest.mark.django_db
def test_a_file_import_loads_every_party_of_a_kind_once_when_a_chunk_names_many():
    creators = CreatorFactory.create_batch(5)
    merchant = MerchantFactory()
    parties = KnownParties(whole_table_at=3)
    parties.load({merchant.user.username}, _names(creators[:3]))  # 3 new creators: all loaded
    assert parties.creators == {c.user.username: c.pk for c in creators}
    assert parties.merchants == {merchant.user.username: merchant.pk}  # 1 name: looked up
    assert _queries(lambda: parties.load(set(), _names(creators[3:]))) == 0
    late = CreatorFactory()  # not in the whole load: still found, by name, once
    parties.load(set(), {late.user.username, "nobody", "nobody2", "nobody3"})
    assert parties.creators[late.user.username] == late.pk
    assert len(parties.creators) == 6  # the whole table is loaded once per ingestion


@pytest.mark.django_db
def test_a_kind_with_too_many_parties_is_only_looked_up_by_name(monkeypatch):
    creators = CreatorFactory.create_batch(4)
    with connection.cursor() as cursor:  # the planner's row estimate, as after ANALYZE
        cursor.execute("ANALYZE admission_creator")
    monkeypatch.setattr(KnownParties, "WHOLE_TABLE_LIMIT", 2)
    parties = KnownParties(whole_table_at=2)
    parties.load(set(), _names(creators[:2]))
    assert parties.creators == {c.user.username: c.pk for c in creators[:2]}


@pytest.mark.django_db
def test_a_file_import_loads_the_parties_whole_and_the_api_does_not(monkeypatch):
    merchant = MerchantFactory()
    creators = CreatorFactory.create_batch(3)
    asked: list = []
    real = decide.party_ids
    monkeypatch.setattr(
        decide, "party_ids", lambda model, names: asked.append(names) or real(model, names)
    )
    monkeypatch.setattr(pipeline, "FILE_WHOLE_TABLE_AT", 2)
    events = [
        paid(f"P{i}", merchant.user, c.user, "10.00", "0.2000", "2026-10-05T20:00:00+08:00")
        for i, c in enumerate(creators[:2])
    ]
    tally = ev.ingest_file([json.dumps(e).encode() for e in events], writers=1)
    assert tally.accepted == 2
    assert None in asked  # every creator at once
    asked.clear()
    tally = ev.ingest_objects([paid("P9", merchant.user, creators[2].user, "10.00", "0.2000",
                                    "2026-10-05T20:00:00+08:00")])  # fmt: skip
    assert tally.accepted == 1 and None not in asked  # the API asks by name only
