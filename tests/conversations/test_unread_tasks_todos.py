"""未读消息 on the task list (one aggregate per page) and as a 待办事项 item linking to the inbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conversations import selectors, services
from conversations.models import RestrictionKind
from hotwave import todos
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _send(thread, who, n):
    for i in range(n):
        services.message_send(thread=thread, actor=who, body=f"第{i}条")


def test_the_task_list_shows_each_tasks_unread_messages_for_the_viewer(
    merchant, creator, other_creator, client_for, settings
):
    settings.CONVERSATIONS_SEND_RATE = ""
    busy = make_task(merchant=merchant, creator=creator)
    quiet = make_task(merchant=merchant, creator=other_creator)
    thread = services.thread_for_task(task=busy)
    services.thread_for_task(task=quiet)
    _send(thread, creator, 3)
    page = client_for(merchant).get(reverse("cooperation:task_list"))
    rows = {t.pk: t.unread for t in page.context["page"].object_list}
    assert rows == {busy.pk: 3, quiet.pk: 0}
    html = page.content.decode()
    assert "3 条未读" in html
    assert reverse("conversations:task_thread", args=[busy.pk]) in html
    # The sender has read its own messages; reading the thread clears the merchant's count.
    assert (
        client_for(creator)
        .get(reverse("cooperation:task_list"))
        .context["page"]
        .object_list[0]
        .unread
        == 0
    )
    client_for(merchant).get(reverse("conversations:thread", args=[thread.pk]))
    page = client_for(merchant).get(reverse("cooperation:task_list"))
    assert {t.pk: t.unread for t in page.context["page"].object_list} == {busy.pk: 0, quiet.pk: 0}


def test_unread_todo_counts_what_the_badge_counts_and_links_to_the_inbox(
    merchant, creator, other_creator, settings
):
    settings.CONVERSATIONS_SEND_RATE = ""
    thread = services.thread_for_task(task=make_task(merchant=merchant, creator=creator))
    other = services.thread_for_task(task=make_task(merchant=merchant, creator=other_creator))
    _send(thread, merchant, 2)
    _send(other, other_creator, 1)
    source = next(s for s in todos.sources("creator") if s.key == "conversations.unread")
    assert str(source.title) == "未读消息"
    assert source.url(creator) == reverse("conversations:inbox")
    assert source.count_for(creator) == selectors.unread_total(actor=creator) == 2
    assert source.count_for(merchant) == 1
    _send(thread, creator, 1)  # a reply: the creator has read what came before
    assert source.count_for(creator) == 0 and source.count_for(merchant) == 2
    _send(thread, merchant, 2)  # and so has the merchant in this thread now
    assert todos.counts_for(creator)["conversations.unread"] == 2
    assert todos.counts_for(merchant)["conversations.unread"] == 1
    everyone = source.count_all()
    assert everyone[creator.pk] == 2 and everyone[merchant.pk] == 1
    # A muted merchant's messages count nothing, on every path.
    services.restrict(actor=creator, merchant=merchant, kind=RestrictionKind.MUTE)
    assert source.count_for(creator) == 0
    assert todos.counts_for(creator)["conversations.unread"] == 0
    assert creator.pk not in source.count_all()
    assert source.count_all()[merchant.pk] == 1


def test_the_workbench_board_shows_the_unread_item(merchant, creator, client_for, settings):
    settings.CONVERSATIONS_SEND_RATE = ""
    thread = services.thread_for_task(task=make_task(merchant=merchant, creator=creator))
    _send(thread, merchant, 4)
    html = client_for(creator).get(reverse("workbench:todos"), **HX).content.decode()
    assert "未读消息" in html and reverse("conversations:inbox") in html


def test_sending_and_reading_tell_the_workbench_to_recount(merchant, creator, settings):
    settings.CONVERSATIONS_SEND_RATE = ""
    seen: list[list[int]] = []
    todos.on_change(seen.append)
    try:
        thread = services.thread_for_task(task=make_task(merchant=merchant, creator=creator))
        message = services.message_send(thread=thread, actor=merchant, body="你好")
        services.thread_mark_read(thread=thread, actor=creator, upto_id=message.pk)
    finally:
        todos._LISTENERS.remove(seen.append)
    assert [creator.pk] in seen and seen.count([creator.pk]) == 2
