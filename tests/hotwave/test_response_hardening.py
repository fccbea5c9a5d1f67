"""Hardening (issue 14, defect 9): login throttled per client IP, private responses not
stored by any cache, and a Permissions-Policy on every response.

* Failed logins are limited per client IP whatever the usernames
  (``LOGIN_FAILURES_PER_IP``, default 20 per 15 min): 25 usernames × 1 try each
  used to go through untouched, axes counting per (username, IP) pair.
* ``Cache-Control: no-store`` on every response to a signed-in user (money,
  tasks, exports, the workbench), checked over every GET URL of the access
  matrix as one of its insiders, and on the events API's answers.
* ``Permissions-Policy`` on every response, signed in or not.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.access.test_access_matrix import ROUTES, url_names
from tests.access.world import build_world

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_many_usernames_from_one_ip_are_throttled(merchant, creator):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    answers = [
        attacker.post(LOGIN, {"username": f"guess{i}", "password": "nope"}).status_code
        for i in range(25)
    ]
    assert answers == [200] * 20 + [429] * 5
    # Even the right password is refused from that address during the window…
    right = {"username": merchant.username, "password": "pw-hotwave-test"}
    locked = attacker.post(LOGIN, right)
    assert locked.status_code == 429 and "登录已暂时锁定" in locked.content.decode()
    # …while another client logs in, and failed attempts of its own are its own.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post(LOGIN, right).status_code == 302
    assert (
        Client(REMOTE_ADDR="198.51.100.10")
        .post(LOGIN, {"username": creator.username, "password": "nope"})
        .status_code
        == 200
    )


def test_successful_logins_do_not_spend_the_budget(settings, merchant):
    settings.LOGIN_FAILURES_PER_IP = "2/15m"
    office = Client(REMOTE_ADDR="192.0.2.50")
    for _ in range(5):
        c = Client(REMOTE_ADDR="192.0.2.50")
        assert (
            c.post(
                LOGIN, {"username": merchant.username, "password": "pw-hotwave-test"}
            ).status_code
            == 302
        )
    assert office.post(LOGIN, {"username": "x", "password": "y"}).status_code == 200


def _insider(route) -> str:
    return "anonymous" if route.public and not route.insiders else sorted(route.insiders)[0]


def test_private_responses_are_never_stored_and_every_one_has_a_permissions_policy():
    w = build_world()
    checked, failures = 0, []
    for name in url_names():
        route = ROUTES[name]
        if "GET" not in route.methods:
            continue
        persona = _insider(route)
        c = Client(raise_request_exception=False)
        if persona != "anonymous":
            c.force_login(w.users[persona])
        response = c.get(reverse(name, kwargs=route.kwargs(w) or None))
        checked += 1
        if "camera=()" not in response.get("Permissions-Policy", ""):
            failures.append(f"{name}: no Permissions-Policy")
        if name == "media":
            # Product images: public and immutable (names never reused), cached for a year.
            if "public" not in response.get("Cache-Control", ""):
                failures.append(f"media: Cache-Control {response.get('Cache-Control')!r}")
            continue
        if persona != "anonymous" and "no-store" not in response.get("Cache-Control", ""):
            failures.append(f"{name} as {persona}: Cache-Control {response.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)
    assert checked >= 25, checked


def test_money_task_and_export_responses_in_particular(client_for, merchant):
    c = client_for(merchant)
    for url in ("/funds/", "/funds/export.csv", "/tasks/", "/"):
        response = c.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    answer = Client().post("/api/events/", b"[]", content_type="application/json")
    assert answer.status_code == 401 and "no-store" in answer["Cache-Control"]
    assert "camera=()" in Client().get(LOGIN)["Permissions-Policy"]
