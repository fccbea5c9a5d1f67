"""workbench.demo via seed_demo: idempotent, --users-only creates no cases; the demo roles'
workbenches show real numbers that match the pages they link to."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.admission.factories import ProviderFactory
from workbench.models import CaseFigure, HelpArticle, SuccessCase


def seed(*args):
    call_command("seed_demo", "--force", *args, verbosity=0)


def test_users_only_creates_help_but_no_cases(db):
    seed("--users-only")
    assert SuccessCase.objects.count() == 0
    assert HelpArticle.objects.count() == 10


@pytest.mark.slow
def test_full_demo_is_idempotent_and_each_role_sees_its_workbench(db, client):
    from admission.models import User

    seed()
    counts = (SuccessCase.objects.count(), CaseFigure.objects.count(), HelpArticle.objects.count())
    seed()
    assert (
        (
            SuccessCase.objects.count(),
            CaseFigure.objects.count(),
            HelpArticle.objects.count(),
        )
        == counts
        == (3, 9, 10)
    )
    for username in ("demo_merchant", "demo_tmall", "demo_creator", "demo_streamer", "demo_agency"):
        client.force_login(User.objects.get(username=username))
        html = client.get("/").content.decode()
        assert html.index("待办事项") < html.index("核心数据") < html.index("操作指引")
        assert html.index("操作指引") < html.index("平台推荐") < html.index("成功案例")
        assert '<svg class="chart chart--wide"' in html, username  # the demo has 30 days of orders


def test_provider_gets_a_workbench_too(db, client_for):
    provider = ProviderFactory().user
    response = client_for(provider).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for title in ("待办事项", "核心数据", "操作指引", "平台推荐", "成功案例"):
        assert title in html
