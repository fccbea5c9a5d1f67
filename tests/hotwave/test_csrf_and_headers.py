"""CSRF on every POST (htmx too) and the security headers on every page (issue #8, item 10).

Both are generated from the access matrix's URL list (``tests/access``), so a
new URL is covered as soon as it has its matrix entry:

* every URL that accepts POST, posted by one of its insiders with
  ``enforce_csrf_checks`` and no token — as a plain form and as an htmx request
  — is refused with 403 and writes nothing; only the signed events API is
  exempt (it has no cookies; its HMAC signature is the proof of origin);
* an htmx POST carrying the token in ``X-CSRFToken`` (what ``hx-headers`` on
  ``<body>`` sends) passes CSRF;
* every HTML page a persona can open (GET, as an insider) carries the CSP with
  ``script-src 'self'`` and no ``unsafe-inline``, has no inline ``<script>``,
  and sends frame protection, Referrer-Policy and nosniff.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.access.test_access_matrix import ROUTES, url_names
from tests.access.world import build_world

pytestmark = pytest.mark.django_db
CSRF_EXEMPT = {"settlement:events"}  # signed with HMAC, no session: see settlement/api.py
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _insider(route) -> str:
    return "anonymous" if route.public and not route.insiders else sorted(route.insiders)[0]


def _client(w, persona: str) -> Client:
    c = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if persona != "anonymous":
        c.force_login(w.users[persona])
    return c


def _row_count() -> int:
    ours = ("admission", "settlement", "cooperation", "workbench")
    return sum(m.objects.count() for m in apps.get_models() if m._meta.app_label in ours)


def test_every_post_without_a_token_is_refused_plain_and_htmx():
    w = build_world()
    before = _row_count()
    tried, failures = 0, []
    for name in url_names():
        route = ROUTES[name]
        if "POST" not in route.methods or name in CSRF_EXEMPT:
            continue
        persona = _insider(route)
        url = reverse(name, kwargs=route.kwargs(w) or None)
        data = route.post_data(w) if route.post_data else {}
        for htmx in (False, True):
            c = _client(w, persona)
            headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            with transaction.atomic():
                response = c.post(url, data, **headers)
                transaction.set_rollback(True)
            tried += 1
            if response.status_code != 403:
                failures.append(f"{name} as {persona} (htmx={htmx}): {response.status_code}")
    assert not failures, "\n".join(failures)
    assert _row_count() == before
    assert tried >= 2 * 20, tried  # every POST URL, twice
    print(f"CSRF: {tried} token-less POSTs ({tried // 2} URLs, plain and htmx), all 403")


def test_the_events_api_is_the_only_csrf_exempt_post():
    c = Client(enforce_csrf_checks=True)
    assert (
        c.post(reverse("settlement:events"), b"[]", content_type="application/json").status_code
        == 401
    )


def test_an_htmx_post_with_the_token_header_passes_csrf():
    w = build_world()
    c = _client(w, "creator_in")
    page = c.get(reverse("workbench:home"))
    token = page.context["csrf_token"]
    body = page.content.decode()
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in body  # what htmx sends
    url = reverse("cooperation:task_decline", kwargs={"pk": w.task.pk})
    with transaction.atomic():
        refused = c.post(url, {}, HTTP_HX_REQUEST="true")
        passed = c.post(url, {}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=str(token))
        transaction.set_rollback(True)
    assert refused.status_code == 403
    assert passed.status_code != 403 and passed.status_code < 500


def test_every_html_page_sends_the_security_headers_and_no_inline_script():
    w = build_world()
    pages, failures = 0, []
    for name in url_names():
        route = ROUTES[name]
        if "GET" not in route.methods:
            continue
        persona = _insider(route)
        c = Client(raise_request_exception=False)
        if persona != "anonymous":
            c.force_login(w.users[persona])
        url = reverse(name, kwargs=route.kwargs(w) or None)
        for htmx in (False, True):
            response = c.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            csp = response.get("Content-Security-Policy", "")
            problems = []
            if "script-src 'self'" not in csp or "unsafe-inline" in csp:
                problems.append(f"CSP {csp!r}")
            if "frame-ancestors 'none'" not in csp or response.get("X-Frame-Options") != "DENY":
                problems.append("frame protection")
            if response.get("Referrer-Policy") != "same-origin":
                problems.append("Referrer-Policy")
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append("nosniff")
            if INLINE_SCRIPT.search(response.content.decode()):
                problems.append("inline <script>")
            if problems:
                failures.append(f"{name} as {persona} (htmx={htmx}): {', '.join(problems)}")
    assert not failures, "\n".join(failures)
    assert pages >= 40, pages
    print(f"headers: {pages} HTML responses (full pages and htmx partials) checked")
