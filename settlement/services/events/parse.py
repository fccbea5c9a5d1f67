"""Parsing order and binding events (SPEC §6): one JSON object → a ``Parsed`` event or a ``Reject``.

No database here, so parsing can run ahead of the writers (in a thread or a
forked process: ``pipeline``, ``forked``):

* ``decode_lines`` — JSON Lines → (line number, object | Reject, text);
* ``parse_event``  — validation of one object, with fast paths that fall back
  to the general field helpers (``text_field``, ``time_field``,
  ``decimal_field``, ``amount_field``) for anything unusual, so every result
  and reason is theirs; ``event_key`` is an event's identity (a duplicate has
  the same key);
* ``plan_steps``   — parsed events grouped into the steps the pipeline applies:
  chunks of order events, binding events between them, lines rejected here.

``Outcome`` and ``Tally`` are what every step reports.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from hotwave.money import MoneyError, parse_decimal
from settlement.models import MAX_RATE, MIN_RATE, EventType
from settlement.task_refs import is_task_reference

try:  # C JSON parser: ≈4 µs a line less than json.loads (the import parses every line)
    import orjson
except ImportError:  # pragma: no cover - a dependency; json alone gives the same results
    orjson = None

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"

EVENT_TYPES = frozenset(EventType.values)
ORDER_TYPES = {EventType.ORDER_PAID, EventType.ORDER_CONFIRMED, EventType.ORDER_REFUNDED}
BINDING_TYPES = {EventType.BINDING_STARTED, EventType.BINDING_ENDED}
# Plain strings for the per-event hot path (compared and formatted many times).
PAID = str(EventType.ORDER_PAID.value)
CONFIRMED = str(EventType.ORDER_CONFIRMED.value)
REFUNDED = str(EventType.ORDER_REFUNDED.value)
STARTED = str(EventType.BINDING_STARTED.value)
_BINDING_TYPES = frozenset({STARTED, str(EventType.BINDING_ENDED.value)})
_CENT = Decimal("0.01")
_BASIS_POINT = Decimal("0.0001")
_AMOUNT_LIMIT = Decimal("1000000000000")
_ZERO_SHARE = Decimal("0")
_ONE = Decimal("1")


@dataclass(slots=True)
class Outcome:
    line: int
    status: str  # accepted | duplicate | rejected
    type: str = ""
    reason: str = ""
    code: str = ""

    def as_dict(self) -> dict:
        d = {"line": self.line, "status": self.status, "type": self.type}
        if self.status == REJECTED:
            d.update(reason=self.reason, code=self.code)
        return d


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome, *, keep: bool) -> None:
        if outcome.status == ACCEPTED:
            self.accepted += 1
        elif outcome.status == DUPLICATE:
            self.duplicates += 1
        else:
            self.rejected += 1
        if keep:
            self.outcomes.append(outcome)

    @property
    def summary(self) -> str:
        return f"accepted {self.accepted}, duplicates {self.duplicates}, rejected {self.rejected}"


class Reject(Exception):
    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(slots=True)
class Parsed:
    line: int
    type: str
    key: str
    at: datetime
    payload: dict
    raw: str | None = None  # the line as received (JSON text), when there is one
    order_id: str = ""
    merchant: str = ""
    creator: str = ""
    agency: str = ""
    product: str = ""
    amount: Decimal | None = None
    rate: Decimal | None = None
    share: Decimal | None = None
    iso: str = ""  # ``at`` in UTC, ISO 8601 (as in the key)


# --- Parsing ----------------------------------------------------------------------


# Control characters (C0, DEL, C1): never part of an id or a name; they would corrupt
# pages, logs and the CSV.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def text_field(obj: dict, name: str, *, max_length: int = 64) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Reject(_("缺少字段 %(field)s") % {"field": name}, "missing_field")
    value = value.strip()
    if _CONTROL.search(value) is not None:
        raise Reject(_("字段 %(field)s 含非法字符") % {"field": name}, "bad_field")
    if len(value) > max_length:
        raise Reject(
            _("字段 %(field)s 超过 %(n)s 个字符") % {"field": name, "n": max_length}, "bad_field"
        )
    return value


def time_field(obj: dict) -> datetime:
    value = obj.get("at")
    if not isinstance(value, str):
        raise Reject(_("缺少字段 at"), "missing_field")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Reject(_("at 不是 ISO 8601 时间：%(v)s") % {"v": value[:40]}, "bad_time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise Reject(_("at 必须带时区偏移（如 +08:00）：%(v)s") % {"v": value[:40]}, "bad_time")
    return at.astimezone(UTC)


def decimal_field(obj: dict, name: str, *, places: int) -> Decimal:
    if name not in obj:
        raise Reject(_("缺少字段 %(field)s") % {"field": name}, "missing_field")
    try:
        return parse_decimal(obj[name], places=places, field=name)
    except MoneyError as exc:
        raise Reject(
            _("%(field)s 不是合法的十进制字符串：%(err)s") % {"field": name, "err": exc},
            "bad_amount",
        ) from None


def amount_field(obj: dict) -> Decimal:
    amount = decimal_field(obj, "amount", places=2)
    if amount <= 0:
        raise Reject(_("金额必须大于 0：%(v)s") % {"v": amount}, "bad_amount")
    if amount >= Decimal("1000000000000"):
        raise Reject(_("金额过大：%(v)s") % {"v": amount}, "bad_amount")
    return amount.quantize(Decimal("0.01"))


def event_key(*parts) -> str:
    canonical = json.dumps([str(p) for p in parts], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- The per-event fast path ----------------------------------------------------------
# Each helper below accepts the common, valid value with a few C-level checks and
# hands anything else to the general helper above, which returns the same value or
# raises the same Reject: results and reasons are exactly those of the helpers above.

_NEEDS_JSON_ESCAPE = re.compile(r'[\x00-\x1f\\"]')  # what json.dumps(ensure_ascii=False) escapes
_PLAIN_DECIMAL = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # no minus: -0 is special
_sha256 = hashlib.sha256


def _fast_key(parts: list[str]) -> str:
    """``event_key(*parts)`` for parts that are already strings."""
    if _NEEDS_JSON_ESCAPE.search("".join(parts)) is not None:
        return event_key(*parts)
    return _sha256(('["' + '","'.join(parts) + '"]').encode()).hexdigest()


def _fast_text(obj: dict, name: str, max_length: int = 64) -> str:
    value = obj.get(name)
    if value.__class__ is str:
        value = value.strip()
        if value and len(value) <= max_length and _CONTROL.search(value) is None:
            return value
    return text_field(obj, name, max_length=max_length)


def _fast_decimal(obj: dict, name: str, places: int) -> Decimal | None:
    """The value of a plain non-negative decimal string, or None (then use ``decimal_field``)."""
    text = obj.get(name)
    if text.__class__ is not str:
        return None
    s = text.strip()
    if len(s) > 32 or _PLAIN_DECIMAL.fullmatch(s) is None:
        return None
    point = s.find(".")
    if point >= 0 and len(s) - point - 1 > places:
        return None
    return Decimal(s)


def _fast_amount(obj: dict) -> Decimal:
    amount = _fast_decimal(obj, "amount", 2)
    if amount is None or not 0 < amount < _AMOUNT_LIMIT:
        return amount_field(obj)
    return amount.quantize(_CENT)


def _fast_at(obj: dict) -> datetime:
    value = obj.get("at")
    if value.__class__ is str:
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            return time_field(obj)
        if at.tzinfo is not None and at.utcoffset() is not None:
            return at.astimezone(UTC)
    return time_field(obj)


def parse_event(line: int, obj: object, raw: str | None = None) -> Parsed:
    """Validate one event object; raises Reject with a readable reason."""
    if obj.__class__ is not dict and not isinstance(obj, dict):
        raise Reject(_("事件必须是 JSON 对象"), "not_object")
    kind = obj.get("type")
    if kind.__class__ is not str or kind not in EVENT_TYPES:
        if not isinstance(kind, str) or kind not in EVENT_TYPES:
            raise Reject(_("未知的事件类型：%(t)s") % {"t": str(kind)[:40]}, "unknown_type")
        kind = str(kind)
    at = _fast_at(obj)
    iso = at.isoformat()
    if kind == PAID:
        order_id = _fast_text(obj, "order_id")
        merchant = _fast_text(obj, "merchant", 150)
        creator = _fast_text(obj, "creator", 150)
        product = _fast_text(obj, "product")
        amount = _fast_amount(obj)
        rate = _fast_decimal(obj, "service_fee_rate", 4)
        if rate is None:
            rate = decimal_field(obj, "service_fee_rate", places=4)
        if not MIN_RATE <= rate <= MAX_RATE:
            raise Reject(
                _("服务费率须在 1%% 到 80%% 之间：%(v)s") % {"v": obj["service_fee_rate"]},
                "bad_rate",
            )
        rate = rate.quantize(_BASIS_POINT)
        if "task" in obj and not is_task_reference(obj["task"]):
            raise Reject(_("任务编号格式不正确：%(v)s") % {"v": str(obj["task"])[:40]}, "bad_task")
        key = _fast_key([kind, order_id, merchant, creator, product, str(amount), str(rate), iso])
        return Parsed(
            line,
            kind,
            key,
            at,
            obj,
            raw,
            order_id,
            merchant,
            creator,
            "",
            product,
            amount,
            rate,
            None,
            iso,
        )
    if kind == CONFIRMED:
        order_id = _fast_text(obj, "order_id")
        key = _fast_key([kind, order_id, iso])
        return Parsed(line, kind, key, at, obj, raw, order_id, iso=iso)
    if kind == REFUNDED:
        order_id = _fast_text(obj, "order_id")
        amount = _fast_amount(obj)
        key = _fast_key([kind, order_id, str(amount), iso])
        return Parsed(line, kind, key, at, obj, raw, order_id, amount=amount, iso=iso)
    p = Parsed(line=line, type=kind, key="", at=at, payload=obj, raw=raw, iso=iso)
    if kind == STARTED:
        p.creator = text_field(obj, "creator", max_length=150)
        p.agency = text_field(obj, "agency", max_length=150)
        share = decimal_field(obj, "agency_share", places=4)
        if not _ZERO_SHARE <= share <= _ONE:
            raise Reject(
                _("机构分成比例须在 0 到 1 之间：%(v)s") % {"v": obj["agency_share"]}, "bad_share"
            )
        p.share = share.quantize(_BASIS_POINT)
        p.key = event_key(kind, p.creator, p.agency, p.share, iso)
    else:  # binding.ended
        p.creator = text_field(obj, "creator", max_length=150)
        p.agency = text_field(obj, "agency", max_length=150)
        p.key = event_key(kind, p.creator, p.agency, iso)
    return p


_FLAT_VALUES = frozenset({str, int, bool, type(None)})


def decode_lines(lines: Iterable[str | bytes]) -> Iterator[tuple]:
    """(line number, JSON object | Reject[, text]) for each non-blank line of a JSON Lines stream."""
    loads = orjson.loads if orjson is not None else None
    flat = _FLAT_VALUES
    for number, raw in enumerate(lines, start=1):
        if loads is not None and raw.__class__ is bytes:
            # Fast path: an object of strings, integers, booleans and nulls that orjson
            # parses, json parses the same way (the text is valid UTF-8 and orjson's
            # integers are exact); anything else (a float, which is also what orjson
            # makes of an integer beyond 64 bits, nesting, not an object) takes the
            # general path below.
            try:
                obj = loads(raw)
            except ValueError:
                pass
            else:
                if obj.__class__ is dict and flat.issuperset(map(type, obj.values())):
                    yield number, obj, raw.strip().decode()
                    continue
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError:
            yield number, Reject(_("不是合法的 JSON"), "bad_json")
        except RecursionError:
            # A line nested thousands deep: json gives up; the line is rejected like
            # any other bad JSON, and the lines around it still import.
            yield number, Reject(_("不是合法的 JSON：嵌套过深"), "bad_json")
        else:
            yield number, obj, text.strip()


# --- Steps ---------------------------------------------------------------------------


# The kinds of step: a line rejected while parsing (an Outcome), a chunk of order
# events, a binding event; END and ERROR only travel from a parsing thread or process.
OUTCOME, CHUNK, BINDING, END, ERROR = range(5)


def plan_steps(
    items: Iterable[tuple],
    chunk_size: int,
    *,
    first_size: int | None = None,
    lines_left: Callable[[int], int | None] | None = None,
) -> Iterator[tuple[int, object]]:
    """Parse numbered events into steps whose outcomes, in step order, are in line order.

    A step is (OUTCOME, Outcome) for a line rejected while parsing, (CHUNK, (list of
    parsed order events, the lines among them rejected while parsing)) or
    (BINDING, a parsed binding event); a chunk's outcomes are merged with its
    rejected lines by line (``pipeline.merge_by_line``). Parsing needs no database, so
    for files it runs ahead in a thread (``pipeline.parsed_ahead``) or a process
    (``forked.parsed_in_child_process``). With ``first_size``, chunks start at that size and
    double up to ``chunk_size``, so the database has work sooner; with
    ``lines_left`` too (an estimate of the lines still to come after a given line
    number, or None), they shrink again towards the end of the stream, to half of
    what is left, so the writers finish together rather than one waiting for the
    other's last large chunk. Memory stays bounded: a chunk is also closed when its
    rejected lines reach ``chunk_size``.
    """
    size = chunk_size if first_size is None else min(first_size, chunk_size)
    smallest = size
    chunk: list[Parsed] = []
    rejected: list[Outcome] = []  # lines rejected while ``chunk`` is open
    for line, obj, *raw in items:
        if obj.__class__ is Reject:
            outcome = Outcome(line, REJECTED, "", obj.reason, obj.code)
        else:
            try:
                p = parse_event(line, obj, raw[0] if raw else None)
            except Reject as r:
                t = obj.get("type", "") if isinstance(obj, dict) else ""
                outcome = Outcome(line, REJECTED, str(t)[:32], r.reason, r.code)
            else:
                outcome = None
        if outcome is not None:
            if not chunk:
                yield OUTCOME, outcome
                continue
            rejected.append(outcome)
            if len(rejected) < chunk_size:
                continue
        elif p.type in _BINDING_TYPES:
            if chunk:
                yield CHUNK, (chunk, rejected)
                chunk, rejected = [], []
            yield BINDING, p
            continue
        else:
            chunk.append(p)
            if len(chunk) < size:
                continue
            size = min(size * 2, chunk_size)
            if lines_left is not None and (left := lines_left(line)) is not None:
                size = max(smallest, min(size, left // 2))
        yield CHUNK, (chunk, rejected)
        chunk, rejected = [], []
    if chunk:
        yield CHUNK, (chunk, rejected)
