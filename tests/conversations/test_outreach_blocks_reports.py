"""消息: the daily outreach quota, a creator's mute and block, and reported threads with
the operators' audited queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations import selectors, services
from conversations.models import (
    Message,
    Report,
    ReportAccess,
    ReportStatus,
    Restriction,
    RestrictionKind,
    Thread,
)
from hotwave.exceptions import DomainError
from tests.admission.factories import CreatorFactory
from tests.cooperation.task_factories import admit, make_task
from tests.hotwave.operators import make_group_operator

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _creators(n: int):
    users = [CreatorFactory().user for _ in range(n)]
    admit(*users)
    return users


def _direct(merchant, creator):
    return services.thread_direct_open(actor=merchant, creator=creator)


# --- the outreach quota ----------------------------------------------------------


def test_the_quota_refuses_the_next_new_creator_says_when_it_resets_and_stores_nothing(
    merchant, settings
):
    settings.CONVERSATIONS_OUTREACH_PER_DAY = 2
    admit(merchant)
    a, b, c = _creators(3)
    first = _direct(merchant, a)
    _direct(merchant, b)
    with pytest.raises(services.MessageRefused) as refused:
        _direct(merchant, c)
    assert refused.value.code == "message.outreach_quota"
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert f"{tomorrow:%Y-%m-%d} 00:00" in refused.value.message
    assert "每天 2 位" in refused.value.message
    assert Thread.objects.filter(kind="direct").count() == 2
    # Opening a thread that exists again is not a new one.
    assert _direct(merchant, a) == first
    # Through the homepage button: the message where the merchant acted.
    response = _client(merchant).post(reverse("conversations:direct", args=[c.pk]), follow=True)
    assert "今天主动联系新达人的名额" in response.content.decode()
    assert Thread.objects.filter(kind="direct").count() == 2


def test_creators_it_worked_with_do_not_count_and_the_quota_resets_the_next_day(merchant, settings):
    settings.CONVERSATIONS_OUTREACH_PER_DAY = 1
    admit(merchant)
    new, worked, later = _creators(3)
    make_task(merchant=merchant, creator=worked)
    _direct(merchant, new)
    thread = _direct(merchant, worked)  # a task joins them: not outreach, not refused
    assert thread.outreach is False
    assert services.outreach_used(merchant_id=merchant.pk) == 1
    with pytest.raises(services.MessageRefused):
        _direct(merchant, later)
    # Yesterday's (Asia/Shanghai) outreach no longer counts.
    Thread.objects.filter(outreach=True).update(created_at=timezone.now() - timedelta(days=1))
    assert _direct(merchant, later).outreach is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_opens_at_once_at_n_minus_one_exactly_one_succeeds(merchant, settings):
    from admission.models import User
    from tests.cooperation.test_tasks_concurrency import _race

    settings.CONVERSATIONS_OUTREACH_PER_DAY = 2
    admit(merchant)
    used, x, y = _creators(3)
    _direct(merchant, used)
    targets = iter([x, y])
    import threading

    lock = threading.Lock()

    def open_one():
        with lock:
            target = next(targets)
        return _direct(User.objects.get(pk=merchant.pk), User.objects.get(pk=target.pk))

    results = _race(2, open_one)
    opened = [r for r in results if isinstance(r, Thread)]
    refused = [r for r in results if isinstance(r, services.MessageRefused)]
    assert (len(opened), len(refused)) == (1, 1), results
    assert refused[0].code == "message.outreach_quota"
    assert Thread.objects.filter(merchant=merchant, outreach=True).count() == 2


# --- mute and block --------------------------------------------------------------


def test_a_muted_merchants_threads_count_nothing_unread_until_unmuted(merchant, creator):
    admit(merchant, creator)
    thread = _direct(merchant, creator)
    services.message_send(thread=thread, actor=merchant, body="在吗")
    assert selectors.unread_total(actor=creator) == 1
    response = _client(creator).post(
        reverse("conversations:restrict", args=[thread.pk]), {"action": "mute"}
    )
    assert response.status_code == 302
    assert selectors.unread_total(actor=creator) == 0
    assert selectors.threads_for(actor=creator).get().unread == 0
    services.message_send(thread=thread, actor=merchant, body="还在吗")  # still delivered
    assert selectors.unread_total(actor=creator) == 0
    _client(creator).post(reverse("conversations:restrict", args=[thread.pk]), {"action": "unmute"})
    assert selectors.unread_total(actor=creator) == 2
    assert not Restriction.objects.exists()


def test_a_block_stops_messages_both_ways_direct_threads_and_invitations(
    merchant, creator, other_merchant
):
    task = make_task(merchant=merchant, creator=creator)
    task_thread = services.thread_for_task(task=task)
    services.restrict(actor=creator, merchant=merchant, kind=RestrictionKind.BLOCK)
    services.restrict(actor=creator, merchant=merchant, kind=RestrictionKind.BLOCK)  # again: same
    assert Restriction.objects.count() == 1
    with pytest.raises(services.MessageRefused) as by_merchant:
        services.message_send(thread=task_thread, actor=merchant, body="你好")
    assert by_merchant.value.message == "这位达人不接收你的消息。"
    with pytest.raises(services.MessageRefused):
        services.message_send(thread=task_thread, actor=creator, body="你好")
    with pytest.raises(services.MessageRefused):
        _direct(merchant, creator)
    with pytest.raises(DomainError) as invitation:
        make_task(merchant=merchant, creator=creator)
    assert invitation.value.message == "这位达人不接受你的合作邀请。"
    assert invitation.value.code == "task.creator_refuses"
    assert not Message.objects.exists()
    assert not Thread.objects.filter(kind="direct").exists()
    # Another merchant is not affected.
    make_task(merchant=other_merchant, creator=creator)
    # The page says so and offers no compose box; the merchant's page leaks nothing more.
    creator_page = _client(creator).get(reverse("conversations:thread", args=[task_thread.pk]))
    assert "你已屏蔽这个商家" in creator_page.content.decode()
    assert 'id="compose"' not in creator_page.content.decode()
    merchant_page = _client(merchant).get(reverse("conversations:thread", args=[task_thread.pk]))
    assert "这位达人不接收你的消息。" in merchant_page.content.decode()
    assert "屏蔽" not in merchant_page.content.decode()
    # Unblocked: everything works again.
    _client(creator).post(
        reverse("conversations:restrict", args=[task_thread.pk]), {"action": "unblock"}
    )
    services.message_send(thread=task_thread, actor=merchant, body="你好")


def test_the_restrictions_list_lifts_ones_own_and_404s_for_others(
    merchant, creator, other_creator, other_merchant, django_assert_num_queries
):
    c = _client(creator)
    assert "没有免打扰或屏蔽的商家" in c.get(reverse("conversations:restrictions")).content.decode()
    services.restrict(actor=creator, merchant=merchant, kind=RestrictionKind.MUTE)
    services.restrict(actor=creator, merchant=other_merchant, kind=RestrictionKind.BLOCK)
    theirs = services.restrict(actor=other_creator, merchant=merchant, kind=RestrictionKind.BLOCK)
    with django_assert_num_queries(5):  # session, user, header profile, count, page
        page = c.get(reverse("conversations:restrictions")).content.decode()
    assert (
        "爱丽丝的店" in page and "鲍勃的店" in page and page.count('class="restriction-item"') == 2
    )
    assert c.post(reverse("conversations:lift", args=[theirs.pk])).status_code == 404
    assert _client(merchant).get(reverse("conversations:restrictions")).status_code == 404
    mine = Restriction.objects.get(creator=creator, kind="block")
    assert c.post(reverse("conversations:lift", args=[mine.pk])).status_code == 302
    assert set(Restriction.objects.values_list("creator_id", "kind")) == {
        (creator.pk, "mute"),
        (other_creator.pk, "block"),
    }


def test_only_the_threads_creator_mutes_or_blocks(merchant, creator):
    admit(merchant, creator)
    thread = _direct(merchant, creator)
    go = reverse("conversations:restrict", args=[thread.pk])
    assert _client(merchant).post(go, {"action": "block"}).status_code == 404
    response = _client(creator).post(go, {"action": "nonsense"}, follow=True)
    assert "请选择要进行的操作" in response.content.decode()
    assert not Restriction.objects.exists()


# --- reports ---------------------------------------------------------------------


def test_a_party_reports_a_thread_bad_input_is_refused_in_place_others_get_404(
    merchant, creator, other_merchant
):
    admit(merchant, creator)
    thread = _direct(merchant, creator)
    go = reverse("conversations:report", args=[thread.pk])
    bad = _client(creator).post(go, {"reason": "whatever", "detail": "x"})
    assert bad.status_code == 422 and "请选择举报原因" in bad.content.decode()
    too_long = _client(creator).post(go, {"reason": "spam", "detail": "长" * 501})
    assert too_long.status_code == 422 and "最多 500 个字" in too_long.content.decode()
    assert _client(other_merchant).post(go, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()
    ok = _client(creator).post(go, {"reason": "spam", "detail": "一直发广告"}, follow=True)
    assert "举报已提交" in ok.content.decode() and "平台正在处理" in ok.content.decode()
    again = _client(creator).post(go, {"reason": "spam"})
    assert again.status_code == 422 and "你已举报过这个会话" in again.content.decode()
    # The other party may report too.
    assert _client(merchant).post(go, {"reason": "harassment"}).status_code == 302
    assert Report.objects.count() == 2


def test_operators_read_a_thread_only_through_a_report_audited_and_decide_once(merchant, creator):
    admit(merchant, creator)
    thread = _direct(merchant, creator)
    services.message_send(thread=thread, actor=merchant, body="加我微信 abc123 私下交易")
    report = services.report_create(thread=thread, actor=creator, reason="fraud")
    ops = make_group_operator()
    c = _client(ops)
    # No admin page lists threads or messages.
    assert c.get("/admin/conversations/thread/").status_code == 404
    assert c.get("/admin/conversations/message/").status_code == 404
    queue = c.get(reverse("admin:conversations_report_changelist"))
    assert queue.status_code == 200
    go = reverse("admin:conversations_report_thread", args=[report.pk])
    page = c.get(go).content.decode()
    assert "加我微信 abc123 私下交易" in page
    access = ReportAccess.objects.get()
    assert (access.report_id, access.operator_id) == (report.pk, ops.pk)
    no_note = c.post(go, {"outcome": "blocked", "note": ""})
    assert no_note.status_code == 200 and Report.objects.get().status == ReportStatus.OPEN
    done = c.post(go, {"outcome": "blocked", "note": "引导站外交易，核实属实"})
    assert done.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.decided_by_id) == (ReportStatus.BLOCKED, ops.pk)
    block = Restriction.objects.get()
    assert (block.kind, block.report_id) == ("block", report.pk)
    # Decided once; the creator cannot lift an operator's block.
    with pytest.raises(services.MessageRefused):
        services.report_decide(report_id=report.pk, operator=ops, outcome="dismissed", note="x")
    with pytest.raises(services.MessageRefused):
        services.unrestrict(actor=creator, merchant=merchant, kind="block")
    assert ReportAccess.objects.count() == 2  # the page, and the refused post that showed it again


def test_a_warning_shows_to_the_reported_party_only(merchant, creator):
    admit(merchant, creator)
    thread = _direct(merchant, creator)
    report = services.report_create(thread=thread, actor=creator, reason="harassment")
    ops = make_group_operator()
    services.report_decide(report_id=report.pk, operator=ops, outcome="warned", note="言语不当")
    go = reverse("conversations:thread", args=[thread.pk])
    assert "平台提醒" in _client(merchant).get(go).content.decode()
    assert "平台提醒" not in _client(creator).get(go).content.decode()
    services.message_send(thread=thread, actor=merchant, body="抱歉")  # a warning blocks nothing


def test_operators_without_the_decide_right_only_read(merchant, creator):
    from django.contrib.auth.models import Permission

    admit(merchant, creator)
    thread = _direct(merchant, creator)
    report = services.report_create(thread=thread, actor=creator, reason="spam")
    ops = make_group_operator()
    ops.user_permissions.clear()
    group = ops.groups.get()
    group.permissions.remove(Permission.objects.get(codename="decide_report"))
    ops = type(ops).objects.get(pk=ops.pk)
    c = _client(ops)
    go = reverse("admin:conversations_report_thread", args=[report.pk])
    assert "你没有处理举报的权限" in c.get(go).content.decode()
    assert c.post(go, {"outcome": "dismissed", "note": "x"}).status_code == 403
    assert Report.objects.get().status == ReportStatus.OPEN
