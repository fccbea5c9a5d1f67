"""Operator journey in the admin: find an order's money, see runs, run reconcile."""

from datetime import date

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_finds_money_rows_and_runs_reconcile(page, live_server, demo_users, login, shot):
    from settlement.services.events import ingest_objects
    from settlement.services.settle import settle_through
    from tests.settlement.factories import confirmed, paid, started

    ingest_objects(
        [
            started("demo_streamer", "demo_agency", "0.33", "2026-10-01T00:00:00+08:00"),
            paid(
                "SPEC-1",
                "demo_merchant",
                "demo_streamer",
                "99.99",
                "0.15",
                "2026-10-05T20:15:00+08:00",
            ),  # fmt: skip
            confirmed("SPEC-1", "2026-10-08T09:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 10, 31))
    login(page, live_server, "demo_operator")
    page.goto(f"{live_server.url}/admin/settlement/order/?q=SPEC-1")
    assert "SPEC-1" in page.locator("#result_list").inner_text()
    assert page.locator(".object-tools a.addlink").count() == 0  # read-only: no "add" button
    shot(page, "settlement-admin-orders")
    page.goto(f"{live_server.url}/admin/settlement/journal/?q=SPEC-1")
    page.locator("#result_list tbody th a").first.click()
    text = page.locator("#content").inner_text()
    assert "-15.00" in text and "4.50" in text and "3.47" in text and "7.03" in text
    shot(page, "settlement-admin-journal")
    page.goto(f"{live_server.url}/admin/settlement/settlementrun/")
    page.get_by_role("button", name="运行对账").click()
    page.wait_for_load_state("load")
    assert "对账完成" in page.locator(".messagelist").inner_text()
    shot(page, "settlement-admin-reconcile")
