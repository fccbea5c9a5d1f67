"""Browser journeys: real Chromium (Debian's /usr/bin/chromium) through Playwright.

Use ``live_server`` + ``page`` with ``@pytest.mark.django_db(transaction=True)``.
``login(page, live_server, username)`` logs in through the real form;
``shot(page, name)`` saves a full-page screenshot under var/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM = os.environ.get("HOTWAVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("HOTWAVE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # From the top and with transitions finished: a page just resized from desktop
        # to phone width would show its sidebar sliding away, and a scrolled one its
        # sticky header halfway down the full-page shot.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take


@pytest.fixture
def login():
    def do(page, live_server, username: str, password: str = "hotwave-demo"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        # Wait for the navigation the submit starts: the login page is already
        # "loaded", so waiting for the load state could return before the POST
        # finished, and the test's next goto would cancel it (seen once on SQLite).
        with page.expect_navigation():
            page.click("#login-form [type=submit]")
        page.wait_for_load_state("load")
        return page

    return do


@pytest.fixture
def demo_users(transactional_db):
    from tests.demo_snapshot import seed_demo_world

    seed_demo_world("--users-only")


@pytest.fixture
def demo_world(transactional_db):
    """The whole demo world (seeded once per process, then copied back: tests/demo_snapshot.py)."""
    from tests.demo_snapshot import seed_demo_world

    seed_demo_world()


PHONE = {"width": 390, "height": 844}
