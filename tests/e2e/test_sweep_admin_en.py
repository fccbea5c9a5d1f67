"""Django admin in English as the demo operator sees it: axe-core 0 serious/critical at
both widths, and no Chinese outside data. The Chinese admin is ``test_sweep_admin.py``
(what is checked, and why two modules)."""

from __future__ import annotations

import pytest

from tests.e2e.pages import OPERATOR
from tests.e2e.sweep import WIDTHS, assert_admin_axe_clean, english_failures, sweep, sweep_world  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_or_critical_axe_violations_in_admin(sweep, width):  # noqa: F811
    assert_admin_axe_clean(sweep, "en", width)


def test_english_admin_has_no_chinese_outside_data(sweep_world):  # noqa: F811
    failures = english_failures(sweep_world, [OPERATOR])
    assert not failures, f"{len(failures)} Chinese strings in the English admin:\n" + "\n".join(
        failures
    )
