"""指定达人 and the square's "not restricted for me" filter: axe-clean (0 serious or
critical) in both languages at desktop and phone width, on the demo world."""

from __future__ import annotations

import pytest

from tests.e2e.sweep import sweep, sweep_world  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_list_page_and_the_not_restricted_square_are_axe_clean(sweep, django_db_blocker):  # noqa: F811
    from tests.e2e.pages import _plan_creators
    from tests.e2e.sweep import COMBOS, Sweep, axe_failures

    with django_db_blocker.unblock():
        path = _plan_creators("demo_merchant", "DM-003")
    pages = {
        "demo_merchant": [("plan_creators", path)],
        "demo_creator": [("square_unrestricted", "/hot/?unrestricted=on&sort=rate")],
    }
    contexts = {
        (user, lang, width): visits for user, visits in pages.items() for lang, width in COMBOS
    }
    own = Sweep(sweep.browser, sweep.url, contexts, sweep.sessions)
    visits = []
    for user in pages:
        for lang, width in COMBOS:
            visits += own.visit(user, lang, width)
    assert len(visits) == 8 and all(v.status == 200 for v in visits)
    failures = axe_failures(visits)
    assert not failures, "\n".join(failures)
