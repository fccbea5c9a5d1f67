"""Ingestion of order and binding events (SPEC §6), shared by ``import_events`` and the API.

Each event is validated, then applied atomically or not at all:

* an event already applied (same normalised content → same ``key``) is a
  *duplicate* and skipped;
* one that contradicts what is stored, names an unknown party, has a bad
  amount or a rate outside 1%–80%, refunds more than remains, or confirms an
  unknown order is *rejected* with a reason and changes nothing.

Order events are applied in chunks: one transaction loads the chunk's orders
(locked), keys, parties and bindings, decides every event in order in memory,
then writes with a few bulk statements (on Postgres, COPY text built here:
``events_copy``). If a concurrent writer got in first (a unique key collides)
or the database refuses a line's content, the chunk is rolled back and
replayed in ever smaller parts, in order, down to one event per transaction,
which then sees the other writer's rows or isolates the bad line. Binding
events are rare and applied one at a time, between chunks, so order events
after them in the stream see them.

Speed (``import_events`` of 200k lines, docs/PERFORMANCE.md): each line is
parsed by orjson and validated by fast paths that fall back to the general
helpers for anything unusual (so every result and reason is theirs);
merchants and creators found once are not looked up again. For files on
Postgres, a forked process parses while writer threads, each on its own
connection, apply each chunk split by order (``_apply_steps_parallel``);
elsewhere parsing runs in a background thread while the main thread waits for
the database.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import multiprocessing
import operator
import os
import queue
import re
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from admission.models import Agency, Creator, Merchant
from hotwave.exceptions import DomainError
from hotwave.money import ZERO, MoneyError, parse_decimal
from settlement.models import (
    MAX_RATE,
    MIN_RATE,
    Binding,
    EventSource,
    EventType,
    Order,
    OrderEvent,
    OrderStatus,
    Rule,
)
from settlement.services import bindings as binding_services
from settlement.services.bulk import insert_rows, reserve_ids
from settlement.services.events_copy import copy_text, esc, int_array, text_array
from settlement.task_refs import is_task_reference, task_reference_creators

try:  # C JSON parser: ≈4 µs a line less than json.loads (the import parses every line)
    import orjson
except ImportError:  # pragma: no cover - a dependency; json alone gives the same results
    orjson = None

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
CHUNK_SIZE = 20000

_EVENT_TYPES = frozenset(EventType.values)
ORDER_TYPES = {EventType.ORDER_PAID, EventType.ORDER_CONFIRMED, EventType.ORDER_REFUNDED}
BINDING_TYPES = {EventType.BINDING_STARTED, EventType.BINDING_ENDED}
# Plain strings for the per-event hot path (compared and formatted many times).
_PAID = str(EventType.ORDER_PAID.value)
_CONFIRMED = str(EventType.ORDER_CONFIRMED.value)
_REFUNDED = str(EventType.ORDER_REFUNDED.value)
_STARTED = str(EventType.BINDING_STARTED.value)
_BINDING_TYPES = frozenset({_STARTED, str(EventType.BINDING_ENDED.value)})
_STATUS_PAID = str(OrderStatus.PAID.value)
_STATUS_CONFIRMED = str(OrderStatus.CONFIRMED.value)
_RULE_AGENCY = str(Rule.AGENCY.value)
_RULE_INDIVIDUAL = str(Rule.INDIVIDUAL.value)
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


def _text(obj: dict, name: str, *, max_length: int = 64) -> str:
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


def _at(obj: dict) -> datetime:
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


def _decimal(obj: dict, name: str, *, places: int) -> Decimal:
    if name not in obj:
        raise Reject(_("缺少字段 %(field)s") % {"field": name}, "missing_field")
    try:
        return parse_decimal(obj[name], places=places, field=name)
    except MoneyError as exc:
        raise Reject(
            _("%(field)s 不是合法的十进制字符串：%(err)s") % {"field": name, "err": exc},
            "bad_amount",
        ) from None


def _amount(obj: dict) -> Decimal:
    amount = _decimal(obj, "amount", places=2)
    if amount <= 0:
        raise Reject(_("金额必须大于 0：%(v)s") % {"v": amount}, "bad_amount")
    if amount >= Decimal("1000000000000"):
        raise Reject(_("金额过大：%(v)s") % {"v": amount}, "bad_amount")
    return amount.quantize(Decimal("0.01"))


def _key(*parts) -> str:
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
    """``_key(*parts)`` for parts that are already strings."""
    if _NEEDS_JSON_ESCAPE.search("".join(parts)) is not None:
        return _key(*parts)
    return _sha256(('["' + '","'.join(parts) + '"]').encode()).hexdigest()


def _fast_text(obj: dict, name: str, max_length: int = 64) -> str:
    value = obj.get(name)
    if value.__class__ is str:
        value = value.strip()
        if value and len(value) <= max_length and _CONTROL.search(value) is None:
            return value
    return _text(obj, name, max_length=max_length)


def _fast_decimal(obj: dict, name: str, places: int) -> Decimal | None:
    """The value of a plain non-negative decimal string, or None (then use ``_decimal``)."""
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
        return _amount(obj)
    return amount.quantize(_CENT)


def _fast_at(obj: dict) -> datetime:
    value = obj.get("at")
    if value.__class__ is str:
        try:
            at = datetime.fromisoformat(value.strip())
        except ValueError:
            return _at(obj)
        if at.tzinfo is not None and at.utcoffset() is not None:
            return at.astimezone(UTC)
    return _at(obj)


def parse_event(line: int, obj: object, raw: str | None = None) -> Parsed:
    """Validate one event object; raises Reject with a readable reason."""
    if obj.__class__ is not dict and not isinstance(obj, dict):
        raise Reject(_("事件必须是 JSON 对象"), "not_object")
    kind = obj.get("type")
    if kind.__class__ is not str or kind not in _EVENT_TYPES:
        if not isinstance(kind, str) or kind not in _EVENT_TYPES:
            raise Reject(_("未知的事件类型：%(t)s") % {"t": str(kind)[:40]}, "unknown_type")
        kind = str(kind)
    at = _fast_at(obj)
    iso = at.isoformat()
    if kind == _PAID:
        order_id = _fast_text(obj, "order_id")
        merchant = _fast_text(obj, "merchant", 150)
        creator = _fast_text(obj, "creator", 150)
        product = _fast_text(obj, "product")
        amount = _fast_amount(obj)
        rate = _fast_decimal(obj, "service_fee_rate", 4)
        if rate is None:
            rate = _decimal(obj, "service_fee_rate", places=4)
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
    if kind == _CONFIRMED:
        order_id = _fast_text(obj, "order_id")
        key = _fast_key([kind, order_id, iso])
        return Parsed(line, kind, key, at, obj, raw, order_id, iso=iso)
    if kind == _REFUNDED:
        order_id = _fast_text(obj, "order_id")
        amount = _fast_amount(obj)
        key = _fast_key([kind, order_id, str(amount), iso])
        return Parsed(line, kind, key, at, obj, raw, order_id, amount=amount, iso=iso)
    p = Parsed(line=line, type=kind, key="", at=at, payload=obj, raw=raw, iso=iso)
    if kind == _STARTED:
        p.creator = _text(obj, "creator", max_length=150)
        p.agency = _text(obj, "agency", max_length=150)
        share = _decimal(obj, "agency_share", places=4)
        if not _ZERO_SHARE <= share <= _ONE:
            raise Reject(
                _("机构分成比例须在 0 到 1 之间：%(v)s") % {"v": obj["agency_share"]}, "bad_share"
            )
        p.share = share.quantize(_BASIS_POINT)
        p.key = _key(kind, p.creator, p.agency, p.share, iso)
    else:  # binding.ended
        p.creator = _text(obj, "creator", max_length=150)
        p.agency = _text(obj, "agency", max_length=150)
        p.key = _key(kind, p.creator, p.agency, iso)
    return p


def _event_row(p: Parsed, *, source: str, order=None, binding=None) -> OrderEvent:
    return OrderEvent(
        key=p.key,
        type=p.type,
        order=order,
        binding=binding,
        amount=p.amount,
        occurred_at=p.at,
        payload=p.payload,
        source=source,
    )


# --- Applying order events in chunks ------------------------------------------------------


@dataclass(slots=True)
class _O:
    """The fields of an order that ingestion reads and writes (lighter than a model)."""

    pk: int | None
    order_id: str
    merchant_id: int
    creator_id: int
    product_sku: str
    amount: Decimal
    refunded: Decimal
    service_fee_rate: Decimal
    paid_at: datetime
    confirmed_at: datetime | None
    status: str
    rule: str
    binding_id: int | None
    agency_id: int | None
    agency_share: Decimal | None


_O_FIELDS = tuple(f for f in _O.__dataclass_fields__ if f != "pk")


def _existing_keys(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT key FROM settlement_orderevent WHERE key = ANY(%s::text[])",
                [text_array(keys)],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(OrderEvent.objects.filter(key__in=keys).values_list("key", flat=True))


def _locked_orders(order_ids: set[str]) -> dict[str, _O]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Locked in id order, one order for every writer: no deadlock.
            cursor.execute(
                f"SELECT id, {', '.join(_O_FIELDS)} FROM settlement_order "  # noqa: S608 - fixed names
                "WHERE order_id = ANY(%s::text[]) ORDER BY id FOR UPDATE",
                [text_array(order_ids)],
            )
            rows = cursor.fetchall()
    else:
        rows = Order.objects.filter(order_id__in=order_ids).values_list("id", *_O_FIELDS)
    return {row[1]: _O(*row) for row in rows}


def _bindings_of(creator_ids: set[int]) -> list[tuple]:
    """(creator, valid_from, valid_to, id, agency, agency_share) of the creators' agreements."""
    if not creator_ids:
        return []
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT creator_id, valid_from, valid_to, id, agency_id, agency_share "
                "FROM settlement_binding WHERE creator_id = ANY(%s::bigint[]) "
                "AND valid_from IS NOT NULL",
                [int_array(creator_ids)],
            )
            return cursor.fetchall()
    return list(
        Binding.objects.filter(creator_id__in=creator_ids, valid_from__isnull=False).values_list(
            "creator_id", "valid_from", "valid_to", "pk", "agency_id", "agency_share"
        )
    )


