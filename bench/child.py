"""Helper processes of bench/run.py that need Django: ``python -m bench.child <what>``.

Each prints one JSON object on its last line of stdout. They run with
``DJANGO_SETTINGS_MODULE=bench.settings`` against the benchmark database.

* ``personas`` — the users the pages are measured as, with a session cookie each;
* ``queries`` — the number of SQL queries of each page (second, warm request);
* ``todos --sample N`` — the all-users to-do recount and N single-user recounts;
* ``explain --top N`` — each page's N slowest queries with EXPLAIN ANALYZE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

# (page name, persona role, URL names tried in order, query string or None).
# A page whose URL is not (yet) in the URLconf is reported as not measurable.
# A URL name in OBJECT_ARGS takes the pk of the persona's own object of that kind
# (see ``persona_objects``): the busiest one, so the page shows the most it can.
PAGES = [
    ("workbench (merchant)", "merchant", ["workbench:home"], ""),
    ("workbench (creator)", "creator", ["workbench:home"], ""),
    ("workbench (agency)", "agency", ["workbench:home"], ""),
    ("主播广场 (default sort)", "merchant", ["cooperation:plaza"], ""),
    (
        "主播广场 (category, fans ≥ 1000, individual, by fans)",
        "merchant",
        ["cooperation:plaza"],
        "?category={category}&fans_min=1000&kind=individual&sort=-fans",
    ),
    ("选品广场 (default: 7-day orders)", "creator", ["cooperation:hot_products"], ""),
    (
        "选品广场 (category, ¥100–300, with a plan, by my earnings)",
        "creator",
        ["cooperation:hot_products"],
        "?category={category}&price=100-300&plan=any&sort=earnings",
    ),
    (
        "选品广场 (search, rate 20%–30%, by rate, page 2)",
        "creator",
        ["cooperation:hot_products"],
        "?q=%E4%BF%9D%E6%B8%A9%E6%9D%AF&rate=20-30&sort=rate&page=2",  # q=保温杯 (URL-encoded)
    ),
    ("task list (merchant)", "merchant", ["cooperation:task_list", "cooperation:tasks"], ""),
    ("task list (creator)", "creator", ["cooperation:task_list", "cooperation:tasks"], ""),
    ("task page with its timeline (merchant)", "merchant", ["cooperation:task_detail"], ""),
    ("conversation thread (creator)", "creator", ["conversations:thread"], ""),
    ("notification center (creator)", "creator", ["notifications:center"], "?show=all"),
    ("notification center (merchant)", "merchant", ["notifications:center"], "?show=all"),
    ("资金账户 (creator)", "creator", ["settlement:fund_account", "settlement:account"], ""),
    ("资金账户 (agency)", "agency", ["settlement:fund_account", "settlement:account"], ""),
    ("资金账户 (merchant)", "merchant", ["settlement:fund_account", "settlement:account"], ""),
]

OBJECT_ARGS = {"cooperation:task_detail": "task", "conversations:thread": "thread"}

# What each page must contain to count as the real page (zh-hans, the default
# language; SPEC labels): a 200 with an error message or an empty shell is not it.
MARKERS = {
    "workbench": "待办事项",
    "主播广场": "主播广场",
    "选品广场": "选品广场",
    "task list": "合作任务",
    "task page": 'class="timeline task-timeline"',
    "conversation thread": 'class="msg__body"',
    "notification center": 'class="notice__text"',
    "资金账户": "资金账户",
}


def marker_for(name: str) -> str:
    """The marker string of a page of PAGES (by the start of its name)."""
    for prefix, marker in MARKERS.items():
        if name.startswith(prefix):
            return marker
    raise KeyError(f"no marker for page {name!r}")


def _setup():
    import django

    django.setup()


def _emit(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def pick_personas() -> dict:
    """The busiest admitted generated merchant, creator and agency (worst case for pages)."""
    from django.db.models import Count, Q

    from admission.models import Agency, Role
    from admission.selectors import admitted_creators, admitted_merchants

    merchant = (
        admitted_merchants()
        .filter(user__username__startswith="lg_m")
        .annotate(n=Count("orders"))
        .order_by("-n", "user_id")
        .select_related("user")
        .first()
    )
    creator = (
        admitted_creators()
        .filter(user__username__startswith="lg_c")
        .annotate(n=Count("orders"))
        .order_by("-n", "user_id")
        .select_related("user")
        .first()
    )
    agency = (
        Agency.objects.filter(user__username__startswith="lg_a", registered_verified=True)
        .annotate(n=Count("orders", filter=Q(orders__isnull=False)))
        .order_by("-n", "user_id")
        .select_related("user")
        .first()
    )
    found = {
        Role.MERCHANT.value: merchant.user if merchant else None,
        Role.CREATOR.value: creator.user if creator else None,
        Role.AGENCY.value: agency.user if agency else None,
    }
    return {role: user for role, user in found.items() if user is not None}


def _session_for(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def persona_objects(personas: dict) -> dict:
    """For each role, the pk of its busiest task (most timeline entries) and thread
    (most messages) that the persona can see, or None when it has none."""
    from django.db.models import Count, Q

    from conversations.models import Thread
    from cooperation.models import Task

    out = {}
    for role, user in personas.items():
        mine = Q(merchant_id=user.pk) | Q(creator_id=user.pk)
        task = (
            Task.objects.filter(mine)
            .annotate(n=Count("transitions"))
            .order_by("-n", "-id")
            .values_list("id", flat=True)
            .first()
        )
        thread = (
            Thread.objects.filter(mine)
            .annotate(n=Count("messages"))
            .order_by("-n", "-id")
            .values_list("id", flat=True)
            .first()
        )
        out[role] = {"task": task, "thread": thread}
    return out


def resolve_pages(personas: dict | None = None) -> list[dict]:
    """PAGES with their paths and markers, or a note saying why a page cannot be measured."""
    from django.urls import NoReverseMatch, reverse

    from admission.models import Category

    category = Category.objects.order_by("position", "code").values_list("code", flat=True).first()
    objects = persona_objects(personas or {})
    out = []
    for name, role, url_names, query in PAGES:
        path, used, missing = None, None, None
        for url_name in url_names:
            kind = OBJECT_ARGS.get(url_name)
            args = []
            if kind:
                pk = (objects.get(role) or {}).get(kind)
                if pk is None:
                    missing = f"the {role} persona has no {kind}"
                    continue
                args = [pk]
            try:
                path, used = reverse(url_name, args=args), url_name
                break
            except NoReverseMatch:
                continue
        item = {"name": name, "role": role, "url_name": used, "marker": marker_for(name)}
        if path is None:
            item["note"] = missing or f"no URL named {' / '.join(url_names)} yet"
        else:
            item["path"] = path + query.format(category=category or "")
        out.append(item)
    return out


def cmd_personas(args) -> None:
    personas = pick_personas()
    _emit(
        {
            "personas": {
                role: {"username": u.username, "user_id": u.pk, "sessionid": _session_for(u)}
                for role, u in personas.items()
            },
            "pages": resolve_pages(personas),
        }
    )


@contextmanager
def counting():
    """The statements sent on the default connection inside the block (each one's SQL)."""
    from django.db import connection

    seen: list[str] = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen


def cmd_queries(args) -> None:
    from django.test import Client

    from hotwave import pagecache

    personas = pick_personas()
    out = []
    for page in resolve_pages(personas):
        user = personas.get(page["role"])
        if "path" not in page or user is None:
            out.append({**page, "note": page.get("note") or f"no {page['role']} persona"})
            continue
        client = Client()
        client.force_login(user)
        # The page computed (hotwave.pagecache off): the statements its view runs.
        with pagecache.disabled():
            client.get(page["path"])  # warm: caches, lazy imports, template loading
            with counting() as computed:
                response = client.get(page["path"])
        # And answered again unchanged: what a repeated view costs.
        client.get(page["path"])
        with counting() as unchanged:
            client.get(page["path"])
        body = response.content.decode("utf-8", "replace")
        out.append(
            {
                **page,
                "queries": len(computed),
                "queries_unchanged": len(unchanged),
                "status": response.status_code,
                "marker_found": page["marker"] in body,
            }
        )
    _emit({"pages": out, "personas": {r: u.username for r, u in personas.items()}})


def cmd_explain(args) -> None:
    """Each page's slowest queries (warm request) with their EXPLAIN ANALYZE plans."""
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hotwave import pagecache

    personas = pick_personas()
    out = []
    with pagecache.disabled():  # the statements of the view itself, not a cached answer
        for page in resolve_pages(personas):
            user = personas.get(page["role"])
            if "path" not in page or user is None:
                continue
            client = Client()
            client.force_login(user)
            client.get(page["path"])
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                client.get(page["path"])
                total_ms = (time.perf_counter() - t0) * 1000
            queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
            slow = []
            for q in queries[: args.top]:
                sql = q["sql"]
                plan = ""
                # Server-side cursors (iterator()) are captured as DECLARE … FOR <query>.
                m = re.match(
                    r'DECLARE "[^"]+" NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR (.*)', sql, re.S
                )
                target = m.group(1) if m else sql
                if target.lstrip().upper().startswith("SELECT"):
                    with connection.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + target)
                        plan = "\n".join(r[0] for r in cur.fetchall())
                slow.append({"ms": float(q["time"]) * 1000, "sql": target, "plan": plan})
            out.append(
                {
                    "name": page["name"],
                    "request_ms": total_ms,
                    "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
                    "queries": len(queries),
                    "slowest": slow,
                }
            )
    _emit({"pages": out})


