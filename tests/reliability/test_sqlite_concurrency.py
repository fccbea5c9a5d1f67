"""Concurrent writes on the embedded default, SQLite (issue 13 defect 2, issue 14 defect 2).

``make demo`` runs on SQLite. Two POSTs at once used to be a 500 ("database is
locked": a deferred transaction that read first could not take the write lock),
and two ``settle`` runs at once died with that traceback. Here a real demo
server (``manage.py runserver`` on its own SQLite file, seeded by ``seed_demo``,
as ``make demo`` does) takes real concurrent requests, and two real ``settle``
processes run at once:

* two 我要合作 submissions at once (two merchants, one creator): both handled;
* eight 确认完成 at once on one task: exactly one succeeds, the seven others get
  a 4xx answer saying why, none a 500, and the escrow is released once;
* two ``settle`` runs at once: both exit cleanly (the second waits for the
  first and finds nothing left), no traceback, every order settled once.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hotwave-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DJANGO_SETTINGS"))}
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "1",
        "SECRET_KEY": "sqlite-concurrency-test",
        "HTTPS": "0",
        "HOTWAVE_EVENTS_RATE": "",
    }


def _manage(env, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A seeded demo on its own SQLite file, served by ``runserver`` as ``make demo`` does."""
    db = tmp_path_factory.mktemp("sqlite-demo") / "db.sqlite3"
    env = _env(db)
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "seed_demo")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=10).close()
            break
        except OSError:  # refused, reset or timed out while the server starts
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "the demo server did not start"
            time.sleep(0.3)
    try:
        yield url, db, env
    finally:
        server.terminate()
        log = server.communicate(timeout=20)[1]
        # Every request above was answered without a server error.
        assert "Traceback" not in log, log[-4000:]


def _query(db: Path, sql: str, *params):
    with sqlite3.connect(db, timeout=30) as con:
        return con.execute(sql, params).fetchall()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One logged-in session: cookies, CSRF header, redirects reported not followed."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.get("/accounts/login/")
        status, _ = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert status == 302, f"{username} could not log in ({status})"

    def _csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=90) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict | list) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={"X-CSRFToken": self._csrf(), "Referer": self.base + path},
            method="POST",
        )
        return self._open(request)


def _at_once(fns) -> list:
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _cooperate_form(db: Path, merchant: str) -> dict:
    """我要合作's fields for one of ``merchant``'s active products that is not restricted."""
    ((product,),) = _query(
        db,
        "SELECT p.id FROM cooperation_product p JOIN admission_user u ON u.id = p.merchant_id "
        "WHERE u.username = ? AND p.status = 'active' AND p.sku NOT IN "
        "(SELECT r.sku FROM admission_restrictedproduct r WHERE r.merchant_id = p.merchant_id) "
        "ORDER BY p.id LIMIT 1",
        merchant,
    )
    return {
        "products": product,
        "slot_fee": "1000.00",
        "planned_live_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "note": "同时提交",
    }


@pytest.mark.slow
def test_two_cooperate_submissions_at_once_are_both_handled(demo):
    url, db, _ = demo
    names = ["demo_merchant", "demo_tmall"]
    merchants = [Browser(url, name) for name in names]
    forms = [_cooperate_form(db, name) for name in names]
    _, plaza = merchants[0].get("/plaza/")
    demo_ids = {
        pk
        for (pk,) in _query(
            db, "SELECT id FROM admission_user WHERE username LIKE 'demo\\_%' ESCAPE '\\'"
        )
    }
    creators = [int(pk) for pk in dict.fromkeys(re.findall(r'href="/creators/(\d+)/"', plaza))]
    creators = [pk for pk in creators if pk not in demo_ids][:4]
    assert len(creators) == 4, "the plaza lists fewer than 4 seeded creators"
    for creator_pk in creators:  # four races, each on a creator neither has invited now
        (before,) = _query(
            db, "SELECT count(*) FROM cooperation_task WHERE creator_id = ?", creator_pk
        )[0]  # the demo's records: earlier, finished cooperations with these creators
        answers = _at_once(
            [
                lambda m=m, f=f, pk=creator_pk: m.post(f"/creators/{pk}/cooperate/", f)
                for m, f in zip(merchants, forms, strict=True)
            ]
        )
        assert [status for status, _ in answers] == [302, 302], [
            re.findall(r"(?:errorlist|alert|error)[^>]*>([^<]+)", a[1]) for a in answers
        ]
        (count,) = _query(
            db, "SELECT count(*) FROM cooperation_task WHERE creator_id = ?", creator_pk
        )[0]
        assert count == before + 2