def _update_orders(orders: list[_O]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE settlement_order o SET confirmed_at = v.c, status = v.s, refunded = v.r "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::numeric[]) "
                "AS v(id, c, s, r) WHERE o.id = v.id",
                [
                    [o.pk for o in orders],
                    [o.confirmed_at for o in orders],
                    [o.status for o in orders],
                    [o.refunded for o in orders],
                ],
            )
        return
    Order.objects.bulk_update(
        [
            Order(pk=o.pk, confirmed_at=o.confirmed_at, status=o.status, refunded=o.refunded)
            for o in orders
        ],
        ["confirmed_at", "status", "refunded"],
        batch_size=500,
    )


class _Parties:
    """Usernames → ids of the merchants and creators already found during one ingestion.

    A party once found stays (parties are not deleted while they have orders, and
    the foreign keys would refuse a vanished one); a name not found is asked
    again in the next chunk, so a party created meanwhile is seen.
    """

    def __init__(self):
        self.merchants: dict[str, int] = {}
        self.creators: dict[str, int] = {}
        self._lock = threading.Lock()  # shared by the import's writer threads

    def load(self, merchants: set[str], creators: set[str]) -> None:
        with self._lock:
            for model, names, found in (
                (Merchant, merchants, self.merchants),
                (Creator, creators, self.creators),
            ):
                missing = names.difference(found)
                if missing:
                    found.update(_party_ids(model, missing))


