"""Success cases never contradict a demo user's own figures (issue 13, defect 4).

The demo's cases were about the demo parties themselves (小满生活馆 is
demo_merchant): the workbench showed a case ROI of 6.8 next to the shop's own
0.69, "绑定 20 位主播" next to one bound creator, "43 tasks" next to 2. The
choice: a case is an operator's story with figures as told, never computed, so
the demo's cases are about parties that are not demo accounts. The admin says
so where operators write them.
"""

from __future__ import annotations

import pytest

from admission.models import Agency, Creator, Merchant, Provider
from tests.demo_snapshot import seed_demo_world
from workbench.models import SuccessCase
from workbench.starter_content import SUCCESS_CASES


def _party_names() -> set[str]:
    names = set(Merchant.objects.values_list("shop_name", flat=True))
    names |= set(Creator.objects.values_list("nickname", flat=True))
    names |= set(Agency.objects.values_list("name", flat=True))
    names |= set(Provider.objects.values_list("company_name", flat=True))
    return {n for n in names if len(n) >= 2}


@pytest.mark.slow
def test_no_demo_case_is_about_a_party_of_the_demo(db):
    seed_demo_world()  # the seeded world (this process's copy of it when it has one)
    names = _party_names()
    assert "小满生活馆" in names  # demo_merchant: the world is there
    cases = list(SuccessCase.objects.all())
    assert len(cases) == len(SUCCESS_CASES)
    for case in cases:
        assert case.party_name not in names, case.slug
        text = " ".join([case.title_zh, case.summary_zh, case.story_zh])
        mentioned = sorted(n for n in names if n in text)
        assert not mentioned, f"{case.slug} mentions demo parties {mentioned}"


def test_the_starter_cases_name_no_demo_account():
    from pathlib import Path

    from admission import demo

    source = Path(demo.__file__).read_text(encoding="utf-8")
    for case in SUCCESS_CASES:
        assert case["party_name"] not in source, case["slug"]


def test_the_admin_says_case_figures_are_not_computed(client_for, operator):
    from django.contrib.auth.models import Permission

    operator.user_permissions.add(*Permission.objects.filter(codename__endswith="successcase"))
    html = client_for(operator).get("/admin/workbench/successcase/add/").content.decode()
    assert "不从任何账户的数据计算" in html
    assert "不要用平台上演示账户的名称" in html
