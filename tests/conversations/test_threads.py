"""消息: who reads and writes a thread, bad input, live poll with ETag/304, paging, unread counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.models import Message, Thread
from tests.cooperation.factories import bind
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def task_thread(merchant, creator):
    task = make_task(merchant=merchant, creator=creator)
    return services.thread_for_task(task=task)


def url(name, thread, **query):
    base = reverse(f"conversations:{name}", args=[thread.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_task_page_leads_to_one_thread_for_its_two_parties(merchant, creator, other_merchant):
    task = make_task(merchant=merchant, creator=creator)
    go = reverse("conversations:task_thread", args=[task.pk])
    first = _client(merchant).get(go)
    second = _client(creator).get(go)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Thread.objects.filter(task_id=task.pk).count() == 1
    assert _client(other_merchant).get(go).status_code == 404


def test_someone_elses_thread_is_404_everywhere(task_thread, other_merchant, other_creator):
    for user in (other_merchant, other_creator):
        c = _client(user)
        assert c.get(url("thread", task_thread)).status_code == 404
        assert c.get(url("poll", task_thread, after=0), **HX).status_code == 404
        assert c.post(url("send", task_thread), {"body": "hi"}).status_code == 404
    assert not Message.objects.exists()


def test_sending_without_js_posts_and_redirects_and_the_other_side_sees_it(
    task_thread, merchant, creator
):
    response = _client(merchant).post(url("send", task_thread), {"body": "样品明天寄出"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/messages/{task_thread.pk}/#latest")
    page = _client(creator).get(url("thread", task_thread)).content.decode()
    assert "样品明天寄出" in page


def test_html_and_markdown_are_shown_as_text_and_links_are_safe(task_thread, merchant):
    body = (
        "<script>alert(1)</script> **粗体** [点我](javascript:alert(2)) https://example.com/a?b=1"
    )
    services.message_send(thread=task_thread, actor=merchant, body=body)
    page = _client(merchant).get(url("thread", task_thread)).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "**粗体**" in page
    assert 'href="javascript' not in page
    assert 'href="https://example.com/a?b=1"' in page and 'rel="nofollow"' in page


@pytest.mark.parametrize(
    ("body", "words"), [("   ", "请输入消息内容"), ("长" * 2001, "最多 2000 个字")]
)
def test_empty_or_too_long_is_refused_where_the_user_typed_and_nothing_is_stored(
    task_thread, merchant, body, words
):
    c = _client(merchant)
    for headers in ({}, HX):
        response = c.post(url("send", task_thread), {"body": body}, **headers)
        assert response.status_code == 422
        assert words in response.content.decode()
        assert 'aria-invalid="true"' in response.content.decode()
    assert not Message.objects.exists()


def test_sending_is_rate_limited_per_user(task_thread, merchant, settings):
    settings.CONVERSATIONS_SEND_RATE = "3/m"
    for i in range(3):
        services.message_send(thread=task_thread, actor=merchant, body=f"第{i}条")
    with pytest.raises(services.MessageRefused) as exc:
        services.message_send(thread=task_thread, actor=merchant, body="太快了")
    assert "发送太频繁" in exc.value.message
    assert Message.objects.count() == 3


def test_the_bound_agency_reads_the_task_thread_and_cannot_send(merchant, agency, agency_creator):
    bind(agency_creator.creator, agency.agency)
    task = make_task(merchant=merchant, creator=agency_creator)
    thread = services.thread_for_task(task=task)
    services.message_send(thread=thread, actor=agency_creator, body="直播脚本已发")
    c = _client(agency)
    page = c.get(url("thread", thread)).content.decode()
    assert "直播脚本已发" in page and "你可以查看，不能发送" in page and 'name="body"' not in page
    assert c.post(url("send", thread), {"body": "机构插话"}).status_code == 422
    assert Message.objects.count() == 1
    assert thread.pk in [
        t.pk for t in __import__("conversations.selectors").selectors.threads_for(actor=agency)
    ]


def test_poll_answers_304_until_something_changes_then_the_new_message(
    task_thread, merchant, creator
):
    c = _client(creator)
    first = services.message_send(thread=task_thread, actor=merchant, body="第一条")
    r = c.get(url("poll", task_thread, after=first.pk), **HX)
    assert r.status_code == 200
    etag = r["ETag"]
    assert (
        c.get(url("poll", task_thread, after=first.pk), HTTP_IF_NONE_MATCH=etag, **HX).status_code
        == 304
    )
    services.message_send(thread=task_thread, actor=merchant, body="第二条")
    r = c.get(url("poll", task_thread, after=first.pk), HTTP_IF_NONE_MATCH=etag, **HX)
    assert r.status_code == 200
    body = r.content.decode()
    assert "第二条" in body and "第一条" not in body
    assert 'id="poller"' in body and 'hx-swap-oob="true"' in body


def test_read_receipts_and_unread_counts_go_up_and_down(task_thread, merchant, creator):
    mc, cc = _client(merchant), _client(creator)
    badge = reverse("conversations:badge")
    services.message_send(thread=task_thread, actor=merchant, body="在吗")
    services.message_send(thread=task_thread, actor=merchant, body="看下样品地址")
    assert ">2<" in cc.get(badge, **HX).content.decode()
    assert mc.get(badge, **HX).content.decode().strip() == ""  # one's own messages are read
    inbox = cc.get(reverse("conversations:inbox")).content.decode()
    assert (
        'badge--count">2<' in inbox.replace(" ", "").replace('badge--count"', 'badge--count"')
        or ">2<" in inbox
    )
    assert "对方未读" in mc.get(url("thread", task_thread)).content.decode()
    cc.get(url("thread", task_thread))  # the creator opens it: read
    assert cc.get(badge, **HX).content.decode().strip() == ""
    assert "对方已读" in mc.get(url("thread", task_thread)).content.decode()


def test_two_hundred_messages_keep_the_page_query_count_and_older_ones_page(
    task_thread, merchant, creator, django_assert_num_queries
):
    c = _client(creator)
    now = timezone.now()
    services.message_send(thread=task_thread, actor=merchant, body="你好")
    c.get(url("thread", task_thread))  # the creator's first read writes its read mark
    Message.objects.bulk_create(
        [
            Message(thread=task_thread, sender=merchant, body=f"消息{i:03d}", created_at=now)
            for i in range(10)
        ]
    )
    # session, user, the header's profile, the thread (with its task), the page of
    # messages, the poll state and read marks, the pair's mutes and blocks, the reports,
    # the compose box's products and tasks, the read mark moved: the same for 10 new
    # messages or 200.
    with django_assert_num_queries(13) as few:
        c.get(url("thread", task_thread))
    # Nothing new since: the read mark is not written (its savepoint, update, release).
    with django_assert_num_queries(len(few.captured_queries) - 3):
        c.get(url("thread", task_thread))
    Message.objects.bulk_create(
        [
            Message(thread=task_thread, sender=merchant, body=f"消息{i:03d}", created_at=now)
            for i in range(10, 200)
        ]
    )
    with django_assert_num_queries(len(few.captured_queries)):
        page = c.get(url("thread", task_thread)).content.decode()
    assert page.count('class="msg"') + page.count('class="msg ') == 30
    assert "消息199" in page and "消息169" not in page and "查看更早的消息" in page
    oldest_shown = Message.objects.filter(body="消息170").get().pk
    older = c.get(url("thread", task_thread, before=oldest_shown), **HX).content.decode()
    assert (
        "消息169" in older
        and "消息140" in older
        and "消息139" not in older
        and "<html" not in older
    )


def test_a_merchant_opens_a_direct_thread_from_the_creator_homepage(
    merchant, creator, other_creator
):
    from tests.cooperation.task_factories import admit

    admit(merchant, creator)
    page = (
        _client(merchant)
        .get(reverse("cooperation:creator_detail", args=[creator.pk]))
        .content.decode()
    )
    go = reverse("conversations:direct", args=[creator.pk])
    assert f'action="{go}"' in page
    first = _client(merchant).post(go)
    again = _client(merchant).post(go)
    assert first.status_code == 302 and first["Location"] == again["Location"]
    thread = Thread.objects.get(kind="direct")
    assert (thread.merchant_id, thread.creator_id) == (merchant.pk, creator.pk)
    assert _client(creator).post(go).status_code == 404  # a creator does not open one
    services.message_send(thread=thread, actor=creator, body="您好，可以聊聊")
    assert (
        "您好，可以聊聊" in _client(merchant).get(reverse("conversations:inbox")).content.decode()
    )


def test_inbox_empty_state_and_query_count(merchant, creator, django_assert_num_queries):
    c = _client(merchant)
    assert "还没有消息" in c.get(reverse("conversations:inbox")).content.decode()
    for _ in range(3):
        task = make_task(merchant=merchant, creator=creator, state="declined")
        services.message_send(
            thread=services.thread_for_task(task=task), actor=creator, body="抱歉"
        )
    with django_assert_num_queries(5):  # session, user, header profile, count, page
        page = c.get(reverse("conversations:inbox")).content.decode()
    assert page.count("thread-item__link") == 3