def _party_ids(model, usernames: set[str]) -> Iterable[tuple[str, int]]:
    """(username, id) of the parties of ``model`` (Merchant or Creator) among ``usernames``."""
    if connection.vendor != "postgresql":
        return model.objects.filter(user__username__in=usernames).values_list(
            "user__username", "pk"
        )
    # One array parameter instead of an IN list of thousands of names.
    user = model._meta.get_field("user").related_model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.{user.get_field('username').column}, p.user_id "  # noqa: S608 - model names
            f"FROM {model._meta.db_table} p JOIN {user.db_table} u ON u.{user.pk.column} = p.user_id "
            f"WHERE u.{user.get_field('username').column} = ANY(%s::text[])",
            [text_array(usernames)],
        )
        return cursor.fetchall()


class _Chunk:
    """Decides a list of parsed order events against the stored state, in memory."""

    def __init__(self, events: list[Parsed], *, source: str, parties: _Parties | None = None):
        self.events = events
        self.source = source
        self.parties = parties if parties is not None else _Parties()

    def run(self) -> list[Outcome]:
        with transaction.atomic():
            outcomes = self._decide()
            self._write()
        return outcomes

    def _decide(self) -> list[Outcome]:
        events = self.events
        pg = connection.vendor == "postgresql"
        # Lock the chunk's stored orders: a concurrent refund waits, so "what remains" holds.
        self.orders: dict[str, _O] = _locked_orders({p.order_id for p in events})
        # An order event is stored with its order in one transaction, so only events of
        # orders already stored can be duplicates: look up just those keys.
        orders = self.orders
        self.seen = _existing_keys([p.key for p in events if p.order_id in orders])
        paid = [p for p in events if p.type == _PAID]
        creator_names = {p.creator for p in paid}
        self.parties.load({p.merchant for p in paid}, creator_names)
        self.merchants = self.parties.merchants
        self.creators = self.parties.creators
        # Orders naming their cooperation task: who each task's creator is (SPEC §7).
        refs = {p.payload["task"] for p in paid if "task" in p.payload}
        self.task_creators = task_reference_creators(refs) if refs else {}
        creator_ids = {self.creators[n] for n in creator_names if n in self.creators}
        if pg and creator_ids:
            # Share-lock the creators being paid: a concurrent binding change of one of them
            # (which takes the creator row FOR UPDATE) waits, so the frozen rule stays true.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT user_id FROM admission_creator WHERE user_id = ANY(%s::bigint[]) "
                    "ORDER BY user_id FOR SHARE",
                    [int_array(creator_ids)],
                )
        # (creator id) → [(valid_from, valid_to, binding id, agency id, agency share)]
        self.bindings: dict[int, list[tuple]] = {}
        for creator_id, *b in _bindings_of(creator_ids):
            self.bindings.setdefault(creator_id, []).append(b)
        self.new_orders: list[_O] = []
        self.dirty: dict[str, _O] = {}
        self.rows: list[tuple[Parsed, _O]] = []
        seen = self.seen
        rows = self.rows
        apply = self._apply
        outcomes = []
        append = outcomes.append
        for p in events:
            if p.key in seen:
                append(Outcome(p.line, DUPLICATE, p.type))
                continue
            try:
                order = apply(p)
            except Reject as r:
                append(Outcome(p.line, REJECTED, p.type, r.reason, r.code))
                continue
            seen.add(p.key)
            rows.append((p, order))
            append(Outcome(p.line, ACCEPTED, p.type))
        return outcomes

    def _binding_at(self, creator_id: int, at: datetime) -> tuple | None:
        for b in self.bindings.get(creator_id, ()):
            if b[0] <= at and (b[1] is None or at < b[1]):  # Binding.covers: [from, to)
                return b
        return None

    def _apply(self, p: Parsed) -> _O:
        order = self.orders.get(p.order_id)
        if p.type == _PAID:
            if order is not None:
                raise Reject(
                    _("与已存储的订单 %(id)s 矛盾（该订单已以不同内容支付）") % {"id": p.order_id},
                    "contradiction",
                )
            merchant_id = self.merchants.get(p.merchant)
            if merchant_id is None:
                raise Reject(_("未知的商家：%(u)s") % {"u": p.merchant}, "unknown_party")
            creator_id = self.creators.get(p.creator)
            if creator_id is None:
                raise Reject(_("未知的达人：%(u)s") % {"u": p.creator}, "unknown_party")
            ref = p.payload.get("task")
            if ref is not None and self.task_creators.get(ref) != p.creator:
                raise Reject(
                    _("任务 %(t)s 不存在或不属于达人 %(u)s") % {"t": ref, "u": p.creator},
                    "unknown_task",
                )
            binding = self._binding_at(creator_id, p.at) if creator_id in self.bindings else None
            # The rule in force at payment, frozen onto the order: rule, binding, agency, share.
            frozen = (
                (_RULE_INDIVIDUAL, None, None, None)
                if binding is None
                else (_RULE_AGENCY, binding[2], binding[3], binding[4])
            )
            order = _O(
                None,
                p.order_id,
                merchant_id,
                creator_id,
                p.product,
                p.amount,
                ZERO,
                p.rate,
                p.at,
                None,
                _STATUS_PAID,
                *frozen,
            )
            self.orders[p.order_id] = order
            self.new_orders.append(order)
            return order
        if order is None:
            if p.type == _CONFIRMED:
                raise Reject(
                    _("确认收货的订单不存在：%(id)s") % {"id": p.order_id}, "unknown_order"
                )
            raise Reject(_("退款的订单不存在：%(id)s") % {"id": p.order_id}, "unknown_order")
        if p.at < order.paid_at:
            raise Reject(
                _("事件时间早于订单 %(id)s 的支付时间") % {"id": p.order_id}, "contradiction"
            )
        if p.type == _CONFIRMED:
            if order.confirmed_at is not None:
                raise Reject(
                    _("与已存储的订单 %(id)s 矛盾（已于 %(at)s 确认收货）")
                    % {"id": p.order_id, "at": order.confirmed_at.isoformat()},
                    "contradiction",
                )
            order.confirmed_at = p.at
            order.status = _STATUS_CONFIRMED
        else:
            remaining = order.amount - order.refunded
            if p.amount > remaining:
                raise Reject(
                    _("退款金额 %(a)s 超过订单 %(id)s 剩余可退金额 %(r)s")
                    % {"a": p.amount, "id": p.order_id, "r": remaining},
                    "refund_exceeds",
                )
            order.refunded += p.amount
        if order.pk is not None:
            self.dirty[order.order_id] = order
        return order

    def _write(self) -> None:
        if connection.vendor == "postgresql":
            self._write_copy()
        else:
            self._write_rows()

    def _write_rows(self) -> None:
        """Any database: ``bulk.insert_rows`` (COPY via psycopg on Postgres, else bulk_create)."""
        now = timezone.now()
        # On Postgres the line's own JSON text goes into the jsonb column as it came.
        pg = connection.vendor == "postgresql"

        def payload(p: Parsed):
            return p.raw if pg and p.raw is not None else p.payload

        if self.new_orders:
            ids = insert_rows(
                Order,
                _ORDER_COLUMNS,
                [
                    (
                        o.order_id,
                        o.merchant_id,
                        o.creator_id,
                        o.product_sku,
                        o.amount,
                        o.refunded,
                        o.service_fee_rate,
                        o.paid_at,
                        o.confirmed_at,
                        o.status,
                        o.rule,
                        o.binding_id,
                        o.agency_id,
                        o.agency_share,
                        ZERO,
                        now,
                    )
                    for o in self.new_orders
                ],
                with_ids=True,
            )
            for o, pk in zip(self.new_orders, ids, strict=True):
                o.pk = pk
        if self.dirty:
            _update_orders(list(self.dirty.values()))
        if self.rows:
            insert_rows(
                OrderEvent,
                _EVENT_COLUMNS,
                [
                    (p.key, p.type, o.pk, None, p.amount, p.at, payload(p), self.source, now)
                    for p, o in self.rows
                ],
                with_ids=False,
            )

    def _write_copy(self) -> None:
        """Postgres: the same rows as ``_write`` in COPY text (see ``events_copy``)."""
        now = timezone.now().isoformat()
        new_orders = self.new_orders
        if new_orders:
            for o, pk in zip(new_orders, reserve_ids(Order, len(new_orders)), strict=True):
                o.pk = pk
            copy_text(
                Order._meta.db_table,
                ("id", *_ORDER_COLUMNS),
                [
                    f"{o.pk}\t{esc(o.order_id)}\t{o.merchant_id}\t{o.creator_id}\t"
                    f"{esc(o.product_sku)}\t{o.amount}\t{o.refunded}\t{o.service_fee_rate}\t"
                    f"{o.paid_at.isoformat()}\t"
                    f"{_N if o.confirmed_at is None else o.confirmed_at.isoformat()}\t"
                    f"{o.status}\t{o.rule}\t{_N if o.binding_id is None else o.binding_id}\t"
                    f"{_N if o.agency_id is None else o.agency_id}\t"
                    f"{_N if o.agency_share is None else o.agency_share}\t0.00\t{now}\n"
                    for o in new_orders
                ],
            )
        if self.dirty:
            _update_orders(list(self.dirty.values()))
        if self.rows:
            # The line's own JSON text goes into the jsonb column as it came.
            source = str(self.source)
            copy_text(
                OrderEvent._meta.db_table,
                _EVENT_COLUMNS,
                [
                    f"{p.key}\t{p.type}\t{o.pk}\t\\N\t{_N if p.amount is None else p.amount}\t"
                    f"{p.iso or p.at.isoformat()}\t{esc(_payload_text(p))}\t{source}\t{now}\n"
                    for p, o in self.rows
                ],
            )


