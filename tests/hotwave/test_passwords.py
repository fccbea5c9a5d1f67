"""Password change and reset in our layout (issue 13, defect 8).

/accounts/password/ fell back to Django admin's unstyled page and there was no
reset. Now both are django.contrib.auth's views with our templates and words;
the reset email goes through Django's email backend (locmem here), the answer
never tells whether an address has an account, requests are throttled, a link
works once, and wrong current passwords count toward axes' lockout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/password/"
RESET = "/accounts/password/reset/"
OLD = "pw-hotwave-test"
NEW = "a-much-longer-passphrase-9"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(merchant):
    merchant.email = "alice@example.com"
    merchant.save(update_fields=["email"])
    return merchant


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+/accounts/reset/\S+/", message.body)


# --- change ---------------------------------------------------------------------------------


def test_the_change_page_is_ours_not_the_admins(client_for, shop):
    html = client_for(shop).get(CHANGE).content.decode()
    assert 'class="topbar"' in html and "修改密码" in html
    assert "Django" not in html and "站点管理" not in html
    assert "当前密码" in html and "新密码" in html and "再次输入新密码" in html
    assert "至少 8 个字符。" in html  # the validators' help, in our words


def test_anonymous_is_sent_to_log_in_for_a_change(anonymous):
    response = anonymous.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_change_speaks_our_words(client_for, shop):
    c = client_for(shop)
    r = c.post(
        CHANGE, {"old_password": "wrong", "new_password1": "short", "new_password2": "other"}
    )
    errors = r.context["form"].errors
    assert errors["old_password"] == ["当前密码不正确，请重新输入。"]
    assert errors["new_password2"] == ["两次输入的新密码不一致，请重新输入。"]
    r = c.post(
        CHANGE, {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "这个密码太常见，很容易被猜到，请换一个。" in r.context["form"].errors["new_password2"]
    assert "密码不能全是数字。" in r.context["form"].errors["new_password2"]
    r = c.post(CHANGE, {"old_password": OLD, "new_password1": "ab1", "new_password2": "ab1"})
    assert "密码太短：至少要 8 个字符。" in r.context["form"].errors["new_password2"]
    assert 'class="error-summary"' in r.content.decode()


def test_a_change_works_and_keeps_this_session(client_for, shop):
    c = client_for(shop)
    r = c.post(CHANGE, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert r.status_code == 302 and r["Location"] == "/accounts/password/done/"
    assert "密码已修改" in c.get(r["Location"]).content.decode()
    assert c.get("/").status_code == 200  # still logged in here
    shop.refresh_from_db()
    assert shop.check_password(NEW)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_wrong_current_passwords_count_toward_the_lockout(client_for, shop):
    c = client_for(shop)
    wrong = {"old_password": "guess", "new_password1": NEW, "new_password2": NEW}
    answers = [c.post(CHANGE, wrong).status_code for _ in range(3)]
    assert answers == [200, 200, 429]  # the third failure locks, as at the login page
    assert AccessAttempt.objects.get().username == shop.username
    # Locked: even the right current password is refused, without being checked.
    r = c.post(CHANGE, {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert "尝试次数过多，已暂时锁定" in r.content.decode()
    shop.refresh_from_db()
    assert shop.check_password(OLD)
    # And the login page says the same.
    login = Client().post("/accounts/login/", {"username": shop.username, "password": OLD})
    assert login.status_code == 429


# --- reset ----------------------------------------------------------------------------------


def test_the_reset_page_is_ours_and_public(anonymous):
    html = anonymous.get(RESET).content.decode()
    assert "忘记密码" in html and "注册邮箱" in html and 'class="topbar"' in html
    assert 'href="/accounts/password/reset/"' in anonymous.get("/accounts/login/").content.decode()


def test_known_and_unknown_addresses_get_the_same_answer(
    anonymous, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = anonymous.post(RESET, {"email": "ALICE@example.com"})
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        unknown = Client().post(RESET, {"email": "nobody@example.com"})
    assert len(mail.outbox) == 1  # nothing sent for an unknown address
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known["Location"] == "/accounts/password/reset/sent/"
    page = anonymous.get(known["Location"]).content.decode()
    assert "如果这个邮箱是某个账户的注册邮箱" in page
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "重设密码" in message.subject and "\n" not in message.subject
    assert len(_links(message)) == 1


def test_a_reset_link_sets_a_new_password_once(anonymous, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        anonymous.post(RESET, {"email": shop.email})
    link = _links(mail.outbox[0])[0].split("testserver", 1)[1]
    c = Client()
    form_page = c.get(link, follow=True)  # Django moves the token into the session
    assert "设置新密码" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    r = c.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert r.status_code == 302 and r["Location"] == "/accounts/reset/done/"
    shop.refresh_from_db()
    assert shop.check_password(NEW)
    assert "_auth_user_id" not in c.session  # no automatic login: axes still decides
    # The same link again: spent.
    again = Client().get(link, follow=True).content.decode()
    assert "链接已失效" in again


def test_a_broken_link_says_so(anonymous):
    html = anonymous.get("/accounts/reset/MQ/not-a-token/").content.decode()
    assert "链接已失效" in html and "重新申请重设密码" in html


@override_settings(HOTWAVE_PASSWORD_RESET_RATE="2/h")
def test_reset_requests_are_throttled_per_client(
    anonymous, shop, django_capture_on_commit_callbacks
):
    answers = []
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(Client().post(RESET, {"email": shop.email})["Location"])
    assert len(mail.outbox) == 2
    assert set(answers) == {"/accounts/password/reset/sent/"}  # the same answer, sent or not


def test_the_reset_form_speaks_our_words(anonymous):
    r = anonymous.post(RESET, {"email": "not-an-address"})
    assert r.context["form"].errors["email"] == ["请输入有效的邮箱地址，例如 name@example.com。"]
    r = anonymous.post(RESET, {"email": ""})
    assert r.context["form"].errors["email"] == ["请填写注册邮箱。"]


def test_demo_users_have_a_mailbox(db):
    from django.core.management import call_command

    from admission.models import User

    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--users-only", "--force", stdout=quiet)
    assert User.objects.get(username="demo_merchant").email == "demo_merchant@example.com"


# --- email configuration --------------------------------------------------------------------


def _email_settings(**env) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.MAILERS['default']))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "hotwave.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_email_goes_to_the_console_by_default():
    assert _email_settings() == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}


def test_email_url_configures_smtp():
    got = _email_settings(EMAIL_URL="smtp+tls://mailer:s%40cret@smtp.example.com:587")
    assert got == {
        "BACKEND": SMTP,
        "OPTIONS": {
            "host": "smtp.example.com",
            "port": 587,
            "username": "mailer",
            "password": "s@cret",
            "use_tls": True,
            "use_ssl": False,
            "timeout": 10,
        },
    }


def test_email_host_configures_smtp():
    got = _email_settings(EMAIL_HOST="mail.example.com", EMAIL_PORT="2525", EMAIL_USE_TLS="1")
    assert got["BACKEND"] == SMTP
    assert got["OPTIONS"]["host"] == "mail.example.com" and got["OPTIONS"]["port"] == 2525
    assert got["OPTIONS"]["use_tls"] is True and got["OPTIONS"]["username"] is None


def test_a_bad_email_url_is_explained():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", "EMAIL_URL": "carrier-pigeon://coop"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr
