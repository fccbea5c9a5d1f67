"""Visiting every page of the registry (``pages.py``) cheaply, for the whole-site checks.

One seeded demo world per test module (``seed_demo``, a few seconds), served by
the module's own live server; one browser per xdist worker (pytest-playwright's
session ``browser``); one context per role × language × width, logged in once
(a session made on the server side), visiting that context's share of the
pages in turn, with axe-core injected into every document. Visits are cached
per context.

The module world is not a pytest-django transactional test (those flush the
database after every test): the fixture unblocks the database for the module,
seeds it, and flushes it when the module is done, so the next test on this
worker starts from the empty database it expects.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import product
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, SCREENSHOTS
from tests.e2e.pages import ANONYMOUS, OPERATOR, all_pages

AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0
DESKTOP = {"width": 1366, "height": 900}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("zh-hans", "en")
COMBOS = list(product(LANGUAGES, WIDTHS))
# WCAG 2.2 A and AA: the level the product promises.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
FULL = os.environ.get("HOTWAVE_SWEEP") == "full"
SHOTS = os.environ.get("HOTWAVE_SWEEP_SHOTS") == "1"
RUN_AXE = (
    "async (tags) => (await axe.run(document, "
    "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations"
)


@dataclass
class Visit:
    role: str
    language: str
    width: str
    name: str
    path: str
    status: int = 0
    violations: list[dict] = field(default_factory=list)


def plan(pages, full: bool = FULL) -> dict[tuple[str, str, str], list[tuple[str, str]]]:
    """Which (page name, path) each (role, language, width) context visits.

    Every (page, role) once, the four combinations taking turns, and as many more
    visits as a page needs to be seen in all four (a shared page: exactly four,
    its roles taking turns); ``full``: everything everywhere.
    """
    contexts: dict[tuple[str, str, str], list[tuple[str, str]]] = {}

    def add(role, combo, page):
        visits = contexts.setdefault((role, *combo), [])
        entry = (page.name, page.path_for(role))
        if entry not in visits:
            visits.append(entry)

    for i, page in enumerate(pages):
        roles = page.roles
        if full:
            for role, combo in product(roles, COMBOS):
                add(role, combo, page)
            continue
        turns = len(COMBOS) if page.shared else max(len(roles), len(COMBOS))
        for k in range(turns):
            add(roles[k % len(roles)], COMBOS[(i + k) % len(COMBOS)], page)
    return contexts


class Sweep:
    def __init__(self, browser, server_url: str, contexts, sessions):
        self.browser = browser
        self.url = server_url
        self.contexts = contexts
        self.sessions = sessions
        self.visits: dict[tuple[str, str, str], list[Visit]] = {}

    def keys(self, roles):
        return [key for key in self.contexts if key[0] in roles]

    def visit(self, role: str, language: str, width: str) -> list[Visit]:
        key = (role, language, width)
        if key not in self.visits:
            self.visits[key] = self._run(role, language, width)
        return self.visits[key]

    def _run(self, role, language, width):
        context = self.browser.new_context(
            bypass_csp=True,  # our CSP forbids the injected axe script otherwise
            viewport=WIDTHS[width],
            locale="zh-CN" if language == "zh-hans" else "en-US",
        )
        context.add_init_script(path=str(AXE))
        cookies = [{"name": "django_language", "value": language, "url": self.url}]
        if role != ANONYMOUS:
            cookies.append({"name": "sessionid", "value": self.sessions[role], "url": self.url})
        context.add_cookies(cookies)
        page = context.new_page()
        visits = []
        try:
            for name, path in self.contexts.get((role, language, width), []):
                response = page.goto(self.url + path)
                visit = Visit(role, language, width, name, path, response.status)
                visit.violations = [
                    v for v in page.evaluate(RUN_AXE, AXE_TAGS) if v["impact"] in BLOCKING
                ]
                if SHOTS:
                    folder = SCREENSHOTS / "sweep"
                    folder.mkdir(parents=True, exist_ok=True)
                    page.evaluate("window.scrollTo(0, 0)")
                    page.screenshot(
                        path=str(folder / f"{name}--{role}--{language}--{width}.png"),
                        full_page=True,
                        animations="disabled",
                    )
                visits.append(visit)
        finally:
            context.close()
        return visits


def _flush_database():
    """What pytest-django does after a transactional test, append-only ledger included."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        call_command("flush", interactive=False, verbosity=0)
        return
    # SQLite flushes with DELETE, which the postings' append-only triggers refuse.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE%'"
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        for _name, sql in triggers:
            cursor.execute(sql)


def _close_server_connections():
    """End the database sessions the live server's request threads left open.

    Its threads are daemons that close their connections when the browser hangs up;
    one still waiting when the server stops would keep a session on this worker's
    test database, and dropping that database at the end of the run would fail.
    Only this worker's own test database is touched.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _restore_reference_data():
    import importlib

    from django.apps import apps
    from django.db import connection

    from admission.models import Category
    from tests.conftest import REFERENCE_DATA

    if not Category.objects.exists():
        for module, func in REFERENCE_DATA:
            getattr(importlib.import_module(module), func)(apps, connection.schema_editor)


@dataclass
class World:
    pages: list  # the registry's Page objects
    sessions: dict[str, str]  # username -> session key

    def paths(self, role: str) -> list[tuple[str, str]]:
        return [(p.name, p.path_for(role)) for p in self.pages if role in p.roles]


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker):
    """The seeded demo world of this module (committed, flushed afterwards)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.demo_snapshot import seed_demo_world
    from tests.e2e.pages import ROLES

    with django_db_blocker.unblock():
        _flush_database()
        _restore_reference_data()
        seed_demo_world()
        users = get_user_model().objects
        sessions = {}
        for role in ROLES:
            if role != ANONYMOUS:
                client = Client()
                client.force_login(users.get(username=role))
                sessions[role] = client.cookies["sessionid"].value
        try:
            yield World(all_pages(), sessions)
        finally:
            _flush_database()