_N = "\\N"  # NULL in COPY text


def _payload_text(p: Parsed) -> str:
    if p.raw is not None:
        return p.raw
    return json.dumps(p.payload, ensure_ascii=False)


_ORDER_COLUMNS = (
    "order_id",
    "merchant_id",
    "creator_id",
    "product_sku",
    "amount",
    "refunded",
    "service_fee_rate",
    "paid_at",
    "confirmed_at",
    "status",
    "rule",
    "binding_id",
    "agency_id",
    "agency_share",
    "settled_refunded",
    "created_at",
)
_EVENT_COLUMNS = (
    "key",
    "type",
    "order_id",
    "binding_id",
    "amount",
    "occurred_at",
    "payload",
    "source",
    "received_at",
)


def _apply_order_events(
    events: list[Parsed], *, source: str, attempt: int = 1, parties: _Parties | None = None
) -> list[Outcome]:
    try:
        return _Chunk(events, source=source, parties=parties).run()
    except OperationalError as exc:
        # A deadlock with a concurrent writer (Postgres picked us as the victim): retry.
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "40P01" and attempt < 4:
            return _apply_order_events(events, source=source, attempt=attempt + 1, parties=parties)
        raise
    except DataError:
        # Content the database refuses (e.g. a NUL character in JSON): find the line(s).
        if len(events) == 1:
            p = events[0]
            return [
                Outcome(p.line, REJECTED, p.type, _("内容无法存储（含非法字符）"), "bad_content")
            ]
    except IntegrityError:
        if len(events) == 1:
            # A concurrent writer stored this event or order first: decide again on its rows.
            return _Chunk(events, source=source).run()
    # Replay in two halves, in order (each decides on what the one before stored), down
    # to single events: the same decisions as one event per transaction, in far fewer
    # transactions when one line of a large chunk is the culprit.
    half = len(events) // 2
    return _apply_order_events(events[:half], source=source) + _apply_order_events(
        events[half:], source=source
    )


