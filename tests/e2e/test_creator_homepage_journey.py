"""达人主页 with the demo world's records (issue 17 §5): 品类分布 and 直播场次 render for a
merchant, axe-clean in both languages at desktop and phone width, with screenshots."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.pages import _recorded_creator_home
from tests.e2e.sweep import (  # noqa: F401
    AXE_TAGS,
    BLOCKING,
    COMBOS,
    RUN_AXE,
    Sweep,
    Visit,
    axe_failures,
    sweep,
    sweep_world,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _context_as(world, username: str, lang: str, width: str):
    """A browser context of the module's served world, logged in as ``username`` in
    ``lang`` at desktop or phone width."""
    context = world.browser.new_context(
        viewport={
            "desktop": {"width": 1366, "height": 900},
            "phone": {"width": 390, "height": 844},
        }[width],
    )
    context.add_cookies(
        [
            {"name": "django_language", "value": lang, "url": world.url},
            {"name": "sessionid", "value": world.sessions[username], "url": world.url},
        ]
    )
    return context


def test_creator_homepage_mix_and_sessions(sweep, django_db_blocker):  # noqa: F811
    with django_db_blocker.unblock():
        path = _recorded_creator_home("demo_merchant")
    contexts = {("demo_merchant", lang, width): [("creator_home", path)] for lang, width in COMBOS}
    own = Sweep(sweep.browser, sweep.url, contexts, sweep.sessions)
    folder = SCREENSHOTS / "creator_home"
    folder.mkdir(parents=True, exist_ok=True)
    visits = []
    for lang, width in COMBOS:
        visits += own.visit("demo_merchant", lang, width)
        context = _context_as(sweep, "demo_merchant", lang, width)
        page = context.new_page()
        page.goto(sweep.url + path)
        mix = page.locator("section[aria-labelledby=s-mix]")
        sessions = page.locator("#sessions")
        assert mix.locator("tbody tr").count() >= 1
        assert sessions.locator("tbody tr").count() >= 1
        heading = "品类分布" if lang == "zh-hans" else "Category mix"
        assert page.locator("#s-mix").inner_text() == heading
        page.screenshot(path=str(folder / f"creator_home--{lang}--{width}.png"), full_page=True)
        context.close()
    assert all(v.status == 200 for v in visits)
    failures = axe_failures(visits)
    assert not failures, "\n".join(failures)


def test_plaza_by_fulfilment_and_in_a_category(sweep, django_db_blocker):  # noqa: F811
    """主播广场 as demo_merchant: sorted by 履约率 (the demo's records: rates, 新达人), and in
    美妆 sorted by that category's 场均成交; axe-clean, screenshots in both languages."""
    paths = [
        ("plaza_fulfilment", "/plaza/?sort=-fulfilment"),
        ("plaza_category_gmv", "/plaza/?category=beauty&sort=-gmv"),
    ]
    contexts = {("demo_merchant", lang, width): paths for lang, width in COMBOS}
    own = Sweep(sweep.browser, sweep.url, contexts, sweep.sessions)
    folder = SCREENSHOTS / "plaza"
    folder.mkdir(parents=True, exist_ok=True)
    visits = []
    for lang, width in COMBOS:
        visits += own.visit("demo_merchant", lang, width)
        context = _context_as(sweep, "demo_merchant", lang, width)
        page = context.new_page()
        for name, path in paths:
            page.goto(sweep.url + path)
            assert page.locator(".creator-card").count() >= 1
            page.screenshot(path=str(folder / f"{name}--{lang}--{width}.png"), full_page=True)
        in_beauty = "美妆场均成交" if lang == "zh-hans" else "GMV per session in Beauty"
        assert in_beauty in page.locator("main").inner_text()
        context.close()
    assert all(v.status == 200 for v in visits)
    failures = axe_failures(visits)
    assert not failures, "\n".join(failures)
