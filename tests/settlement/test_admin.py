"""Operator admin: money rows searchable and read-only; reconcile from the run list."""

from __future__ import annotations

from django.urls import reverse

from tests.settlement.admin_checks import (  # noqa: F401 - collected here
    MODELS,
    settled,
    test_detail_pages_are_read_only,
    test_lists_and_search_work_and_nothing_can_be_added,
    test_reconcile_action_reports_drift,
    test_reconcile_button_reports_a_whole_ledger,
)


def test_non_staff_cannot_reach_admin(settled, creator, client_for):  # noqa: F811 - the fixture
    response = client_for(creator).get(reverse("admin:settlement_order_changelist"))
    assert response.status_code == 302