def cmd_todos(args) -> None:
    from admission.models import Role, User

    try:
        from workbench import services
    except ImportError as exc:
        _emit({"note": f"workbench.services not importable: {exc}"})
        return
    recount_all = getattr(services, "todos_recount_all", None)
    recount_user = getattr(services, "todos_recount_user", None)
    if recount_all is None or recount_user is None:
        _emit({"note": "workbench.services has no todos_recount_all / todos_recount_user yet"})
        return
    from hotwave import todos

    sources = todos.sources()
    users = User.objects.filter(role__in=[Role.MERCHANT, Role.CREATOR, Role.AGENCY]).count()
    started = time.perf_counter()
    summary = recount_all()
    all_seconds = time.perf_counter() - started
    # Users spread over the id range (all roles), the same on every run.
    ids = list(
        User.objects.filter(role__in=[Role.MERCHANT, Role.CREATOR, Role.AGENCY])
        .order_by("id")
        .values_list("id", flat=True)
    )
    step = max(1, len(ids) // max(1, args.sample))
    sample = ids[::step][: args.sample]
    if sample:
        recount_user(user_id=sample[0])  # warm: lazy imports, translations, cache connection
    timings = []
    for uid in sample:
        t0 = time.perf_counter()
        recount_user(user_id=uid)
        timings.append((time.perf_counter() - t0) * 1000)
    _emit(
        {
            "users": users,
            "sources": len(sources),
            "source_keys": [s.key for s in sources],
            "recount_all_seconds": all_seconds,
            "summary": summary,
            "sample": len(sample),
            "per_user_ms": timings,
        }
    )


def cmd_scorecards(args) -> None:
    """The nightly scorecard recompute vs one GROUP BY per table it reads; the plaza sorted
    by 履约率 with two filters (p99 and query count)."""
    import resource

    from django.apps import apps
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cooperation.models import CreatorScorecard, Dispute, Rating, Task, TaskEvent
    from cooperation.services.scorecards import scorecards_recompute

    Order = apps.get_model("settlement", "Order")  # noqa: N806 - a model class

    # Baseline: one GROUP BY over each table the recompute reads (same run, same data).
    baseline_sql = [
        f"SELECT creator_id, COUNT(*), MAX(completed_at) FROM {Task._meta.db_table} "
        "GROUP BY creator_id",
        f"SELECT task_id, kind, COUNT(*) FROM {TaskEvent._meta.db_table} GROUP BY task_id, kind",
        f"SELECT task_id, COUNT(*) FROM {Dispute._meta.db_table} GROUP BY task_id",
        f"SELECT creator_id, AVG(stars) FROM {Rating._meta.db_table} GROUP BY creator_id",
        f"SELECT creator_id, merchant_id, SUM(amount - refunded) FROM {Order._meta.db_table} "
        "GROUP BY creator_id, merchant_id",
        "SELECT user_id FROM admission_creator",
    ]

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def baseline():
        with connection.cursor() as cur:
            for stmt in baseline_sql:
                cur.execute(stmt)
                cur.fetchall()

    timed(baseline)  # warm the cache for both
    base = min(timed(baseline) for _ in range(3))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # As the nightly task runs it (SCORECARD_WORKERS connections), and on one connection.
    from django.conf import settings as conf

    workers = getattr(conf, "SCORECARD_WORKERS", 1)
    recompute = [timed(lambda: scorecards_recompute(workers=workers)) for _ in range(3)]
    recompute_one = [timed(scorecards_recompute) for _ in range(3)]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    measured = CreatorScorecard.objects.filter(fulfilment_rate__isnull=False).count()

    personas = pick_personas()
    # Rendered in this process: plain static storage (no collectstatic manifest needed).
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, ALLOWED_HOSTS=["*"]).enable()
    # The generated world gives few creators 3 completed tasks in 90 days: for the plaza,
    # give every scorecard believable figures (this bench database only) so the sort and
    # the filters work on a full table.
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {CreatorScorecard._meta.db_table} SET tasks_completed = 3 + (creator_id % 20),"
            " fulfilment_rate = ROUND((0.5 + (creator_id % 50) / 100.0)::numeric, 4),"
            " rating_avg = ROUND((3 + (creator_id % 21) / 10.0)::numeric, 2),"
            " rating_count = 1 + creator_id % 9,"
            " gmv_per_session = 100 + (creator_id % 997) * 37"
        )
    # The plaza computed each time (hotwave.pagecache off), not answered from the cache.
    override_settings(PAGE_CACHE=False).enable()
    client = Client()
    client.force_login(personas["merchant"])
    url = "/plaza/?sort=-fulfilment&fulfilment_min=0.8&rating_min=4"
    plain = "/plaza/"
    for _ in range(5):
        client.get(url)
        client.get(plain)
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    # Counted now: captured_queries reads the connection's log, which the next request's
    # request_started clears.
    plaza_queries = len(queries.captured_queries)
    sorted_ms, plain_ms = [], []
    for _ in range(args.requests):
        sorted_ms.append(timed(lambda: client.get(url)) * 1000)
        plain_ms.append(timed(lambda: client.get(plain)) * 1000)
    _emit(
        {
            "tasks": Task.objects.count(),
            "orders": Order.objects.count(),
            "creators_measured": measured,
            "baseline_seconds": base,
            "recompute_seconds": recompute,
            "recompute_workers": workers,
            "recompute_one_connection_seconds": recompute_one,
            "recompute_rss_growth_mb": rss_after - rss_before,
            "plaza_status": status,
            "plaza_queries": plaza_queries,
            "plaza_sorted_ms": sorted_ms,
            "plaza_plain_ms": plain_ms,
        }
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.child")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("personas")
    sub.add_parser("queries")
    p = sub.add_parser("todos")
    p.add_argument("--sample", type=int, default=100)
    p = sub.add_parser("scorecards")
    p.add_argument("--requests", type=int, default=200)
    p = sub.add_parser("explain")
    p.add_argument("--top", type=int, default=3)
    args = parser.parse_args(argv)
    _setup()
    commands = {
        "personas": cmd_personas,
        "queries": cmd_queries,
        "todos": cmd_todos,
        "explain": cmd_explain,
        "scorecards": cmd_scorecards,
    }
    commands[args.what](args)


if __name__ == "__main__":
    main()
