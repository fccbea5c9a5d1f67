"""Operators verify 收款账户 and enter real-name records in admin, audited (issue 20, item 1)."""

from __future__ import annotations

import pytest

from settlement.models import PayoutAccount
from settlement.services.payout_accounts import payout_account_submit
from tests.hotwave.operators import make_group_operator

pytestmark = pytest.mark.django_db
LIST = "/admin/settlement/payoutaccount/"


@pytest.fixture
def pending(creator):
    creator.creator.real_name = "卡萝"
    creator.creator.save()
    return payout_account_submit(
        actor=creator, method="alipay", holder_name="卡萝", account_number="13800138000"
    )


def test_a_group_operator_verifies_from_the_list_and_it_is_audited(client_for, pending):
    member = make_group_operator()
    c = client_for(member)
    page = c.get(LIST)
    assert page.status_code == 200 and "verify_selected" in page.content.decode()
    r = c.post(LIST, {"action": "verify_selected", "_selected_action": [pending.pk]}, follow=True)
    assert "已核实 1 个收款账户" in r.content.decode()
    pending.refresh_from_db()
    assert pending.status == "verified" and pending.decided_by == member
    latest = pending.history.first()
    assert latest.history_user == member and latest.status == "verified"
    assert c.get(f"{LIST}{pending.pk}/history/").status_code == 200


def test_a_rejection_says_why_to_the_party(client_for, pending):
    c = client_for(make_group_operator())
    c.post(LIST, {"action": "reject_selected", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == "rejected" and "核实未通过" in pending.decision_note


def test_nothing_of_an_account_is_editable_nor_added_nor_deleted(client_for, pending):
    c = client_for(make_group_operator())
    change = c.get(f"{LIST}{pending.pk}/change/").content.decode()
    assert 'name="account_number"' not in change and 'name="status"' not in change
    assert c.get(f"{LIST}add/").status_code == 403
    assert c.post(f"{LIST}{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PayoutAccount.objects.filter(pk=pending.pk).exists()


def test_operators_enter_the_real_name_record_with_the_audit_trail(client_for, creator):
    member = make_group_operator()
    profile = creator.creator
    data = {
        "nickname": profile.nickname,
        "fans": profile.fans,
        "avg_viewers": profile.avg_viewers,
        "quote": profile.quote,
        "level": profile.level,
        "alipay_verified": "on",
        "real_name": "卡萝",
    }
    r = client_for(member).post(f"/admin/admission/creator/{profile.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.real_name == "卡萝"
    latest, before = profile.history.all()[:2]
    assert (before.real_name, latest.real_name, latest.history_user) == ("", "卡萝", member)
