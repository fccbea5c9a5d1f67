"""Django admin as the demo operator sees it (issue 13): the same checks as
``test_sweep_pages.py`` — axe-core 0 serious/critical in both languages and widths,
and no Chinese in the English admin outside data (change-list cells, read-only
values, object names). The pages come from ``admin.site`` (``tests/e2e/pages.py``).

Chinese here, English in ``test_sweep_admin_en.py``: two modules, so that the two
xdist workers share the admin's ~600 visits (one module took ~5 minutes of one worker).
"""

from __future__ import annotations

import pytest

from tests.e2e.sweep import WIDTHS, assert_admin_axe_clean, sweep, sweep_world  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_or_critical_axe_violations_in_admin(sweep, width):  # noqa: F811
    assert_admin_axe_clean(sweep, "zh-hans", width)
