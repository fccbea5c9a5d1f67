"""POST /api/events/: signature, size limit, per-event results, replay."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from settlement.api import sign
from settlement.models import Order, OrderEvent
from tests.settlement.factories import confirmed, paid

URL = "/api/events/"
T = "2026-10-05T20:15:00+08:00"


def post(client, body: bytes, signature: str | None = "auto"):
    headers = {}
    if signature == "auto":
        signature = sign(body)
    if signature is not None:
        headers["HTTP_X_HOTWAVE_SIGNATURE"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def body(merchant, creator):
    return json.dumps(
        [
            paid("T1", merchant, creator, "100.00", "0.20", T),
            confirmed("T1", "2026-10-06T10:00:00+08:00"),
            confirmed("NOPE", T),
        ]
    ).encode()


def test_url_name():
    assert reverse("settlement:events") == URL


def test_signed_request_applies_and_answers_per_event(anonymous, body):
    response = post(anonymous, body)
    assert response.status_code == 200
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (2, 0, 1)
    assert [r["status"] for r in data["results"]] == ["accepted", "accepted", "rejected"]
    assert data["results"][2]["line"] == 3
    assert data["results"][2]["code"] == "unknown_order"
    assert "NOPE" in data["results"][2]["reason"]
    assert Order.objects.get().status == "confirmed"


def test_replayed_body_is_harmless(anonymous, body):
    post(anonymous, body)
    data = post(anonymous, body).json()
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (0, 2, 1)
    assert OrderEvent.objects.count() == 2


@pytest.mark.parametrize(
    "signature",
    [None, "", "00" * 32, "not-hex", sign(b"other body")],
    ids=["missing", "empty", "zeros", "garbage", "other-body"],
)
def test_unsigned_or_wrongly_signed_is_401_and_stores_nothing(anonymous, body, signature):
    response = post(anonymous, body, signature=signature)
    assert response.status_code == 401
    assert not Order.objects.exists() and not OrderEvent.objects.exists()


def test_signed_with_another_secret_is_401(anonymous, body):
    assert post(anonymous, body, signature=sign(body, "wrong-secret")).status_code == 401
    assert not Order.objects.exists()


def test_uppercase_hex_signature_is_accepted(anonymous, body):
    assert post(anonymous, body, signature=sign(body).upper()).status_code == 200


def test_body_over_limit_is_413(anonymous, settings, body):
    settings.HOTWAVE_EVENTS_MAX_BYTES = len(body) - 1
    response = post(anonymous, body)
    assert response.status_code == 413
    assert not Order.objects.exists()


def test_body_at_limit_is_accepted(anonymous, settings, body):
    settings.HOTWAVE_EVENTS_MAX_BYTES = len(body)
    assert post(anonymous, body).status_code == 200


@pytest.mark.parametrize(("raw", "code"), [(b"{not json", "bad_json"), (b'{"a": 1}', "not_array")])
def test_signed_but_not_an_array_is_400(anonymous, raw, code):
    response = post(anonymous, raw)
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_get_is_405(anonymous):
    assert anonymous.get(URL).status_code == 405


def test_no_csrf_or_login_needed(db, body):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert post(client, body).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'[{"type": "order.paid", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}]",
        b'[{"type": "order.paid", "x": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}]",
    ],
    ids=["array", "inside-an-event", "objects"],
)
def test_deeply_nested_json_is_a_400_and_stores_nothing(db, anonymous, raw):
    response = post(anonymous, raw)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_json"
    assert "nested" in response.json()["message"]
    assert OrderEvent.objects.count() == 0


@pytest.mark.parametrize("depth", [500, 900, 990])
def test_an_event_with_a_deep_but_parsable_value_is_answered(anonymous, merchant, creator, depth):
    event = paid("T9", merchant, creator, "10.00", "0.20", T)
    raw = json.dumps([event])[:-2] + ', "x": ' + "[" * depth + "]" * depth + "}]"
    response = post(anonymous, raw.encode())
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["accepted"] + response.json()["rejected"] == 1
