"""The language switch (中文/EN) works before and after login and is never a ``next`` target."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"


def test_anonymous_user_can_switch_to_english_on_the_login_page(anonymous):
    response = anonymous.post(SETLANG, {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = anonymous.get("/accounts/login/")
    assert page.headers["Content-Language"] == "en"
    assert "Log in" in page.content.decode()


def test_logged_in_user_can_switch_language(client_for, merchant):
    c = client_for(merchant)
    response = c.post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert c.get("/").headers["Content-Language"] == "en"


def test_a_next_pointing_at_the_switch_is_ignored_at_login(anonymous, merchant):
    response = anonymous.post(
        "/accounts/login/?next=/i18n/setlang/",
        {"username": merchant.username, "password": "pw-hotwave-test", "next": SETLANG},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:home")


def test_the_login_page_never_offers_the_switch_as_next(anonymous):
    html = anonymous.get("/accounts/login/?next=/i18n/setlang/").content.decode()
    assert 'name="next" value="/i18n/setlang/"' not in html


def test_english_survives_logging_in(anonymous, merchant):
    anonymous.post(SETLANG, {"language": "en", "next": "/accounts/login/"})
    anonymous.post(
        "/accounts/login/", {"username": merchant.username, "password": "pw-hotwave-test"}
    )
    assert anonymous.get("/").headers["Content-Language"] == "en"


def test_an_absolute_next_to_the_switch_is_ignored_too(anonymous, merchant):
    response = anonymous.post(
        "/accounts/login/",
        {
            "username": merchant.username,
            "password": "pw-hotwave-test",
            "next": "http://testserver/i18n/setlang/?language=en",
        },
    )
    assert response["Location"] == reverse("workbench:home")


def test_a_next_to_a_page_is_still_followed(anonymous, merchant):
    response = anonymous.post(
        "/accounts/login/",
        {"username": merchant.username, "password": "pw-hotwave-test", "next": "/funds/"},
    )
    assert response["Location"] == "/funds/"
