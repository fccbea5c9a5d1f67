"""The import's fast paths decide exactly as the general ones (issue 4, import speed).

* ``parse_event``'s fast helpers against the original per-field helpers, on valid
  and every kind of bad value: same Parsed fields, or the same reason and code;
* ``decode_lines`` with orjson against json alone, on awkward lines;
* the file path (parsing in a background thread, COPY writes on Postgres) against
  the plain ``ingest`` loop on the same mixed stream: bad lines, duplicates,
  contradictions, refunds, binding events between chunks — same outcomes in the
  same order, same orders and events stored.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext as _

from settlement.models import MAX_RATE, MIN_RATE, Binding, EventType, Order, OrderEvent
from settlement.services import events as ev
from settlement.services.events import parse as ev_parse
from settlement.services.events import pipeline as ev_pipeline
from settlement.services.events import write as ev_write
from tests.settlement.factories import confirmed, ended, paid, refunded, started

T = "2026-10-05T20:15:00+08:00"


# --- parse_event: fast helpers == original helpers ------------------------------------


def _reference_parse(line, obj, raw=None):
    """``parse_event`` as it was, built only from the general helpers."""
    if not isinstance(obj, dict):
        raise ev.Reject(_("事件必须是 JSON 对象"), "not_object")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in ev_parse.EVENT_TYPES:
        raise ev.Reject(_("未知的事件类型：%(t)s") % {"t": str(kind)[:40]}, "unknown_type")
    at = ev_parse.time_field(obj)
    iso = at.isoformat()
    p = ev.Parsed(line=line, type=kind, key="", at=at, payload=obj, raw=raw)
    if kind == EventType.ORDER_PAID:
        p.order_id = ev_parse.text_field(obj, "order_id")
        p.merchant = ev_parse.text_field(obj, "merchant", max_length=150)
        p.creator = ev_parse.text_field(obj, "creator", max_length=150)
        p.product = ev_parse.text_field(obj, "product")
        p.amount = ev_parse.amount_field(obj)
        rate = ev_parse.decimal_field(obj, "service_fee_rate", places=4)
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ev.Reject(
                _("服务费率须在 1%% 到 80%% 之间：%(v)s") % {"v": obj["service_fee_rate"]},
                "bad_rate",
            )
        p.rate = rate.quantize(Decimal("0.0001"))
        p.key = ev_parse.event_key(
            kind, p.order_id, p.merchant, p.creator, p.product, p.amount, p.rate, iso
        )
    elif kind == EventType.ORDER_CONFIRMED:
        p.order_id = ev_parse.text_field(obj, "order_id")
        p.key = ev_parse.event_key(kind, p.order_id, iso)
    elif kind == EventType.ORDER_REFUNDED:
        p.order_id = ev_parse.text_field(obj, "order_id")
        p.amount = ev_parse.amount_field(obj)
        p.key = ev_parse.event_key(kind, p.order_id, p.amount, iso)
    elif kind == EventType.BINDING_STARTED:
        p.creator = ev_parse.text_field(obj, "creator", max_length=150)
        p.agency = ev_parse.text_field(obj, "agency", max_length=150)
        share = ev_parse.decimal_field(obj, "agency_share", places=4)
        if not Decimal("0") <= share <= Decimal("1"):
            raise ev.Reject(
                _("机构分成比例须在 0 到 1 之间：%(v)s") % {"v": obj["agency_share"]}, "bad_share"
            )
        p.share = share.quantize(Decimal("0.0001"))
        p.key = ev_parse.event_key(kind, p.creator, p.agency, p.share, iso)
    else:
        p.creator = ev_parse.text_field(obj, "creator", max_length=150)
        p.agency = ev_parse.text_field(obj, "agency", max_length=150)
        p.key = ev_parse.event_key(kind, p.creator, p.agency, iso)
    return p


def _outcome(fn, obj):
    try:
        p = fn(7, obj, "raw")
    except ev.Reject as r:
        return ("rejected", r.code, r.reason)
    fields = ("line", "type", "key", "at", "payload", "raw", "order_id", "merchant")
    fields += ("creator", "agency", "product", "amount", "rate", "share")
    return ("parsed", *[(f, repr(getattr(p, f))) for f in fields])


_DECIMALS = [
    "199.00", "0.01", "1", "1.", ".5", "+1.00", "+.5", " 12.30 ", "-0.00", "-0", "-5.00", "0",
    "0.00", "1.005", "1e3", "1E3", "abc", "", " ", ".", "+", "-", "++1", "1.2.3", "１００.00",
    "999999999999.99", "1000000000000", "1000000000000.00", "0" * 33, "0" * 31 + "1", "1_000",
    "0x10", "NaN", "Infinity", "-Infinity", "1 000", "\u0661", 199.0, 0.2, 1, 0, None, True,
    [], {}, "0.2", "0.20", "0.2000", "0.80", "0.8001", "0.0099", "0.01", "0.125", "0.12345",
    "1.0000", "0.00001", "00.30", "0.3\x00",
]  # fmt: skip
_TEXTS = [
    "T1", " T1 ", "", "   ", None, 5, ["x"], "x" * 64, "x" * 65, "y" * 150, "y" * 151,
    "nul\x00", 'quo"te', "back\\slash", "tab\there", "new\nline", "中文订单", "\u2028", "\x7f",
    "\x1f", "a\r", "\ufeffT",
]  # fmt: skip
_ATS = [
    T, "2026-10-05T12:15:00Z", "2026-10-05T12:15:00+00:00", " 2026-10-05T20:15:00+08:00 ",
    "2026-10-05T20:15:00.123456+08:00", "2026-10-05 20:15:00+0800", "2026-10-05T20:15:00",
    "2026-10-05", "yesterday", "", 20261005, None, "2026-13-05T20:15:00+08:00",
    "2026-10-05T20:15:00-05:30", "0001-01-01T00:00:00-08:00",
]  # fmt: skip


def _corpus():
    base_paid = paid("T1", "alice_shop", "carol", "199.00", "0.20", T)
    yield base_paid
    for field, values in [
        ("amount", _DECIMALS),
        ("service_fee_rate", _DECIMALS),
        ("order_id", _TEXTS),
        ("merchant", _TEXTS),
        ("creator", _TEXTS),
        ("product", _TEXTS),
        ("at", _ATS),
        ("type", ["order.shipped", None, 3, "ORDER.PAID", " order.paid", "order.paid"]),
    ]:
        for value in values:
            yield base_paid | {field: value}
        yield {k: v for k, v in base_paid.items() if k != field}
    for value in _DECIMALS:
        yield refunded("T1", value, T)
    for value in _TEXTS:
        yield confirmed(value, T)
        yield refunded(value, "1.00", T)
    for value in _ATS:
        yield confirmed("T1", value)
    for value in _DECIMALS:
        yield started("gina", "erin_mcn", value, T)
    for value in _TEXTS:
        yield started(value, "erin_mcn", "0.30", T)
        yield ended("gina", value, T)
    yield from ([1, 2], "x", None, 3, {})


def test_fast_parse_decides_exactly_as_the_general_helpers():
    corpus = list(_corpus())
    assert len(corpus) > 400
    for obj in corpus:
        assert _outcome(ev.parse_event, obj) == _outcome(_reference_parse, obj), obj


def test_fast_parse_on_random_valid_events_gives_the_same_keys():
    rng = random.Random(4)
    for i in range(2000):
        amount = f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}"
        rate = f"0.{rng.randint(1, 80):02d}"
        when = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}"
        when += f":{rng.randint(0, 59):02d}:00{rng.choice(['+08:00', 'Z', '-03:30'])}"
        for obj in (
            paid(f"O{i}", f"m{i % 7}", f"c{i % 13}", amount, rate, when, f"SKU-{i}"),
            refunded(f"O{i}", amount, when),
            confirmed(f"O{i}", when),
        ):
            assert _outcome(ev.parse_event, obj) == _outcome(_reference_parse, obj)


# --- decode_lines: orjson == json ----------------------------------------------------

_LINES = [
    b'{"type": "order.confirmed", "order_id": "T1", "at": "2026-10-05T20:15:00+08:00"}\n',
    b'{"type":"order.confirmed","order_id":"T1","at":"x"}\r\n',
    b'\t{ "a" :\t1 }\t\n',
    b"\n",
    b"   \n",
    b"\r\n",
    "\u3000\n".encode(),
    b"\x1c\n",
    b"\x0c{}\n",
    b"{}\x0b\n",
    b"\xef\xbb\xbf{}\n",  # a BOM
    b'{"a": "\xff"}\n',  # not UTF-8
    b'{"a": NaN, "b": Infinity, "c": -Infinity}\n',
    b'{"a": 123456789012345678901234567890}\n',
    b'{"a": -9223372036854775809, "b": 18446744073709551616}\n',
    b'{"a": 1e400, "b": -0.0, "c": 0.1, "d": 1E2, "e": 5e-324}\n',
    b'{"a": 1, "a": 2}\n',
    b'{"a": "\\ud800"}\n',
    b'{"a": "\\u0000 nul"}\n',
    b'{"a": "\\u4e2d\\n\\t\\\\"}\n',
    '{"a": "中文"}\n'.encode(),
    b"[1, 2]\n",
    b'"just a string"\n',
    b"3\n",
    b"null\n",
    b"{not json\n",
    b"{}{}\n",
    b"{} x\n",
    b'{"a": 1,}\n',
    b"[" * 500 + b"]" * 500 + b"\n",
    b"",
    b'{"type": "order.paid"}',  # the last line without a newline
]


def _decoded(lines):
    out = []
    for item in ev.decode_lines(lines):
        number, obj, *raw = item
        if isinstance(obj, ev.Reject):
            out.append((number, "reject", obj.reason, obj.code))
        else:
            out.append((number, repr(obj), raw))
    return out


def test_decode_lines_with_orjson_is_json(monkeypatch):
    pytest.importorskip("orjson")
    fast = _decoded(_LINES)
    monkeypatch.setattr(ev_parse, "orjson", None)
    assert fast == _decoded(_LINES)
    assert fast == _decoded([line.decode("utf-8", errors="replace") for line in _LINES])


def test_decode_lines_rejects_a_line_nested_too_deeply(monkeypatch):
    deep = [b"[" * 100_000 + b"]" * 100_000 + b"\n", b'{"a": 1}\n']
    for _orjson in ("orjson", None):
        if _orjson is None:
            monkeypatch.setattr(ev_parse, "orjson", None)
        (first, reject), (second, obj, _raw) = list(ev.decode_lines(deep))
        assert (first, second, obj) == (1, 2, {"a": 1})
        assert isinstance(reject, ev.Reject) and reject.code == "bad_json"


class Exploding(bytes):
    """A line whose decoding fails unexpectedly (as a broken reader would)."""

    def decode(self, *args, **kwargs):
        raise RuntimeError("reader failed")


# --- The file path == the plain loop ----------------------------------------------------


def _stream(merchant, creator, other_creator, agency_creator, agency):
    """A mixed stream: valid lifecycles, bad lines, duplicates, contradictions, bindings."""
    m, c, c2, ac, ag = (
        u.username for u in (merchant, creator, other_creator, agency_creator, agency)
    )
    rng = random.Random(11)
    lines: list[object] = []
    for i in range(60):
        oid = f"F{i}"
        who = (c, c2, ac)[i % 3]
        day = 1 + i % 20
        lines.append(paid(oid, m, who, f"{10 + i}.00", "0.20", f"2026-10-{day:02d}T10:00:00+08:00"))
        if i % 4 == 0:
            lines.append(refunded(oid, "3.00", f"2026-10-{day:02d}T11:00:00+08:00"))
        if i % 5 == 0:
            lines.append(refunded(oid, "999.00", f"2026-10-{day:02d}T11:30:00+08:00"))
        if i % 2 == 0:
            lines.append(confirmed(oid, f"2026-10-{day:02d}T12:00:00+08:00"))
        if i % 6 == 0:  # a contradiction: confirmed again at another time
            lines.append(confirmed(oid, f"2026-10-{day:02d}T13:00:00+08:00"))
        if i % 7 == 0:  # an exact duplicate, written differently
            lines.append(paid(oid, m, who, f"{10 + i}.0", "0.2000", f"2026-10-{day:02d}T02:00:00Z"))
        if i % 9 == 0:  # a contradiction: paid again with other content
            lines.append(paid(oid, m, who, "1.00", "0.20", f"2026-10-{day:02d}T10:00:00+08:00"))
        if i == 0:
            lines.insert(0, started(ac, ag, "0.30", "2026-10-08T00:00:00+08:00"))
        if i == 30:
            lines.append(started(ac, ag, "0.30", "2026-10-08T00:00:00+08:00"))  # duplicate
            lines.append(started(c, ag, "0.30", "2026-10-01T00:00:00+08:00"))  # after orders
        if i == 40:
            lines.append(ended(ac, ag, "2026-10-25T00:00:00+08:00"))
        if rng.random() < 0.1:
            lines.append(rng.choice(["{not json", "", "[1, 2]", '{"type": "x"}', "   "]))
    lines += [
        confirmed("NOPE", T),
        refunded("NOPE", "1.00", T),
        paid("G1", "nobody", c, "1.00", "0.20", T),
        paid("G2", m, "nobody", "1.00", "0.20", T),
        paid("G3", m, c, "1.00", "0.90", T),
        paid("G4", m, c, "1.00", "0.20", "2026-10-05T20:15:00"),
        paid("G5", m, c, "10.00", "0.20", T) | {"note": "nul \u0000 here", "tab": "a\tb\\c"},
        confirmed("G5", "2026-10-01T00:00:00+08:00"),  # before payment
        paid("G6", m, c, "10.00", "0.20", T, product="tab\tand\\back"),
        paid("G\\7", m, c, "10.00", "0.20", T),
    ]
    return [x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines]


def _state():
    orders = sorted(
        Order.objects.values_list(
            "order_id", "merchant_id", "creator_id", "product_sku", "amount", "refunded",
            "service_fee_rate", "paid_at", "confirmed_at", "status", "rule", "binding__valid_from",
            "agency_id", "agency_share", "settled_refunded",
        )
    )  # fmt: skip
    events = sorted(
        (key, type_, order, binding is not None, amount, at, json.dumps(payload, sort_keys=True))
        for key, type_, order, binding, amount, at, payload in OrderEvent.objects.values_list(
            "key", "type", "order__order_id", "binding_id", "amount", "occurred_at", "payload"
        )
    )
    bindings = sorted(
        Binding.objects.values_list(
            "creator_id", "agency_id", "agency_share", "valid_from", "valid_to"
        )
    )
    return orders, events, bindings


class _Undo(Exception):
    pass


def _run_and_undo(run):
    """Run, capture outcomes and state, then roll everything back."""
    captured = {}
    try:
        with transaction.atomic():
            captured["outcomes"] = [(o.line, o.status, o.type, o.reason, o.code) for o in run()]
            captured["state"] = _state()
            raise _Undo
    except _Undo:
        pass
    return captured["outcomes"], captured["state"]


@pytest.mark.parametrize("chunk_size", [1, 4, 5000])
def test_file_path_equals_the_plain_loop(
    monkeypatch, merchant, creator, other_creator, agency_creator, agency, chunk_size
):
    lines = _stream(merchant, creator, other_creator, agency_creator, agency)
    data = [(line + "\n").encode() for line in lines]
    monkeypatch.setattr(ev_pipeline, "CHUNK_SIZE", chunk_size)

    def plain():
        # The plain loop, writing through bulk.insert_rows (psycopg adapts each value).
        with monkeypatch.context() as m:
            m.setattr(ev_write, "write_copy", ev_write.write_rows)
            items = ev.decode_lines(list(data))
            return list(ev.ingest(items, source="file", chunk_size=chunk_size))

    def threaded():
        seen = []
        tally = ev.ingest_file(list(data), on_rejected=seen.append)
        threaded.tally = tally
        return seen

    plain_outcomes, plain_state = _run_and_undo(plain)
    file_rejections, file_state = _run_and_undo(threaded)
    assert file_state == plain_state
    assert file_rejections == [o for o in plain_outcomes if o[1] == ev.REJECTED]
    tally = threaded.tally
    counts = {s: sum(1 for o in plain_outcomes if o[1] == s) for s in ("accepted", "duplicate")}
    assert (tally.accepted, tally.duplicates, tally.rejected) == (
        counts["accepted"],
        counts["duplicate"],
        len(file_rejections),
    )
    # The stream exercises every outcome.
    codes = {o[4] for o in plain_outcomes}
    assert {"bad_json", "contradiction", "refund_exceeds", "unknown_order"} <= codes
    assert {"unknown_party", "bad_rate", "bad_time"} <= codes
    assert tally.accepted > 100 and tally.duplicates >= 9
    assert len(plain_state[2]) == 1 and plain_state[2][0][4] is not None, "bound, then ended"
    assert {o[10] for o in plain_state[0]} == {"agency", "individual"}


def mixed_lines(merchant, creator, n: int) -> tuple[list[str], list[int]]:
    """``n`` payments with bad JSON and confirmations of unknown orders between them,
    and the numbers of the lines to be rejected."""
    lines = []
    for i in range(n):
        lines.append(json.dumps(paid(f"C{i}", merchant, creator, "10.00", "0.20", T)))
        if i % 3 == 0:
            lines.append("{bad")
        if i % 4 == 0:
            lines.append(json.dumps(confirmed(f"X{i}", T)))
    expected = [n for n, line in enumerate(lines, 1) if line == "{bad" or '"X' in line]
    return lines, expected


def run_import_command(tmp_path, capsys, lines) -> tuple[list[int], str]:
    """``import_events`` of ``lines`` (some rejected: exit 1): printed line numbers, summary."""
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("import_events", str(path))
    assert exit_.value.code == 1
    out = capsys.readouterr().out.strip().splitlines()
    return [int(x.split(":")[0].removeprefix("line ")) for x in out[:-1]], out[-1]


def test_command_prints_rejections_in_line_order_across_chunks(
    monkeypatch, tmp_path, capsys, merchant, creator
):
    monkeypatch.setattr(ev_pipeline, "CHUNK_SIZE", 3)
    lines, expected = mixed_lines(merchant, creator, 20)
    numbers, summary = run_import_command(tmp_path, capsys, lines)
    assert numbers == expected
    assert summary == f"accepted 20, duplicates 0, rejected {len(expected)}"


def test_command_rejects_a_line_nested_too_deeply_and_imports_the_rest(
    tmp_path, capsys, merchant, creator
):
    lines = [
        json.dumps(paid("E1", merchant, creator, "10.00", "0.20", T)),
        "[" * 50_000 + "]" * 50_000,
        json.dumps(paid("E2", merchant, creator, "20.00", "0.20", T)),
    ]
    numbers, summary = run_import_command(tmp_path, capsys, lines)
    assert numbers == [2]
    assert summary == "accepted 2, duplicates 0, rejected 1"
    assert Order.objects.count() == 2


def test_a_parse_error_is_raised_after_the_steps_before_it(merchant, creator):
    lines = [
        json.dumps(paid("E1", merchant, creator, "10.00", "0.20", T)).encode(),
        Exploding(b"[]"),
    ]
    with pytest.raises(RuntimeError, match="reader failed"):
        ev.ingest_file(lines)