# --- Binding events ---------------------------------------------------------------


def _apply_binding_event(p: Parsed, *, source: str) -> Outcome:
    try:
        with transaction.atomic():
            if OrderEvent.objects.filter(key=p.key).exists():
                return Outcome(p.line, DUPLICATE, p.type)
            creator = Creator.objects.filter(user__username=p.creator).first()
            if creator is None:
                raise Reject(_("未知的达人：%(u)s") % {"u": p.creator}, "unknown_party")
            # Look again once we hold the creator's lock: a concurrent import of the same
            # event may have committed it while we waited (a duplicate, not a contradiction).
            binding_services.lock_creator(creator.pk)
            if OrderEvent.objects.filter(key=p.key).exists():
                return Outcome(p.line, DUPLICATE, p.type)
            agency = Agency.objects.filter(user__username=p.agency).first()
            if agency is None:
                raise Reject(_("未知的机构：%(u)s") % {"u": p.agency}, "unknown_party")
            try:
                if p.type == EventType.BINDING_STARTED:
                    binding = binding_services.binding_start_imported(
                        creator=creator, agency=agency, agency_share=p.share, at=p.at
                    )
                else:
                    binding = binding_services.binding_end_imported(
                        creator=creator, agency=agency, at=p.at
                    )
            except DomainError as exc:
                raise Reject(str(exc.message), "contradiction") from None
            _event_row(p, source=source, binding=binding).save()
    except Reject as r:
        return Outcome(p.line, REJECTED, p.type, r.reason, r.code)
    except IntegrityError:
        if OrderEvent.objects.filter(key=p.key).exists():
            return Outcome(p.line, DUPLICATE, p.type)
        return Outcome(
            p.line, REJECTED, p.type, _("与已存储的绑定矛盾（时间重叠）"), "contradiction"
        )
    return Outcome(p.line, ACCEPTED, p.type)


