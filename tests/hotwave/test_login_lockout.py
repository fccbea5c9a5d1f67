"""Login lockout keys on the real client IP behind trusted proxies (issue #8, item 11).

With ``PROXY_COUNT`` = N the client is the N-th ``X-Forwarded-For`` entry from
the right (``hotwave.clientip``; axes uses it through ``AXES_CLIENT_IP_CALLABLE``).
A client can't dodge the lockout by forging entries left of what the proxies
appended, and two real clients behind the same proxy don't lock each other out.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings

from hotwave.clientip import client_ip

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"
LOGIN = "/accounts/login/"
RIGHT = "pw-hotwave-test"


def login(c: Client, user, password: str, xff: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return c.post(LOGIN, {"username": user.username, "password": password}, **extra)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, PROXY_COUNT=1)
def test_behind_one_proxy_lockout_keys_on_the_forwarded_client(merchant):
    via_proxy = Client(REMOTE_ADDR=PROXY)
    answers = [login(via_proxy, merchant, "nope", xff="203.0.113.7").status_code for _ in range(3)]
    assert answers == [200, 200, 429]  # the third failure locks
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"

    # The attacker is locked out, even with the right password…
    assert login(via_proxy, merchant, RIGHT, xff="203.0.113.7").status_code == 429
    # …and forging entries in front of what the proxy appended changes nothing.
    for forged in ("192.0.2.1, 203.0.113.7", "198.51.100.9, 203.0.113.7", "junk, 203.0.113.7"):
        response = login(via_proxy, merchant, RIGHT, xff=forged)
        assert response.status_code == 429, forged
        assert "登录已暂时锁定" in response.content.decode()

    # Another real client behind the same proxy is not locked out.
    other = Client(REMOTE_ADDR=PROXY)
    assert login(other, merchant, RIGHT, xff="198.51.100.9").status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, PROXY_COUNT=1)
def test_two_clients_behind_one_proxy_fail_independently(merchant):
    a, b = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)
    for _ in range(2):  # 2 + 2 failures: over the limit only if they were pooled
        login(a, merchant, "nope", xff="203.0.113.7")
        login(b, merchant, "nope", xff="198.51.100.9")
    assert sorted(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("198.51.100.9", 2),
        ("203.0.113.7", 2),
    ]
    assert login(a, merchant, RIGHT, xff="203.0.113.7").status_code == 302
    assert login(b, merchant, RIGHT, xff="198.51.100.9").status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(merchant):
    c = Client(REMOTE_ADDR="10.0.0.3")
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        login(c, merchant, "nope", xff=f"{forged}, 203.0.113.7, 10.0.0.2")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    assert login(c, merchant, RIGHT, xff="192.0.2.9, 203.0.113.7, 10.0.0.2").status_code == 429


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, PROXY_COUNT=0)
def test_without_a_proxy_the_header_is_ignored(merchant):
    """A direct client rotating X-Forwarded-For values is still one address."""
    c = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(3):
        login(c, merchant, "nope", xff=f"192.0.2.{i}")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    assert login(c, merchant, RIGHT, xff="198.51.100.9").status_code == 429


def test_the_settings_route_axes_through_our_client_ip(settings):
    assert settings.AXES_CLIENT_IP_CALLABLE == "hotwave.clientip.client_ip"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),
        (1, "", "10.0.0.2"),  # no header although a proxy is configured: direct hit
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.1,203.0.113.7", "203.0.113.7"),
        (1, " 192.0.2.1 ,  203.0.113.7 ", "203.0.113.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-ip", "10.0.0.2"),
        (2, "203.0.113.7", "10.0.0.2"),  # fewer hops than proxies: header not trusted
        (2, "192.0.2.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
    ],
)
def test_client_ip(settings, proxies, xff, expected):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(request) == expected
