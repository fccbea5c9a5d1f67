"""Disputes (争议, SPEC §7): open, answer, lapse, an operator's decision — exactly once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cooperation.models import Dispute, TaskState
from cooperation.services import disputes
from cooperation.services import tasks as services
from settlement.models import Account, EscrowHold, EscrowStatus, Journal, Posting
from tests.admission.factories import OperatorFactory
from tests.cooperation.task_factories import make_task
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db


def _balance(user, kind):
    acc = Account.objects.filter(user=user, kind=kind).first()
    return sum(acc.postings.values_list("amount", flat=True), Decimal("0")) if acc else Decimal(0)


@pytest.fixture
def ops(db):
    from django.apps import apps

    ensure_operator_group(apps, None)
    user = OperatorFactory(username="ops_staff", is_superuser=False)
    user.groups.add(Group.objects.get(name=OPERATORS))
    return user


def test_open_freezes_the_escrow_pauses_deadlines_and_is_once_per_party(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    task.refresh_from_db()
    d = Dispute.objects.get(task=task)
    assert (d.opened_by, d.held, d.status) == ("creator", Decimal("1000.00"), "open")
    assert task.deadline() is None  # paused
    assert {"dispute_opened", "escrow_frozen"} <= set(task.events.values_list("kind", flat=True))
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.HELD
    with pytest.raises(services.IllegalTransition):  # frozen: no completion, no second dispute
        disputes.dispute_open(task=task, actor=merchant, reason="other", statement="x")


def test_bad_input_is_refused_and_changes_nothing(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    for kwargs in (
        {"reason": "nonsense", "statement": "x"},
        {"reason": "other", "statement": "   "},
        {"reason": "other", "statement": "x" * 2001},
        {"reason": "other", "statement": "x", "links": ["javascript:alert(1)"]},
        {
            "reason": "other",
            "statement": "x",
            "links": [f"https://evidence.example.com/{i}" for i in range(6)],
        },
    ):
        with pytest.raises(disputes.DisputeError):
            disputes.dispute_open(task=task, actor=creator, **kwargs)
    task.refresh_from_db()
    assert task.state == TaskState.SHIPPED and not Dispute.objects.exists()


def test_a_dispute_on_someone_elses_task_is_a_404(client_for, merchant, creator, other_creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    url = reverse("cooperation:task_dispute", args=[task.pk])
    data = {"reason": "other", "statement": "<script>x</script>"}
    assert client_for(other_creator).post(url, data).status_code == 404
    response = client_for(creator).post(url, data)
    assert response.status_code == 302
    body = client_for(merchant).get(reverse("cooperation:task_detail", args=[task.pk])).content
    assert b"&lt;script&gt;x&lt;/script&gt;" in body and b"<script>x</script>" not in body


def test_the_answer_then_an_operator_splits_60_40_once(merchant, creator, ops):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    with pytest.raises(disputes.DisputeError):  # the opener cannot answer itself
        disputes.dispute_answer(task=task, actor=creator, answer="x")
    disputes.dispute_answer(
        task=task, actor=merchant, answer="样品正常", links="https://evidence.example.com/1"
    )
    merchant_before = _balance(merchant, "merchant")
    for bad in ("150", "-1", "abc", "12.345"):
        with pytest.raises(disputes.DisputeError):
            disputes.dispute_decide(task=task, actor=ops, outcome="split", percent=bad, note="x")
    d = disputes.dispute_decide(
        task=task, actor=ops, outcome="split", percent="60", note="双方各有责任"
    )
    assert (d.creator_amount, d.merchant_amount) == (Decimal("600.00"), Decimal("400.00"))
    assert (d.decided_by, d.status) == (ops, "decided")
    task.refresh_from_db()
    assert task.state == TaskState.RESOLVED
    assert (task.escrow_released, task.escrow_returned) == (Decimal("600.00"), Decimal("400.00"))
    assert _balance(merchant, "merchant") - merchant_before == Decimal("400.00")
    # The released part is split like commission (individual creator: 60% of 600).
    assert _balance(creator, "creator") == Decimal("360.00")
    assert EscrowHold.objects.get(key=f"task:{task.pk}").status == EscrowStatus.SPLIT
    journals = Journal.objects.count()
    with pytest.raises(disputes.DisputeError):  # a second decision
        disputes.dispute_decide(task=task, actor=ops, outcome="release", note="again")
    assert Journal.objects.count() == journals
    assert sum(Posting.objects.values_list("amount", flat=True)) == 0


def test_decisions_need_the_permission_and_a_task_in_dispute(merchant, creator, ops):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.SHIPPED)
    with pytest.raises(disputes.DisputeError) as exc:
        disputes.dispute_decide(task=task, actor=ops, outcome="return", note="x")
    assert exc.value.code == "dispute.not_disputed"
    with pytest.raises(disputes.DisputeError):
        disputes.dispute_decide(task=task, actor=merchant, outcome="return", note="x")


def test_unanswered_the_openers_account_stands(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    disputes.dispute_open(task=task, actor=merchant, reason="live_not_done", statement="没播")
    with pytest.raises(services.NotDue):
        disputes.dispute_lapse(task=task, now=timezone.now() + timedelta(days=2))
    disputes.dispute_lapse(task=task, now=timezone.now() + timedelta(days=3, minutes=1))
    task.refresh_from_db()
    d = task.disputes.get()
    assert (task.state, d.outcome, d.merchant_amount) == ("resolved", "return", Decimal("1000"))


def test_admin_queue_and_decision_page(client, merchant, creator, ops):
    old = make_task(merchant=merchant, creator=creator, state=TaskState.DISPUTED)
    client.force_login(ops)
    listing = client.get(reverse("admin:cooperation_dispute_changelist") + "?reason=other")
    assert listing.status_code == 200
    page = client.get(reverse("admin:cooperation_dispute_change", args=[old.disputes.get().pk]))
    assert page.status_code == 200 and "样品与约定不符".encode() in page.content
    url = reverse("admin:cooperation_dispute_decide", args=[old.disputes.get().pk])
    refused = client.post(url, {"outcome": "split", "percent": "101", "note": "x"})
    assert refused.status_code == 200 and not Dispute.objects.filter(status="decided").exists()
    done = client.post(url, {"outcome": "split", "percent": "60", "note": "六四分"})
    assert done.status_code == 302
    assert Dispute.objects.get().creator_amount == Decimal("600.00")