# --- Entry points -------------------------------------------------------------------


_OUT, _CHUNK, _BINDING, _END, _ERROR = range(5)


def _plan(
    items: Iterable[tuple], chunk_size: int, *, first_size: int | None = None
) -> Iterator[tuple[int, object]]:
    """Parse numbered events into steps whose outcomes, in step order, are in line order.

    A step is (_OUT, Outcome) for a line rejected while parsing, (_CHUNK, (list of
    parsed order events, the lines among them rejected while parsing)) or
    (_BINDING, a parsed binding event); a chunk's outcomes are merged with its
    rejected lines by line (``_chunk_outcomes``). Parsing needs no database, so
    for files it runs ahead in a thread (``_prefetched``) or a process
    (``_parsed_by_process``). With ``first_size``, chunks start at that size and
    double up to ``chunk_size``, so the database has work sooner. Memory stays
    bounded: a chunk is also closed when its rejected lines reach ``chunk_size``.
    """
    size = chunk_size if first_size is None else min(first_size, chunk_size)
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
                yield _OUT, outcome
                continue
            rejected.append(outcome)
            if len(rejected) < chunk_size:
                continue
        elif p.type in _BINDING_TYPES:
            if chunk:
                yield _CHUNK, (chunk, rejected)
                chunk, rejected = [], []
            yield _BINDING, p
            continue
        else:
            chunk.append(p)
            if len(chunk) < size:
                continue
            size = min(size * 2, chunk_size)
        yield _CHUNK, (chunk, rejected)
        chunk, rejected = [], []
    if chunk:
        yield _CHUNK, (chunk, rejected)


def _chunk_outcomes(outcomes: Iterable[Iterable[Outcome]], rejected: list[Outcome]):
    """The outcomes of a chunk's parts and its lines rejected while parsing, by line."""
    return heapq.merge(*outcomes, rejected, key=_line_of)


def _apply_steps(steps: Iterable[tuple[int, object]], *, source: str) -> Iterator[Outcome]:
    parties = _Parties()
    for kind, step in steps:
        if kind == _CHUNK:
            events, rejected = step
            outcomes = _apply_order_events(events, source=source, parties=parties)
            yield from _chunk_outcomes([outcomes], rejected) if rejected else outcomes
        elif kind == _OUT:
            yield step
        else:
            yield _apply_binding_event(step, source=source)


