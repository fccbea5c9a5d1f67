"""Audit trail of what operators may change in admin (issue #8, item 13).

Every model the 运营 group may add, change or delete keeps a django-simple-history
trail (who, when, old, new) — or is listed below with the reason it has none, so
granting a new model without an audit trail fails here.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from admission.models import ShopStatus
from tests.admission.factories import MerchantFactory
from tests.hotwave.operators import make_group_operator

pytestmark = pytest.mark.django_db

GRANTED = importlib.import_module("workbench.operator_group").OPERATOR_PERMISSIONS

# Changeable by operators without a simple-history trail (Django's admin LogEntry
# still records who changed which fields, and when, for changes made in admin).
NOT_AUDITED = {
    "admission.category": "reference data (category names and order)",
    "workbench.helpcategory": "help-center content",
    "workbench.helparticle": "help-center content",
    "workbench.successcase": "curated content",
    "workbench.casefigure": "curated content",
    "cooperation.dispute": (
        "not editable in admin; a decision is made once and recorded on the dispute "
        "itself (裁决人, 裁决时间, 裁决理由, amounts) and on the task's timeline"
    ),
    "conversations.report": (
        "not editable in admin; a decision is made once and recorded on the report "
        "(处理人, 处理时间, 处理说明), every opening of its thread in ReportAccess"
    ),
}


def _writable() -> list[str]:
    return sorted(
        f"{app}.{model}"
        for app, models in GRANTED.items()
        for model, actions in models.items()
        if set(actions) - {"view"}
    )


@pytest.mark.parametrize("label", _writable())
def test_what_operators_may_change_is_audited(label):
    model = apps.get_model(label)
    if label in NOT_AUDITED:
        assert not hasattr(model, "history"), f"{label} is audited now: drop it from NOT_AUDITED"
        return
    assert hasattr(model, "history"), f"{label}: operators may change it, but no history"
    assert isinstance(admin.site._registry[model], SimpleHistoryAdmin), label


def test_an_operators_change_in_admin_records_who_when_old_and_new(client_for):
    operator = make_group_operator()
    m = MerchantFactory(shop_status=ShopStatus.NORMAL)
    response = client_for(operator).post(
        "/admin/admission/merchant/",
        {"action": "set_shop_status_closed", "_selected_action": [m.pk], "index": 0},
    )
    assert response.status_code == 302
    latest = m.history.first()
    assert latest.history_user == operator
    assert latest.history_date is not None
    assert latest.prev_record.shop_status == ShopStatus.NORMAL
    assert latest.shop_status == ShopStatus.CLOSED
    page = client_for(operator).get(f"/admin/admission/merchant/{m.pk}/history/")
    assert page.status_code == 200 and operator.username in page.content.decode()
