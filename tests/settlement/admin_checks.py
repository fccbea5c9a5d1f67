"""Operator admin of the money rows: searchable and read-only; reconcile from the run list.

Not collected by itself: ``test_admin.py`` runs these tests as the
superuser operator persona, and the operator group's workflow tests run them
again as a member of the 运营 group.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from settlement.models import Journal, JournalKind, Order, Posting
from settlement.services.events import ingest_objects
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid

# Settlement's money models: read-only in the admin for every operator.
MODELS = [
    "order",
    "orderevent",
    "binding",
    "account",
    "journal",
    "posting",
    "payout",
    "escrowhold",
    "settlementrun",
]


@pytest.fixture
def settled(merchant, creator):
    ingest_objects(
        [
            paid("ADM-1", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("ADM-1", "2026-10-02T10:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 10, 31))


@pytest.mark.parametrize("model", MODELS)
def test_lists_and_search_work_and_nothing_can_be_added(settled, operator, client_for, model):
    c = client_for(operator)
    url = reverse(f"admin:settlement_{model}_changelist")
    response = c.get(url, {"q": "ADM-1"})
    assert response.status_code == 200
    assert c.get(reverse(f"admin:settlement_{model}_add")).status_code == 403
    assert b"delete_selected" not in response.content


def test_detail_pages_are_read_only(settled, operator, client_for):
    c = client_for(operator)
    order = Order.objects.get()
    url = reverse("admin:settlement_order_change", args=[order.pk])
    response = c.get(url)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    c.post(url, {"order_id": "CHANGED"})
    assert Order.objects.get().order_id == "ADM-1"
    journal = Journal.objects.get(kind=JournalKind.SETTLEMENT)
    assert c.get(reverse("admin:settlement_journal_change", args=[journal.pk])).status_code == 200
    delete = reverse("admin:settlement_posting_delete", args=[Posting.objects.first().pk])
    assert c.post(delete, {"post": "yes"}).status_code == 403


def test_reconcile_button_reports_a_whole_ledger(settled, operator, client_for):
    c = client_for(operator)
    response = c.post(reverse("admin:settlement_settlementrun_reconcile"), follow=True)
    assert response.status_code == 200
    assert "对账完成" in response.content.decode()


def test_reconcile_action_reports_drift(settled, operator, client_for):
    from decimal import Decimal

    from settlement.models import Account, SettlementRun

    j = Journal.objects.create(key="rogue", kind=JournalKind.PAYOUT, business_date=date.today())
    Posting.objects.create(journal=j, account=Account.objects.first(), amount=Decimal("1"))
    c = client_for(operator)
    response = c.post(
        reverse("admin:settlement_settlementrun_changelist"),
        {"action": "run_reconcile", "_selected_action": [SettlementRun.objects.get().pk]},
        follow=True,
    )
    assert "对账发现" in response.content.decode()
