"""The access matrix (issue #8, item 9): every URL × every persona × GET/POST.

Generated from ``django.urls.get_resolver()``: a URL name that is not in ``ROUTES``
fails ``test_every_url_has_an_entry`` with its name, so a new page cannot ship
without saying who may see it.

Expected answers:

* anonymous → 302 to ``/accounts/login/`` (public pages: login 200, healthz 200;
  the signed events API: 401 without a signature);
* a persona that is not an insider of the URL (someone else's object, or a page of
  another role) → 404; a method the view never accepts → 405 for everybody;
* an insider → never 404, never 5xx: 2xx/3xx, or 400/405/409/422 for a POST
  without valid data.

Speed: one test per persona × method builds the world once (factories and
services, ~0.3 s) and iterates over every URL inside; each POST runs in
``transaction.atomic()`` + ``set_rollback(True)`` so it cannot change what the
next request sees. The whole matrix takes a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.world import build_world

PERSONAS = (
    "merchant",  # owner of the product, the task and the order
    "other_merchant",  # a Tmall shop with nothing in common with the world
    "creator_in",  # the creator in the task (bound to ``agency``, party to the order)
    "creator_out",  # an admitted creator in nothing
    "agency",  # bound to creator_in; the order's agency
    "other_agency",
    "provider",  # TP provider (the only role that requests an assessment)
    "operator",  # staff
    "anonymous",
)
MERCHANTS = {"merchant", "other_merchant"}
CREATORS = {"creator_in", "creator_out"}
AGENCIES = {"agency", "other_agency"}
PARTIES = MERCHANTS | CREATORS | AGENCIES | {"provider"}
LOGGED_IN = PARTIES | {"operator"}

SKIPPED_PREFIXES = ("admin:",)
SKIPPED_NAMES = {"set_language"}


@dataclass(frozen=True)
class Route:
    """How to reach a URL and who may."""

    kwargs: object  # callable(world) -> dict
    insiders: frozenset[str]
    methods: frozenset[str] = frozenset({"GET", "POST"})  # what the view accepts
    public: bool = False  # anonymous is answered too (login, healthz)
    post_data: object = None  # callable(world) -> dict for a meaningful POST


def _none(w):
    return {}


def R(kwargs=_none, insiders=(), methods=("GET", "POST"), **kw) -> Route:
    return Route(kwargs, frozenset(insiders), frozenset(methods), **kw)


GET = ("GET",)
POST = ("POST",)

ROUTES: dict[str, Route] = {
    # project
    "login": R(insiders=LOGGED_IN, public=True),
    "logout": R(insiders=LOGGED_IN, methods=POST),
    "password_change": R(insiders=LOGGED_IN),
    "password_change_done": R(insiders=LOGGED_IN),
    # 忘记密码: public, before login (a logged-in user may use it too).
    "password_reset": R(insiders=LOGGED_IN, public=True),
    "password_reset_done": R(insiders=LOGGED_IN, methods=GET, public=True),
    "password_reset_confirm": R(
        lambda w: {"uidb64": "MQ", "token": "spent-token"}, LOGGED_IN, public=True
    ),
    "password_reset_complete": R(insiders=LOGGED_IN, methods=GET, public=True),
    "healthz": R(insiders=LOGGED_IN, public=True),
    # Uploaded product images: public and cacheable (no private data), GET/HEAD only.
    "media": R(lambda w: {"path": w.image.thumb.name}, LOGGED_IN, GET, public=True),
    # workbench
    "workbench:home": R(insiders=LOGGED_IN, methods=GET),
    "workbench:todos": R(insiders=LOGGED_IN, methods=GET),
    "workbench:help_index": R(insiders=LOGGED_IN, methods=GET),
    "workbench:help_article": R(lambda w: {"slug": w.article.slug}, LOGGED_IN, GET),
    "workbench:case_index": R(insiders=LOGGED_IN, methods=GET),
    "workbench:case_detail": R(lambda w: {"slug": w.case.slug}, LOGGED_IN, GET),
    # admission
    "admission:center": R(insiders=PARTIES, methods=GET),
    "admission:agreement_sign": R(insiders=PARTIES, methods=POST),
    "admission:operating_designate": R(insiders={"other_merchant"}, methods=POST),
    "admission:operating_decide": R(
        lambda w: {"pk": w.operating_request.pk, "decision": "accept"}, {"merchant"}
    ),
    "admission:assessment_request": R(insiders={"provider"}, methods=POST),
    "admission:product_permission_request": R(
        lambda w: {"pk": w.restricted.pk}, {"merchant"}, POST
    ),
    # settlement
    "settlement:events": R(insiders=(), methods=POST, public=True),
    "settlement:binding_list": R(insiders=CREATORS | AGENCIES, methods=GET),
    "settlement:binding_invite": R(insiders=AGENCIES, methods=POST),
    **{
        f"settlement:binding_{name}": R(
            lambda w: {"pk": w.binding.pk}, {"creator_in", "agency"}, methods
        )
        for name, methods in (
            ("detail", GET),
            ("accept", POST),
            ("decline", ("GET", "POST")),
            ("withdraw", ("GET", "POST")),
            ("end", ("GET", "POST")),
        )
    },
    # Proposing a new share is the agency's act: the creator gets a 404 (role check).
    "settlement:binding_share": R(lambda w: {"pk": w.binding.pk}, {"agency"}, POST),
    "settlement:fund_account": R(
        insiders=MERCHANTS | CREATORS | AGENCIES | {"provider"}, methods=GET
    ),
    "settlement:fund_export": R(insiders=MERCHANTS | CREATORS | AGENCIES, methods=GET),
    # 对账单: the party's own monthly statement (the URL names no party)
    "settlement:fund_statement": R(insiders=MERCHANTS | CREATORS | AGENCIES, methods=GET),
    "settlement:fund_statement_export": R(insiders=MERCHANTS | CREATORS | AGENCIES, methods=GET),
    "settlement:fund_order": R(
        lambda w: {"order_id": w.order.order_id}, {"merchant", "creator_in", "agency"}, GET
    ),
    # 收款账户: the parties that are paid out (creators and agencies), their own only
    "settlement:payout_account": R(insiders=CREATORS | AGENCIES),
    # 充值与可用资金: merchants only (their own funds; a POST tops up)
    "settlement:top_up": R(insiders=MERCHANTS),
    # cooperation: products (merchants, their own)
    "cooperation:product_list": R(insiders=MERCHANTS),
    "cooperation:product_create": R(insiders=MERCHANTS),
    "cooperation:product_edit": R(lambda w: {"pk": w.product.pk}, {"merchant"}),
    "cooperation:product_archive": R(lambda w: {"pk": w.product.pk}, {"merchant"}),
    "cooperation:product_unarchive": R(lambda w: {"pk": w.product.pk}, {"merchant"}, POST),
    "cooperation:product_images": R(lambda w: {"pk": w.product.pk}, {"merchant"}),
    "cooperation:product_image_move": R(
        lambda w: {"pk": w.product.pk, "image_pk": w.image.pk}, {"merchant"}, POST
    ),
    "cooperation:product_image_remove": R(
        lambda w: {"pk": w.product.pk, "image_pk": w.image.pk}, {"merchant"}
    ),
    # 推广计划: merchants manage their own products' plans and applications
    "cooperation:product_plans": R(lambda w: {"pk": w.product.pk}, {"merchant"}),
    "cooperation:plan_rate": R(lambda w: {"pk": w.plan.pk}, {"merchant"}, POST),
    "cooperation:plan_end": R(lambda w: {"pk": w.plan.pk}, {"merchant"}),
    "cooperation:plan_creators": R(lambda w: {"pk": w.plan.pk}, {"merchant"}),
    "cooperation:plan_creator_remove": R(
        lambda w: {"pk": w.plan.pk, "application_pk": w.member.pk}, {"merchant"}
    ),
    "cooperation:application_list": R(insiders=MERCHANTS, methods=GET),
    "cooperation:application_decide": R(lambda w: {"pk": w.application.pk}, {"merchant"}, POST),
    # creators see any product's plans and apply to a 定向计划
    "cooperation:product_plans_for_creator": R(
        lambda w: {"product_pk": w.product.pk}, CREATORS, GET
    ),
    "cooperation:plan_apply": R(lambda w: {"pk": w.plan.pk}, CREATORS, POST),
    # 申样: merchants set their products' quotas and answer; creators ask
    "cooperation:product_samples": R(lambda w: {"pk": w.product.pk}, {"merchant"}),
    "cooperation:sample_list": R(insiders=MERCHANTS, methods=GET),
    "cooperation:sample_decide": R(lambda w: {"pk": w.sample.pk}, {"merchant"}, POST),
    "cooperation:sample_request": R(lambda w: {"product_pk": w.product.pk}, CREATORS, POST),
    # plaza and homepages (merchants; a creator may open its own homepage)
    "cooperation:plaza": R(insiders=MERCHANTS),
    "cooperation:creator_detail": R(lambda w: {"pk": w.creator_in.pk}, MERCHANTS | {"creator_in"}),
    "cooperation:task_create": R(lambda w: {"pk": w.creator_in.pk}, MERCHANTS),
    # hot products and cart (creators; any merchant's product)
    "cooperation:hot_products": R(insiders=CREATORS),
    "cooperation:cart": R(insiders=CREATORS),
    "cooperation:cart_add": R(lambda w: {"product_pk": w.product.pk}, CREATORS, POST),
    "cooperation:cart_remove": R(lambda w: {"product_pk": w.product.pk}, CREATORS),
    # tasks (the two parties of the task)
    "cooperation:task_list": R(insiders=MERCHANTS | CREATORS, methods=GET),
    "cooperation:task_detail": R(lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, GET),
    # GET on an irreversible action is its confirmation (hotwave/confirm.py).
    **{
        f"cooperation:task_{slug}": R(
            lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, methods
        )
        for slug, methods in (
            ("accept", ("GET", "POST")),
            ("decline", ("GET", "POST")),
            ("cancel", ("GET", "POST")),
            ("ship", POST),
            ("receive", ("GET", "POST")),
            ("report_live", POST),
            ("confirm", ("GET", "POST")),
            ("cancel_late_shipping", ("GET", "POST")),
            ("cancel_late_live", ("GET", "POST")),
            ("dispute", ("GET", "POST")),
            # 议价: the creator's form (POST), the merchant's answers (asked first).
            ("counter", POST),
            ("accept_counter", ("GET", "POST")),
            ("decline_counter", ("GET", "POST")),
        )
    },
    "cooperation:task_dispute_answer": R(
        lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, POST
    ),
    "cooperation:task_results": R(lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, GET),
    # 评价 (the task's two parties; the world's task is not completed: 400 with a message)
    "cooperation:task_rate": R(lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, POST),
    "cooperation:task_rate_edit": R(lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, POST),
    # 商家主页: creators and agencies, and the merchant itself; other merchants 404
    "cooperation:merchant_detail": R(
        lambda w: {"pk": w.users["merchant"].pk}, CREATORS | AGENCIES | {"merchant"}, GET
    ),
    "cooperation:scorecard_help": R(insiders=LOGGED_IN, methods=GET),
    "cooperation:agency_roster": R(insiders=AGENCIES, methods=GET),
    # 通知: everyone signed in has a center; a notification is its recipient's only
    "notifications:center": R(insiders=LOGGED_IN, methods=GET),
    "notifications:badge": R(insiders=LOGGED_IN, methods=GET),
    "notifications:read_all": R(insiders=LOGGED_IN, methods=POST),
    "notifications:preferences": R(insiders=LOGGED_IN),
    "notifications:open": R(lambda w: {"pk": w.notification.pk}, {"merchant"}, GET),
    "notifications:read": R(lambda w: {"pk": w.notification.pk}, {"merchant"}, POST),
    # 消息: the task's two parties; the agency creator_in is bound to reads (a send is 422)
    "conversations:inbox": R(insiders=LOGGED_IN, methods=GET),
    "conversations:badge": R(insiders=LOGGED_IN, methods=GET),
    "conversations:thread": R(
        lambda w: {"pk": w.thread.pk}, {"merchant", "creator_in", "agency"}, GET
    ),
    "conversations:send": R(
        lambda w: {"pk": w.thread.pk}, {"merchant", "creator_in", "agency"}, POST
    ),
    "conversations:poll": R(
        lambda w: {"pk": w.thread.pk}, {"merchant", "creator_in", "agency"}, GET
    ),
    "conversations:image": R(
        lambda w: {"pk": w.thread.pk, "message_pk": w.image_message.pk},
        {"merchant", "creator_in", "agency"},
        GET,
    ),
    "conversations:task_thread": R(lambda w: {"pk": w.task.pk}, {"merchant", "creator_in"}, GET),
    "conversations:direct": R(lambda w: {"pk": w.creator_in.pk}, MERCHANTS, POST),
    # a binding invitation's thread: its agency and its creator (merchants 404 too)
    "conversations:binding_thread": R(
        lambda w: {"pk": w.binding.pk}, {"creator_in", "agency"}, GET
    ),
    # reports: the thread's readers reach the form (the agency's report is a 422: not a party);
    # mute/block: only the thread's creator; the list and its lifts: creators, their own rows
    "conversations:report": R(
        lambda w: {"pk": w.thread.pk}, {"merchant", "creator_in", "agency"}, POST
    ),
    "conversations:restrict": R(lambda w: {"pk": w.thread.pk}, {"creator_in"}, POST),
    "conversations:restrictions": R(insiders=CREATORS, methods=GET),
    "conversations:lift": R(lambda w: {"pk": w.restriction.pk}, {"creator_in"}, POST),
}

# Insiders may get these for a POST without (valid) data; never 404 or 5xx.
INSIDER_OK = {200, 201, 204, 301, 302, 303, 400, 405, 409, 413, 422}


# --- enumerating the resolver ------------------------------------------------------------


def _walk(patterns, ns=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = p.namespace
            yield from _walk(p.url_patterns, f"{ns}:{inner}" if ns and inner else inner or ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}:{p.name}" if ns else p.name


def url_names() -> list[str]:
    names = []
    for name in _walk(get_resolver().url_patterns):
        if name.startswith(SKIPPED_PREFIXES) or name in SKIPPED_NAMES:
            continue
        if name not in names:
            names.append(name)
    return names


def test_every_url_has_an_entry():
    missing = [n for n in url_names() if n not in ROUTES]
    assert not missing, f"URLs without an access-matrix entry: {missing}"
    stale = [n for n in ROUTES if n not in url_names()]
    assert not stale, f"access-matrix entries for URLs that no longer exist: {stale}"


# --- the matrix -------------------------------------------------------------------------------


def expected(name: str, route: Route, persona: str, method: str) -> set[int] | str:
    """The set of acceptable status codes, or "login" for a redirect to the login page."""
    if persona == "anonymous":
        if name == "settlement:events":
            return {401} if method == "POST" else {405}
        if route.public:
            if method not in route.methods:
                return {405}
            return {200}
        return "login"
    if name == "settlement:events":
        return {401} if method == "POST" else {405}
    if method not in route.methods:
        return {405}
    if persona in route.insiders:
        return INSIDER_OK
    return {404}


def _as_expected(response, want, route: Route, persona: str, method: str) -> bool:
    """The answer is one of ``want``; an insider is never answered with a 404."""
    got = response.status_code
    if want == "login":
        return got == 302 and response["Location"].startswith(reverse("login"))
    if persona in route.insiders and method in route.methods and got == 404:
        return False
    return got in want and got < 500


def _request(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    with transaction.atomic():
        response = client.post(url, {})
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(persona, method):
    w = build_world()
    client = Client(raise_request_exception=False)
    user = w.users.get(persona)
    if user is not None:
        client.force_login(user)
    failures, seen = [], []
    for name in url_names():
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(w) or None)
        response = _request(client, method, url)
        want = expected(name, route, persona, method)
        got = response.status_code
        seen.append((name, got))
        if not _as_expected(response, want, route, persona, method):
            where = response.get("Location", "")
            failures.append(f"{method} {name} {url} as {persona}: {got} {where} (want {want})")
        if name == "logout" and user is not None:
            client.force_login(user)  # the logout POST ended the session
    assert not failures, "\n".join(failures)
    assert len(seen) == len(ROUTES)


# The thread pages again, on the binding thread: only its agency and its creator read and
# write it; merchants (the task thread's included), other agencies and creators get a 404.
# Mute and block are about a merchant: a 404 on a binding thread, its creator included.
BINDING_THREAD_ROUTES = {
    "conversations:thread": R(lambda w: {"pk": w.binding_thread.pk}, {"creator_in", "agency"}, GET),
    "conversations:send": R(lambda w: {"pk": w.binding_thread.pk}, {"creator_in", "agency"}, POST),
    "conversations:poll": R(lambda w: {"pk": w.binding_thread.pk}, {"creator_in", "agency"}, GET),
    "conversations:report": R(
        lambda w: {"pk": w.binding_thread.pk}, {"creator_in", "agency"}, POST
    ),
    "conversations:restrict": R(lambda w: {"pk": w.binding_thread.pk}, (), POST),
}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_binding_thread_access(persona, method):
    w = build_world()
    client = Client(raise_request_exception=False)
    user = w.users.get(persona)
    if user is not None:
        client.force_login(user)
    failures = []
    for name, route in BINDING_THREAD_ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w))
        response = _request(client, method, url)
        want = expected(name, route, persona, method)
        got = response.status_code
        if not _as_expected(response, want, route, persona, method):
            failures.append(f"{method} {name} {url} as {persona}: {got} (want {want})")
    assert not failures, "\n".join(failures)
