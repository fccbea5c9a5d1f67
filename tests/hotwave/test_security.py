"""Login throttling, session expiry, CSRF and security headers."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_login_brute_force_is_locked_out(merchant):
    c = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        c.post("/accounts/login/", {"username": merchant.username, "password": "nope"})
    response = c.post(
        "/accounts/login/", {"username": merchant.username, "password": "pw-hotwave-test"}
    )
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    # Another address is not locked out for this account.
    other = Client(REMOTE_ADDR="198.51.100.9")
    ok = other.post(
        "/accounts/login/", {"username": merchant.username, "password": "pw-hotwave-test"}
    )
    assert ok.status_code == 302


@override_settings(SESSION_IDLE_TIMEOUT=60)
def test_idle_session_expires(client_for, merchant, monkeypatch):
    c = client_for(merchant)
    assert c.get("/").status_code == 200
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = c.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_csrf_is_enforced_on_post(merchant):
    c = Client(enforce_csrf_checks=True)
    c.force_login(merchant)
    response = c.post("/accounts/logout/")
    assert response.status_code == 403


def test_htmx_post_with_csrf_header_passes(merchant):
    c = Client(enforce_csrf_checks=True)
    c.force_login(merchant)
    page = c.get("/")
    token = page.context["csrf_token"]
    response = c.post("/accounts/logout/", HTTP_X_CSRFTOKEN=str(token), HTTP_HX_REQUEST="true")
    # Logged out, and htmx is told to load the login page as a whole page (no swap).
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"
    assert c.get("/")["Location"].startswith("/accounts/login/")


def test_security_headers_on_html(client_for, merchant):
    response = client_for(merchant).get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_password_validators_are_on(settings):
    names = [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= set(
        names
    )


def test_expired_session_htmx_request_redirects_the_whole_page(anonymous):
    response = anonymous.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/help/?q=%00",
        "/help/?q=&q=%00",
        "/help/?category=a%00b",
        "/?x=%00",
        "/accounts/login/?next=%00",
    ],
)
def test_a_nul_in_the_query_string_is_a_400_not_a_database_error(client_for, merchant, path):
    # Found by the fuzzing on PostgreSQL: /help/?q=%00 reached the search and the
    # database refused the NUL (500). Now no view sees it.
    response = client_for(merchant).get(path)
    assert response.status_code == 400
    assert b"error-page__code" in response.content


@pytest.mark.django_db
def test_a_plain_search_still_works(client_for, merchant):
    assert client_for(merchant).get("/help/?q=%E7%BB%93%E7%AE%97").status_code == 200