def _apply_steps_parallel(
    steps: Iterable[tuple[int, object]], *, source: str, writers: int
) -> Iterator[Outcome]:
    """``_apply_steps`` with each chunk's order events split over ``writers`` threads.

    Events are split by order: all events of one order go to the same writer, in
    the order they came, and each writer applies its parts of successive chunks
    in order, in its own transactions on its own connection. An event's decision
    depends only on its order's stored state and events, the parties and the
    bindings, so every decision is the plain loop's. Outcomes are yielded in
    the plain loop's order: line order (each chunk's merged back by line). Binding events
    wait until every order event before them is committed and run here, as in
    the plain loop, so the order events after them see them.

    The writers never wait on each other: they lock disjoint orders and only
    share-lock creators. The main thread splits the next chunk while the writers
    apply this one (one chunk ahead), so Postgres works on two connections at once.
    """
    language = translation.get_language()
    parties = _Parties()
    pools = [
        ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-events-writer-{i}")
        for i in range(writers)
    ]

    def apply(events: list[Parsed]) -> list[Outcome]:
        with translation.override(language):
            return _apply_order_events(events, source=source, parties=parties)

    pending: deque = deque()  # outcomes of a line rejected by parsing, or a chunk's futures

    def drain(keep: int) -> Iterator[Outcome]:
        while len(pending) > keep or (pending and pending[0].__class__ is Outcome):
            head = pending.popleft()
            if head.__class__ is Outcome:
                yield head
            else:
                futures, rejected = head
                yield from _chunk_outcomes([f.result() for f in futures], rejected)

    try:
        for kind, step in steps:
            if kind == _CHUNK:
                events, rejected = step
                parts: list[list[Parsed]] = [[] for _ in range(writers)]
                for p in events:
                    parts[hash(p.order_id) % writers].append(p)
                futures = [
                    pool.submit(apply, part)
                    for pool, part in zip(pools, parts, strict=True)
                    if part
                ]
                pending.append((futures, rejected))
                yield from drain(keep=1)
            elif kind == _OUT:
                pending.append(step)
                yield from drain(keep=1)
            else:
                yield from drain(keep=0)
                yield _apply_binding_event(step, source=source)
        yield from drain(keep=0)
    finally:
        for item in pending:  # after an error: the work not started is dropped
            if item.__class__ is not Outcome:
                for future in item[0]:
                    future.cancel()
        for pool in pools:
            # Each writer closes its own connection, in its own thread, after its work.
            pool.submit(_close_connection)
            pool.shutdown(wait=True)


def _close_connection() -> None:
    connection.close()  # the calling thread's connection (``connection`` is per thread)


def _line_of(outcome: Outcome) -> int:
    return outcome.line