@pytest.fixture(scope="module")
def sweep(sweep_world, browser, django_db_blocker):
    """The module world served on a live server, and the visit cache."""
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield Sweep(browser, server.url, plan(sweep_world.pages), sweep_world.sessions)
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            _close_server_connections()


def describe(violation: dict) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    more = len(violation["nodes"]) - 5
    return f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}" + (
        f" (+{more} more)" if more > 0 else ""
    )


def assert_admin_axe_clean(sweep: Sweep, language: str, width: str) -> None:
    """The admin as the operator sees it in ``language`` at ``width``: no serious or
    critical axe violation (``test_sweep_admin.py``, ``test_sweep_admin_en.py``)."""
    failures = axe_failures(sweep.visit(OPERATOR, language, width))
    assert not failures, f"{len(failures)} axe violations:\n" + "\n".join(failures)


def axe_failures(visits: list[Visit]) -> list[str]:
    failures = [f"{v.name} {v.path}: HTTP {v.status}" for v in visits if v.status >= 500]
    failures += [
        f"{v.name} {v.path} [{v.role} {v.language} {v.width}]: {describe(violation)}"
        for v in visits
        for violation in v.violations
    ]
    return failures


# --- Chinese in English pages -------------------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm")
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# In Django admin, what operators look at is data: the cells of a change list, read-only
# values, the object named in breadcrumbs and headings, select options (objects).
ADMIN_DATA = re.compile(r"\b(field-|readonly|breadcrumbs)")
ADMIN_DATA_TAGS = {"td", "option", "textarea", "h2", "pre"}


class _ChineseFinder(HTMLParser):
    def __init__(self, admin: bool):
        super().__init__(convert_charrefs=True)
        self.admin = admin
        self.stack: list[tuple[str, bool, dict]] = []  # (tag, skipped, attributes)
        self.found: list[str] = []
        self.user_texts: set[str] = set()  # what [data-user-content] elements say
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value) to check last

    def _inside(self, element_id: str) -> bool:
        return any(a.get("id") == element_id for _t, _s, a in self.stack)

    def _skipped(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = (
            self._skipped()
            or tag in ("script", "style", "template")
            or "data-user-content" in attrs
            # Text marked as Chinese on purpose: the language switch's 中文.
            or (attrs.get("lang") or "").startswith("zh")
        )
        if self.admin and not skip:
            skip = (
                tag in ADMIN_DATA_TAGS
                or bool(ADMIN_DATA.search(attrs.get("class") or ""))
                # the operator's own name in "Welcome, …"
                or (tag == "strong" and self._inside("user-tools"))
                # a list filter's choices are the objects filtered by (activities…)
                or (tag == "a" and self._inside("changelist-filter"))
            )
        parent = self.stack[-1][2] if self.stack else {}
        if tag == "option" and "data-user-options" in parent:
            skip = True  # a select of things people named (activities)
        if not skip:
            user_attributes = (attrs.get("data-user-attr") or "").split()
            for name in READ_ATTRIBUTES:
                if name in user_attributes:
                    continue
                if CJK.search(attrs.get(name) or ""):
                    self.attributes.append((tag, name, attrs[name]))
            is_button = tag == "input" and attrs.get("type") in ("submit", "button")
            if is_button and CJK.search(attrs.get("value") or ""):
                self.found.append(f'<input value="{attrs["value"]}">')
        if tag not in VOID:
            self.stack.append((tag, skip, attrs))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        where = self.stack[-1][0] if self.stack else "?"
        if self._skipped():
            if self.stack and "data-user-content" in self.stack[-1][2] and len(data.strip()) > 1:
                self.user_texts.add(data.strip())
        elif where == "title":
            self.attributes.append(("title", "text", data))
        elif CJK.search(data):
            self.found.append(f"<{where}> {' '.join(data.split())[:80]}")

    def close(self):
        super().close()
        # A title attribute or the page title may repeat what people typed (a product
        # title, a nickname) that the page marks as theirs elsewhere.
        for tag, name, value in self.attributes:
            if self.admin and tag == "title":
                value = " | ".join(value.split(" | ")[-2:])  # "<object> | Change X | site"
            for text in self.user_texts:
                value = value.replace(text, "")
            if CJK.search(value):
                self.found.append(f'<{tag} {name}="{" ".join(value.split())[:60]}">')


def chinese_outside_user_content(html: str, admin: bool = False) -> list[str]:
    """Every CJK text node or readable attribute of ``html`` outside [data-user-content]."""
    finder = _ChineseFinder(admin)
    finder.feed(html)
    finder.close()
    return finder.found


def english_failures(world: World, roles) -> list[str]:
    """Render every page of ``roles`` in English with the test client; report Chinese."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    failures = []
    for role in roles:
        client = Client(raise_request_exception=False)
        client.cookies["django_language"] = "en"
        if role != ANONYMOUS:
            client.force_login(get_user_model().objects.get(username=role))
        for name, path in world.paths(role):
            response = client.get(path, follow=True)
            if response.status_code >= 500:
                failures.append(f"{name} {path} as {role}: HTTP {response.status_code}")
                continue
            html = response.content.decode()
            for text in chinese_outside_user_content(html, admin=role == OPERATOR):
                failures.append(f"{name} {path} as {role}: {text}")
    return failures
