"""Disputes use the thread (SPEC §7): the opening is marked in the task thread, and the
operator reads the whole conversation (read only, audited) with the dispute part marked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conversations import services
from conversations.models import DisputeAccess, Message, MessageKind
from cooperation.models import TaskState
from cooperation.services import disputes
from tests.admission.factories import OperatorFactory
from tests.cooperation.task_factories import make_task
from workbench.operator_group import OPERATORS, ensure_operator_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    from django.apps import apps

    ensure_operator_group(apps, None)
    user = OperatorFactory(username="ops_disputes", is_superuser=False)
    user.groups.add(Group.objects.get(name=OPERATORS))
    return user


@pytest.fixture
def disputed(merchant, creator, settings):
    settings.CONVERSATIONS_SEND_RATE = ""
    task = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    thread = services.thread_for_task(task=task)
    services.message_send(thread=thread, actor=merchant, body="直播定在周五晚上八点")
    dispute = disputes.dispute_open(
        task=task, actor=merchant, reason="live_not_done", statement="约定的直播没有进行"
    )
    services.message_send(thread=thread, actor=creator, body="周五网络故障，附上截图链接")
    return task, thread, dispute


def test_opening_a_dispute_marks_it_in_the_task_thread(disputed, merchant, creator, client_for):
    task, thread, dispute = disputed
    marker = Message.objects.get(thread=thread, kind=MessageKind.DISPUTE_OPENED)
    assert (marker.dispute_id, marker.sender_id, marker.body) == (
        dispute.pk,
        merchant.pk,
        "约定的直播没有进行",
    )
    page = client_for(creator).get(reverse("conversations:thread", args=[thread.pk]))
    html = page.content.decode()
    assert "发起了争议" in html and "msg--dispute" in html and "约定的直播没有进行" in html


def test_a_refused_dispute_writes_nothing_in_the_thread(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.RECEIVED)
    with pytest.raises(disputes.DisputeError):
        disputes.dispute_open(task=task, actor=merchant, reason="live_not_done", statement="")
    assert not Message.objects.filter(kind=MessageKind.DISPUTE_OPENED).exists()


def test_the_operator_reads_the_whole_conversation_marked_and_audited(disputed, ops, client):
    task, thread, dispute = disputed
    client.force_login(ops)
    change = client.get(reverse("admin:cooperation_dispute_change", args=[dispute.pk]))
    url = reverse("admin:conversations_dispute_thread", args=[dispute.pk])
    assert url in change.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("直播定在周五晚上八点", "约定的直播没有进行", "周五网络故障，附上截图链接"):
        assert text in html
    assert html.count("dispute-thread__after") == 2  # the opening and the reply after it
    assert "争议自此开始" in html
    assert "<form" not in html.split('id="content-main"')[1]  # read only
    access = DisputeAccess.objects.get()
    assert (access.dispute_id, access.thread_id, access.operator_id) == (
        dispute.pk,
        thread.pk,
        ops.pk,
    )
    assert client.get(reverse("admin:conversations_disputeaccess_changelist")).status_code == 200


def test_a_third_party_gets_404_and_the_parties_do_not_reach_the_admin(
    disputed, client, merchant, other_merchant
):
    task, thread, dispute = disputed
    url = reverse("admin:conversations_dispute_thread", args=[dispute.pk])
    staff_without_rights = OperatorFactory(username="helpdesk", is_superuser=False)
    client.force_login(staff_without_rights)
    assert client.get(url).status_code == 404
    for user in (other_merchant, merchant):  # not staff: the admin's login, never the thread
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not DisputeAccess.objects.exists()
    # Nor can another merchant see the thread on the site.
    client.force_login(other_merchant)
    assert client.get(reverse("conversations:thread", args=[thread.pk])).status_code == 404
