"""Every order id the import accepts works in every 资金账户 page, link and CSV (issue 14, defect 4).

An id containing ``/`` used to break the pending tab, then (after settlement)
the default tab, for everyone on the order (``NoReverseMatch`` on
``fund_order``, pattern ``[^/]+``), and the order's own page could never open.
Ids that a browser would rewrite (``.``, ``..``), or that carry URL syntax
(``?``, ``#``, ``%``) go through the same converter. Ids with control
characters or over 64 characters are refused with the line's reason.
"""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import unquote

import pytest
from django.urls import resolve, reverse

from settlement.services.events import ingest_objects
from settlement.services.settle import settle_through
from tests.settlement.factories import confirmed, paid, refunded

pytestmark = pytest.mark.django_db

IDS = [
    "T/1",
    "a/../b",
    "..",
    ".",
    "x?y=1#z",
    "100%",
    "%2F",
    "~7e",
    "订单/一号",
    "back\\slash",
    "with space",
    "/lead",
    "trail/",
    "A" * 64,
]
PAID = "2026-11-01T20:15:00+08:00"


def _links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/funds/orders/[^"]+)"', page)]


def _id_of(url: str) -> str:
    """The order id a request for ``url`` reaches (the server decodes the path first)."""
    return resolve(unquote(url)).kwargs["order_id"]


@pytest.fixture
def unconfirmed(merchant, creator):
    events = [paid(i, merchant, creator, "99.99", "0.15", PAID) for i in IDS]
    assert ingest_objects(events).rejected == 0


@pytest.mark.parametrize("order_id", IDS)
def test_the_converter_round_trips_every_id(order_id):
    url = reverse("settlement:fund_order", args=[order_id])
    assert url.startswith("/funds/orders/") and url.count("/") == 4, url
    assert _id_of(url) == order_id


def test_the_pending_tab_links_every_order(client_for, merchant, creator, unconfirmed):
    for user in (merchant, creator):
        c = client_for(user)
        response = c.get("/funds/", {"tab": "pending", "date_from": "2026-11-01"})
        assert response.status_code == 200
        links = _links(response.content.decode())
        assert sorted(_id_of(u) for u in set(links)) == sorted(IDS)
        for url in set(links):
            page = c.get(url)
            assert page.status_code == 200, url
            assert html.escape(_id_of(url)) in page.content.decode()


def test_settled_clawed_back_and_exported_ids_work(client_for, merchant, creator, unconfirmed):
    ingest_objects([confirmed(i, "2026-11-02T09:00:00+08:00") for i in IDS])
    settle_through(business_date=date(2026, 11, 2))
    ingest_objects([refunded(i, "10.00", "2026-11-03T09:00:00+08:00") for i in IDS])
    settle_through(business_date=date(2026, 11, 3))
    period = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    for user in (merchant, creator):
        c = client_for(user)
        for tab in ("settled", "clawbacks", "statement"):
            response = c.get("/funds/", {**period, "tab": tab})
            assert response.status_code == 200, tab
            links = set(_links(response.content.decode()))
            assert {_id_of(u) for u in links} == set(IDS), tab
            assert all(c.get(u).status_code == 200 for u in links)
        csv = b"".join(c.get("/funds/export.csv", period).streaming_content).decode("utf-8-sig")
        for order_id in IDS:
            assert order_id in csv


@pytest.mark.parametrize(
    ("order_id", "reason"),
    [
        ("A" * 65, "超过 64 个字符"),
        ("T\x001", "非法字符"),
        ("T\n1", "非法字符"),
        ("T\x1b[31m", "非法字符"),
        ("T\x7f", "非法字符"),
        ("T\u0085X", "非法字符"),
    ],
)
def test_ids_with_control_characters_or_too_long_are_refused(merchant, creator, order_id, reason):
    tally = ingest_objects([paid(order_id, merchant, creator, "10.00", "0.20", PAID)])
    assert tally.rejected == 1
    assert reason in tally.outcomes[0].reason
    assert tally.outcomes[0].line == 1
