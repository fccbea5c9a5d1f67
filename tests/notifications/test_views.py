"""通知 pages: the center (unread/all, paging, mark read), the badge, the settings form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.kinds import Delivery, Kind
from notifications.models import Notification, Preference
from notifications.services import notify

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _raise(user, n=1, start=0):
    for i in range(start, start + n):
        notify(
            recipient=user,
            kind=Kind.INVITATION_ACCEPTED,
            key=f"t:{i}",
            url=f"/tasks/{i + 1}/",
            context={"creator": f"达人{i}", "task": f"HW-T-{i:06d}"},
        )


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_anonymous_goes_to_login(anonymous):
    for name in ("center", "preferences", "badge"):
        response = anonymous.get(reverse(f"notifications:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_center_lists_unread_first_and_all_on_request(merchant):
    _raise(merchant, 3)
    Notification.objects.filter(key="t:0").update(read_at="2026-12-01T00:00:00Z")
    c = _client(merchant)
    page = c.get(reverse("notifications:center")).content.decode()
    assert "达人1" in page and "达人2" in page and "达人0" not in page
    page = c.get(reverse("notifications:center") + "?show=all").content.decode()
    assert all(f"达人{i}" in page for i in range(3))


def test_query_count_is_fixed_however_many_notifications(merchant, django_assert_num_queries):
    c = _client(merchant)
    _raise(merchant, 3)
    c.get(reverse("notifications:center"))  # warm the session
    # session, user, the header's profile name, unread count, page rows
    with django_assert_num_queries(5):
        c.get(reverse("notifications:center"))
    _raise(merchant, 60, start=3)
    with django_assert_num_queries(5):
        response = c.get(reverse("notifications:center"))
    assert response.content.decode().count('class="notice ') == 20
    assert "第 1 / 4 页" in response.content.decode()
    # "all": one more COUNT for its pages; htmx: the list alone (no header).
    with django_assert_num_queries(5):
        assert c.get(reverse("notifications:center") + "?show=all&page=4", **HX).status_code == 200


def test_the_htmx_request_gets_the_list_only(merchant):
    _raise(merchant)
    body = _client(merchant).get(reverse("notifications:center"), **HX).content.decode()
    assert "达人0" in body and "<html" not in body


def test_empty_states(merchant):
    c = _client(merchant)
    assert "没有未读通知" in c.get(reverse("notifications:center")).content.decode()
    body = c.get(reverse("notifications:center") + "?show=all").content.decode()
    assert "还没有通知" in body


def test_opening_marks_read_and_goes_to_the_thing(merchant, other_merchant):
    _raise(merchant)
    note = Notification.objects.get()
    assert (
        _client(other_merchant).get(reverse("notifications:open", args=[note.pk])).status_code
        == 404
    )
    response = _client(merchant).get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/tasks/1/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_an_offsite_target_is_never_followed(merchant):
    notify(recipient=merchant, kind=Kind.INVITATION_ACCEPTED, key="x", url="https://evil.example/")
    note = Notification.objects.get()
    response = _client(merchant).get(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:center")


def test_mark_one_and_all_read(merchant, other_merchant):
    _raise(merchant, 3)
    _raise(other_merchant, 1)
    first = Notification.objects.filter(recipient=merchant).first()
    c = _client(merchant)
    assert (
        _client(other_merchant).post(reverse("notifications:read", args=[first.pk])).status_code
        == 404
    )
    assert c.post(reverse("notifications:read", args=[first.pk])).status_code == 302
    assert Notification.objects.filter(recipient=merchant, read_at__isnull=True).count() == 2
    response = c.post(reverse("notifications:read_all"), follow=True)
    assert "已将 2 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=merchant, read_at__isnull=True).exists()
    # Someone else's stay unread.
    assert Notification.objects.filter(recipient=other_merchant, read_at__isnull=True).count() == 1


def test_the_badge_counts_unread_for_htmx(merchant, django_assert_num_queries):
    c = _client(merchant)
    assert c.get(reverse("notifications:badge"), **HX).content.decode().strip() == ""
    _raise(merchant, 2)
    with django_assert_num_queries(3):  # session, user, count
        body = c.get(reverse("notifications:badge"), **HX).content.decode()
    assert ">2<" in body and "2 条未读" in body
    assert c.get(reverse("notifications:badge"))["Location"] == reverse("notifications:center")


def test_every_page_links_to_the_center_and_loads_the_badge(merchant):
    body = _client(merchant).get(reverse("workbench:home")).content.decode()
    assert f'href="{reverse("notifications:center")}"' in body
    assert f'hx-get="{reverse("notifications:badge")}"' in body


def test_preferences_saved_and_bad_choices_refused(merchant):
    c = _client(merchant)
    url = reverse("notifications:preferences")
    body = c.get(url).content.decode()
    assert "收到合作邀请" in body and "每日摘要" in body
    data = {kind: Delivery.EMAIL for kind in Kind.values}
    data[Kind.SAMPLE_SHIPPED] = Delivery.DIGEST
    assert c.post(url, data).status_code == 302
    assert Preference.objects.get(user=merchant, kind=Kind.SAMPLE_SHIPPED).delivery == "digest"
    data[Kind.SAMPLE_SHIPPED] = "sms"
    response = c.post(url, data)
    assert (
        response.status_code == 422
        and "field--invalid" in response.content.decode()
        or (response.status_code == 422)
    )
    assert Preference.objects.get(user=merchant, kind=Kind.SAMPLE_SHIPPED).delivery == "digest"


def test_the_center_in_english(merchant):
    _raise(merchant)
    c = _client(merchant)
    c.cookies["django_language"] = "en"
    body = c.get(reverse("notifications:center"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Notifications" in body
