"""主播广场's nickname search at scale: a trigram index on PostgreSQL for ``icontains``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from cooperation.filters import PlazaFilter
from cooperation.selectors.plaza import plaza_creators
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import admit

pytestmark = pytest.mark.django_db

PLAZA = reverse("cooperation:plaza")


def nicknames(merchant, q: str) -> list[str]:
    qs = PlazaFilter({"q": q}, queryset=plaza_creators(actor=merchant)).qs
    return sorted(c.nickname for c in qs)


def test_search_is_a_case_insensitive_substring(merchant):
    for nick in ("LiLy小厨", "lily好物", "晴好物68423", "Bob"):
        admit(CreatorFactory(nickname=nick).user)
    assert nicknames(merchant, "lily") == ["LiLy小厨", "lily好物"]
    assert nicknames(merchant, "好物6842") == ["晴好物68423"]
    assert nicknames(merchant, "zzz") == []


@pytest.mark.postgres
def test_the_trigram_index_matches_what_icontains_writes(merchant):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'creator_nickname_trgm_idx'"
        )
        (indexdef,) = cursor.fetchone()
    assert "gin" in indexdef and "gin_trgm_ops" in indexdef
    assert "upper((nickname)::text)" in indexdef
    # Django writes icontains on PostgreSQL as UPPER(col::text) LIKE UPPER(%s): the
    # index expression must be the same for the planner to use it.
    qs = PlazaFilter({"q": "x"}, queryset=plaza_creators(actor=merchant)).qs
    assert 'UPPER("admission_creator"."nickname"::text) LIKE UPPER(' in str(qs.query)


def test_the_page_searches(client_for, merchant):
    admit(merchant, CreatorFactory(nickname="晴好物68423").user)
    body = client_for(merchant).get(PLAZA, {"q": "好物6842"}).content.decode()
    assert "晴好物68423" in body
