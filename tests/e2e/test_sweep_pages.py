"""Every page of every party and of the anonymous visitor (issue 13).

* WCAG 2.2 AA: axe-core 4.14.1 (npm ``axe-core``, MPL-2.0, vendored in
  ``tests/e2e/vendor/``) injected into each page: 0 serious and 0 critical
  violations, in both languages, at desktop and phone width.
* English: no Chinese outside user content (``[data-user-content]``).

The pages are the registry in ``tests/e2e/pages.py``; how much is visited where is
``sweep.plan``. A failure lists each violation with its page, rule and elements.
"""

from __future__ import annotations

import pytest

from tests.e2e.pages import ANONYMOUS, PARTIES
from tests.e2e.sweep import COMBOS, axe_failures, english_failures, sweep, sweep_world  # noqa: F401

# The module's world is seeded and served by the ``sweep`` fixtures; the marker makes
# pytest-django create the test database and lets each test's own reads through.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROLES = (ANONYMOUS, *PARTIES)


@pytest.mark.parametrize("language,width", COMBOS)
@pytest.mark.parametrize("role", ROLES)
def test_no_serious_or_critical_axe_violations(sweep, role, language, width):  # noqa: F811
    failures = axe_failures(sweep.visit(role, language, width))
    assert not failures, f"{len(failures)} axe violations:\n" + "\n".join(failures)


def test_every_page_and_role_is_checked_in_every_combination(sweep):  # noqa: F811
    seen = {}
    for (role, language, width), visits in sweep.contexts.items():
        if role in ROLES:
            for name, _path in visits:
                seen.setdefault(name, set()).add((language, width))
                seen.setdefault((name, role), set()).add((language, width))
    assert all(len(combos) == len(COMBOS) for key, combos in seen.items() if isinstance(key, str))


def test_english_pages_have_no_chinese_outside_user_content(sweep_world):  # noqa: F811
    failures = english_failures(sweep_world, ROLES)
    assert not failures, f"{len(failures)} Chinese strings in English pages:\n" + "\n".join(
        failures
    )