def _prefetched(steps: Iterator[tuple[int, object]], *, depth: int = 1) -> Iterator[tuple]:
    """``steps``, produced by a background thread up to ``depth`` steps ahead.

    The thread only parses (no database); the caller applies each step in order, so
    outcomes, their order and every decision are those of the plain loop. While the
    caller waits for Postgres (COPY, commit), the next chunk is being parsed. An
    exception in parsing is raised here after the steps before it, as it would be
    without the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()  # reasons in the caller's language

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language):
                for step in steps:
                    if not put(step):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((_ERROR, exc))
            return
        put((_END, None))

    worker = threading.Thread(target=produce, name="import-events-parse", daemon=True)
    worker.start()
    try:
        while True:
            kind, step = q.get()
            if kind == _END:
                return
            if kind == _ERROR:
                raise step
            yield kind, step
    finally:
        stop.set()
        worker.join(timeout=1)  # it stops at its next step (or is reading a slow stdin)


def _parsed_by_process(lines: Iterable[str | bytes], chunk_size: int) -> Iterator[tuple]:
    """``_plan(decode_lines(lines))`` computed in a forked child process.

    Parsing is about half of the import's Python time; in a thread it holds the
    GIL the writer threads need, so here it runs on the other core. The child
    only reads ``lines`` and parses (no database: it never touches the
    connections it inherits, and leaves without running their finalisers); each
    step comes back pickled as plain tuples, which the parent unpickles and
    rebuilds in ≈3 µs an event instead of ≈20 µs to parse.
    The pipe holds the child about one step ahead. Steps, their order and an
    exception raised while parsing (after the steps before it) are exactly
    ``_prefetched``'s.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    source = _child_readable(lines)

    def produce() -> None:
        receiver.close()
        try:
            # The writers wait for the first chunk: it is small (then chunks double).
            first = max(1, chunk_size // 16)
            for kind, step in _plan(decode_lines(source), chunk_size, first_size=first):
                sender.send(_packed(kind, step))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
            try:
                sender.send((_ERROR, exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                sender.send((_ERROR, RuntimeError(repr(exc))))
            return
        sender.send((_END, None))

    child = context.Process(target=produce, name="import-events-parse", daemon=True)
    child.start()
    sender.close()  # only the child writes
    if source is not lines:
        source.close()  # the child's copy of standard input: only the child reads it
    try:
        while True:
            try:
                kind, data = receiver.recv()
            except EOFError:
                raise RuntimeError("the parsing process of import_events ended early") from None
            if kind == _END:
                return
            if kind == _ERROR:
                raise data
            yield _unpacked(kind, data)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _child_readable(lines: Iterable[str | bytes]) -> Iterable[str | bytes]:
    """``lines`` as the forked child can read them.

    multiprocessing closes ``sys.stdin`` in the child; standard input is handed
    over as a new descriptor of it (read as bytes, nothing read from it yet).
    """
    if lines is sys.stdin or lines is getattr(sys.stdin, "buffer", None):
        return os.fdopen(os.dup(lines.fileno()), "rb")
    return lines


_PARSED_FIELDS = tuple(f.name for f in fields(Parsed))
_parsed_values = operator.attrgetter(*_PARSED_FIELDS)
# An order event travels without ``at`` (rebuilt from ``iso``, its exact UTC text:
# pickling datetimes is a third of the cost) and without ``payload`` when it has
# its JSON text ``raw`` (the only form of the object an order event's write uses).
_SENT = ("line", "type", "key", *_PARSED_FIELDS[_PARSED_FIELDS.index("raw") :])
_sent_values = operator.attrgetter(*_SENT)
assert _PARSED_FIELDS[3:5] == ("at", "payload") and _SENT[-1] == "iso"  # noqa: S101 - layout


def _packed(kind: int, step):
    if kind == _CHUNK:
        events, rejected = step
        return kind, (
            [(*_sent_values(p), None if p.raw is not None else p.payload) for p in events],
            [_outcome_values(o) for o in rejected],
        )
    if kind == _BINDING:
        return kind, _parsed_values(step)
    return kind, _outcome_values(step)  # _OUT


def _unpacked(kind: int, data):
    if kind == _CHUNK:
        at = datetime.fromisoformat
        events, rejected = data
        return kind, (
            [Parsed(v[0], v[1], v[2], at(v[12]), v[13], *v[3:13]) for v in events],
            [Outcome(*v) for v in rejected],
        )
    if kind == _BINDING:
        return kind, Parsed(*data)
    return kind, Outcome(*data)


def _outcome_values(o: Outcome) -> tuple:
    return (o.line, o.status, o.type, o.reason, o.code)


def _forking_is_safe() -> bool:
    """Fork only on Linux and from a process with no other thread (no lock held elsewhere).

    Counted by the kernel, as Python's own fork warning does: threads started
    without ``threading`` (by a C library, or a test runner) count too.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def ingest(
    items: Iterable[tuple[int, object]], *, source: str, chunk_size: int = CHUNK_SIZE
) -> Iterator[Outcome]:
    """Apply numbered events in order, yielding one Outcome per event.

    ``items`` yields (line number, decoded JSON object or a Reject for a line
    that did not parse[, the line's JSON text]). Memory stays bounded by ``chunk_size``.
    """
    return _apply_steps(_plan(items, chunk_size), source=source)


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
            yield number, json.loads(text), text.strip()
        except ValueError:
            yield number, Reject(_("不是合法的 JSON"), "bad_json")


def _writers_usable(writers: int) -> bool:
    """Whether order events may go through ``writers`` threads of their own connections.

    Postgres only, and not inside a transaction of the caller: the writers' own
    connections would not see what it has not committed (nor roll back with it).
    """
    return writers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block


def ingest_file(
    lines: Iterable[str | bytes], *, on_rejected=None, writers: int | None = None
) -> Tally:
    """``import_events``: apply a JSON Lines stream; ``on_rejected(outcome)`` sees each rejection.

    On Postgres, outside a transaction of the caller, ``writers`` (default
    ``settings.IMPORT_WRITERS``) threads apply the order events, each on its own
    connection (``_apply_steps_parallel``), while a forked process parses
    (``_parsed_by_process``). Otherwise one connection applies them while a
    thread parses (``_prefetched``). Both decide and report exactly as the
    plain loop (``ingest``).
    """
    if writers is None:
        writers = settings.IMPORT_WRITERS
    tally = Tally()
    parallel = _writers_usable(writers)
    if parallel and _forking_is_safe():
        steps = _parsed_by_process(lines, CHUNK_SIZE)
    else:
        steps = _prefetched(_plan(decode_lines(lines), CHUNK_SIZE))
    if parallel:
        outcomes = _apply_steps_parallel(steps, source=EventSource.FILE, writers=writers)
    else:
        outcomes = _apply_steps(steps, source=EventSource.FILE)
    try:
        for outcome in outcomes:
            tally.add(outcome, keep=False)
            if outcome.status == REJECTED and on_rejected is not None:
                on_rejected(outcome)
    finally:  # at once, also after an error: the writers, then the parsing thread or process
        outcomes.close()
        steps.close()
    return tally


def ingest_objects(objects: list, *, source: str = EventSource.API) -> Tally:
    """``POST /api/events/``: apply a decoded JSON array; results numbered from 1."""
    tally = Tally()
    for outcome in ingest(enumerate(objects, start=1), source=source):
        tally.add(outcome, keep=True)
    return tally
