"""Foundation: login, landing, navigation, language, errors, configuration."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.urls import reverse

from admission.models import Role

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_renders_in_chinese_by_default(anonymous):
    response = anonymous.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"


def test_login_lands_on_workbench(anonymous, merchant):
    response = anonymous.post(
        "/accounts/login/", {"username": merchant.username, "password": "pw-hotwave-test"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:home")
    page = anonymous.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for title in ["待办事项", "核心数据", "操作指引", "平台推荐", "成功案例"]:
        assert title in html
    assert (
        html.index("待办事项")
        < html.index("核心数据")
        < html.index("操作指引")
        < html.index("平台推荐")
        < html.index("成功案例")
    )


@pytest.mark.parametrize("which", ["username", "password"])
def test_wrong_login_does_not_say_which_half_was_wrong(anonymous, merchant, which):
    data = {"username": merchant.username, "password": "pw-hotwave-test"}
    data[which] = "wrong-" + data[which]
    response = anonymous.post("/accounts/login/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码不正确" in html


def test_operator_lands_in_admin(client_for, operator):
    response = client_for(operator).get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_logout_is_a_post(client_for, merchant):
    c = client_for(merchant)
    response = c.post("/accounts/logout/")
    assert response.status_code == 302
    assert c.get("/").status_code == 302


def test_english_is_selectable(client_for, creator):
    c = client_for(creator)
    response = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = c.get("/").content.decode()
    assert '<html lang="en">' in html


def test_navigation_is_role_aware(client_for, merchant, creator):
    m = client_for(merchant).get("/").context["nav_items"]
    c = client_for(creator).get("/").context["nav_items"]
    assert [i["url"] for i in m][0] == "/"
    assert all(i["label"] for i in m + c)


def test_styled_404(client_for, merchant):
    response = client_for(merchant).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_healthz_is_public(anonymous):
    assert anonymous.get("/healthz").json() == {"status": "ok"}


def test_every_html_page_has_a_csp_without_inline_scripts(client_for, merchant):
    response = client_for(merchant).get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


def test_user_role_is_one_of_five():
    assert {r.value for r in Role} == {"merchant", "creator", "agency", "provider", "operator"}


def _run_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='hotwave.settings'; django.setup()",
        ],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_settings({"DEBUG": "0", "HOTWAVE_EVENTS_SECRET": "x"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_manage_py_explains_missing_secret_key_in_one_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "0", "HOTWAVE_EVENTS_SECRET": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("hotwave: configuration error: SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_explained():
    result = _run_settings({"DEBUG": "1", "DATABASE_URL": "nonsense://"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize("command", [["check", "--database", "default"], ["migrate"]])
def test_unreachable_database_fails_with_one_line(command):
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "1",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "database" in result.stderr.lower()
    assert "Traceback" not in result.stderr


def test_chinese_is_the_default_even_for_an_english_browser(client_for, creator):
    response = client_for(creator).get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"


def test_celery_time_limits_must_stay_below_the_visibility_timeout():
    ok = _run_settings({"DEBUG": "1", "CELERY_TASK_TIME_LIMIT": "3000"})
    assert ok.returncode == 0, ok.stderr
    too_long = _run_settings({"DEBUG": "1", "CELERY_TASK_TIME_LIMIT": "7200"})
    assert too_long.returncode != 0
    assert "visibility timeout" in too_long.stderr
    inverted = _run_settings(
        {"DEBUG": "1", "CELERY_TASK_SOFT_TIME_LIMIT": "1900", "CELERY_TASK_TIME_LIMIT": "1800"}
    )
    assert inverted.returncode != 0