@pytest.mark.slow
def test_eight_confirmations_at_once_release_the_escrow_once(demo):
    url, db, _ = demo
    ((task_pk,),) = _query(
        db,
        "SELECT t.id FROM cooperation_task t JOIN admission_user u ON u.id = t.merchant_id "
        "WHERE u.username = 'demo_merchant' AND t.state = 'live_reported' ORDER BY t.id LIMIT 1",
    )
    sessions = [Browser(url, "demo_merchant") for _ in range(8)]
    answers = _at_once([lambda b=b: b.post(f"/tasks/{task_pk}/confirm/", {}) for b in sessions])
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(302) == 1, statuses
    refused = [body for status, body in answers if status != 302]
    assert all(400 <= status < 500 for status in statuses if status != 302), statuses
    # Each refusal says why (the task is no longer awaiting confirmation).
    assert all("已完成" in body or "状态" in body for body in refused)
    ((state,),) = _query(db, "SELECT state FROM cooperation_task WHERE id = ?", task_pk)
    assert state == "completed"
    releases = _query(
        db,
        "SELECT count(*) FROM settlement_journal WHERE kind = 'escrow_release' AND key LIKE ?",
        f"%task:{task_pk}",
    )
    assert releases == [(1,)]


@pytest.mark.slow
def test_two_settle_runs_at_once_exit_cleanly_and_settle_once(demo, tmp_path):
    _, db, env = demo
    today = timezone.localdate()
    at = f"{today - timedelta(days=1)}T10:00:00+08:00"
    lines = []
    for i in range(3000):
        lines.append(
            {
                "type": "order.paid",
                "order_id": f"SQ{i}",
                "merchant": "demo_merchant",
                "creator": ("demo_creator", "demo_streamer")[i % 2],
                "product": "SKU-1",
                "amount": f"{20 + i % 50}.90",
                "service_fee_rate": "0.20",
                "at": at,
            }
        )
        lines.append({"type": "order.confirmed", "order_id": f"SQ{i}", "at": at})
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    assert _manage(env, "import_events", str(feed)).stdout.strip().splitlines()[-1] == (
        "accepted 6000, duplicates 0, rejected 0"
    )
    through = (today - timedelta(days=1)).isoformat()
    command = [sys.executable, "manage.py", "settle", "--through", through]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=300) for r in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, (out, err)
        assert "Traceback" not in err and "database is locked" not in err, err
    assert _query(
        db,
        "SELECT count(*), count(DISTINCT j.order_id) FROM settlement_journal j "
        "JOIN settlement_order o ON o.id = j.order_id "
        "WHERE j.kind = 'settlement' AND o.order_id LIKE 'SQ%'",
    ) == [(3000, 3000)]
    assert _manage(env, "reconcile").returncode == 0


def test_the_embedded_database_takes_the_write_lock_up_front(tmp_path):
    """The settings themselves: IMMEDIATE transactions and a busy timeout on SQLite."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**_env(tmp_path / "db.sqlite3"), "DJANGO_SETTINGS_MODULE": "hotwave.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    options = json.loads(out)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 20


@pytest.mark.django_db
def test_settle_says_so_plainly_when_the_lock_wait_runs_out(monkeypatch, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import OperationalError

    from settlement.management.commands import settle as command

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(command, "settle_through", locked)
    with pytest.raises(CommandError, match="another settlement run for this date may be in"):
        call_command("settle", "--through", "2026-10-31")
