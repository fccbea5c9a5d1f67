"""The nightly recompute spread over connections (PostgreSQL, committed data): the same rows
as one connection's, every part written, a failed part reported."""

from __future__ import annotations

import pytest
from django.db import connection

from cooperation.models import CreatorCategoryScorecard, CreatorScorecard, MerchantScorecard
from cooperation.services import scorecards
from cooperation.services.scorecards import scorecards_recompute
from tests.admission.factories import CreatorFactory
from tests.cooperation.test_scorecards import _completed_with_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _rows() -> dict[str, list]:
    """Every row of the three tables, without surrogate ids (a new row gets a new one)."""
    out = {}
    for model in (CreatorScorecard, CreatorCategoryScorecard, MerchantScorecard):
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        out[model.__name__] = sorted(model.objects.values_list(*names))
    return out


@pytest.fixture
def world(merchant, creator):
    """Creators of both parities with completed, attributed tasks."""
    creators = [creator] + [CreatorFactory().user for _ in range(3)]
    for i, who in enumerate(creators):
        _completed_with_order(merchant, who, f"SP-{i}", f"{100 * (i + 1)}.00", refund="10.00")
    assert {c.pk % 2 for c in creators} == {0, 1}
    # Each completion refreshed its parties on commit: start from no rows.
    for model in (CreatorScorecard, CreatorCategoryScorecard, MerchantScorecard):
        model.objects.all().delete()
    return creators


def test_two_connections_write_the_rows_of_one(world):
    assert not connection.in_atomic_block
    scorecards_recompute(workers=1)
    at = CreatorScorecard.objects.get(creator_id=world[0].pk).computed_at
    one = _rows()
    CreatorScorecard.objects.all().delete()
    CreatorCategoryScorecard.objects.all().delete()
    MerchantScorecard.objects.all().delete()

    done = scorecards_recompute(now=at, workers=2)

    assert _rows() == one
    assert done.creators == CreatorScorecard.objects.count() == len(one["CreatorScorecard"])
    assert done.merchants == MerchantScorecard.objects.count()
    assert {c.creator_id % 2 for c in CreatorScorecard.objects.filter(live_sessions=1)} == {0, 1}


def test_a_failed_part_is_reported(world, monkeypatch):
    real = scorecards._recompute_part

    def failing(*, part, **kwargs):
        if part == 1:
            raise RuntimeError("part 1 lost its connection")
        return real(part=part, **kwargs)

    monkeypatch.setattr(scorecards, "_recompute_part", failing)
    with pytest.raises(RuntimeError, match="part 1"):
        scorecards_recompute(workers=2)
    # Part 0 committed its creators; the next run (idempotent) writes the rest.
    written = set(CreatorScorecard.objects.values_list("creator_id", flat=True))
    assert written and all(pk % 2 == 0 for pk in written)
    monkeypatch.setattr(scorecards, "_recompute_part", real)
    scorecards_recompute(workers=2)
    assert {c.pk for c in world} <= set(
        CreatorScorecard.objects.values_list("creator_id", flat=True)
    )


def test_inside_a_transaction_it_runs_on_this_connection(world):
    from django.db import transaction

    with transaction.atomic():
        CreatorScorecard.objects.all().delete()
        done = scorecards_recompute(workers=2)  # the parts could not see uncommitted rows
        assert done.creators == CreatorScorecard.objects.count()
