"""The operators' admin workflows, run again as a 运营 group member (issue #8, item 13).

The admin tests of each app use the ``operator`` persona, a superuser. Here the
same tests run with ``operator`` = a staff user in the 运营 group and nothing
else, proving the group's permissions are enough for every workflow: finding
parties, bulk verification with audit rows, assessments, restricted products and
permissions, agreements, money rows and reconcile, tasks, the help center.
"""

from __future__ import annotations

import pytest

from tests.admission.test_admin import *  # noqa: F403
from tests.admission.test_restricted_end_to_end import (  # noqa: F401
    test_restrict_request_grant_revoke as test_restricted_restrict_request_grant_revoke,
)
from tests.cooperation.test_tasks_views import (  # noqa: F401
    test_operators_read_tasks_in_admin_but_cannot_change_them,
)
from tests.hotwave.operators import make_group_operator
from tests.settlement.admin_checks import (  # noqa: F401
    settled,
    test_detail_pages_are_read_only,
    test_lists_and_search_work_and_nothing_can_be_added,
    test_reconcile_action_reports_drift,
    test_reconcile_button_reports_a_whole_ledger,
)
from tests.workbench.test_help_and_cases import (  # noqa: F401
    test_operators_curate_help_and_cases_in_admin,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return make_group_operator()
