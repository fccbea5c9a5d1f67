"""Ingestion of order and binding events (SPEC §6), shared by ``import_events`` and the API.

Each event is validated, then applied atomically or not at all:

* an event already applied (same normalised content → same ``key``) is a
  *duplicate* and skipped;
* one that contradicts what is stored, names an unknown party, has a bad
  amount or a rate outside 1%–80%, refunds more than remains, or confirms an
  unknown order is *rejected* with a reason and changes nothing.

Order events are applied in chunks: one transaction loads the chunk's orders
(locked), keys and parties, decides every event in order in memory, then
writes with a few bulk statements. If a concurrent writer got in first (a
unique key collides), the chunk is rolled back and replayed one event per
transaction, which then sees the other writer's rows. Binding events are rare
and applied one at a time, between chunks, so order events after them in the
stream see them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
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
from settlement.services.bulk import insert_rows

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"
CHUNK_SIZE = 5000

_EVENT_TYPES = frozenset(EventType.values)
ORDER_TYPES = {EventType.ORDER_PAID, EventType.ORDER_CONFIRMED, EventType.ORDER_REFUNDED}
BINDING_TYPES = {EventType.BINDING_STARTED, EventType.BINDING_ENDED}


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


# --- Parsing ----------------------------------------------------------------------


def _text(obj: dict, name: str, *, max_length: int = 64) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Reject(_("缺少字段 %(field)s") % {"field": name}, "missing_field")
    value = value.strip()
    if "\x00" in value:
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


def parse_event(line: int, obj: object, raw: str | None = None) -> Parsed:
    """Validate one event object; raises Reject with a readable reason."""
    if not isinstance(obj, dict):
        raise Reject(_("事件必须是 JSON 对象"), "not_object")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in _EVENT_TYPES:
        raise Reject(_("未知的事件类型：%(t)s") % {"t": str(kind)[:40]}, "unknown_type")
    at = _at(obj)
    iso = at.isoformat()
    p = Parsed(line=line, type=kind, key="", at=at, payload=obj, raw=raw)
    if kind == EventType.ORDER_PAID:
        p.order_id = _text(obj, "order_id")
        p.merchant = _text(obj, "merchant", max_length=150)
        p.creator = _text(obj, "creator", max_length=150)
        p.product = _text(obj, "product")
        p.amount = _amount(obj)
        rate = _decimal(obj, "service_fee_rate", places=4)
        if not MIN_RATE <= rate <= MAX_RATE:
            raise Reject(
                _("服务费率须在 1%% 到 80%% 之间：%(v)s") % {"v": obj["service_fee_rate"]},
                "bad_rate",
            )
        p.rate = rate.quantize(Decimal("0.0001"))
        p.key = _key(kind, p.order_id, p.merchant, p.creator, p.product, p.amount, p.rate, iso)
    elif kind == EventType.ORDER_CONFIRMED:
        p.order_id = _text(obj, "order_id")
        p.key = _key(kind, p.order_id, iso)
    elif kind == EventType.ORDER_REFUNDED:
        p.order_id = _text(obj, "order_id")
        p.amount = _amount(obj)
        p.key = _key(kind, p.order_id, p.amount, iso)
    elif kind == EventType.BINDING_STARTED:
        p.creator = _text(obj, "creator", max_length=150)
        p.agency = _text(obj, "agency", max_length=150)
        share = _decimal(obj, "agency_share", places=4)
        if not Decimal("0") <= share <= Decimal("1"):
            raise Reject(
                _("机构分成比例须在 0 到 1 之间：%(v)s") % {"v": obj["agency_share"]}, "bad_share"
            )
        p.share = share.quantize(Decimal("0.0001"))
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
            cursor.execute("SELECT key FROM settlement_orderevent WHERE key = ANY(%s)", [keys])
            return {row[0] for row in cursor.fetchall()}
    return set(OrderEvent.objects.filter(key__in=keys).values_list("key", flat=True))


def _locked_orders(order_ids: set[str]) -> dict[str, _O]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {', '.join(_O_FIELDS)} FROM settlement_order "  # noqa: S608 - fixed names
                "WHERE order_id = ANY(%s) ORDER BY id FOR UPDATE",  # one lock order: no deadlock
                [list(order_ids)],
            )
            rows = cursor.fetchall()
    else:
        rows = Order.objects.filter(order_id__in=order_ids).values_list("id", *_O_FIELDS)
    return {row[1]: _O(*row) for row in rows}


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


class _Chunk:
    """Decides a list of parsed order events against the stored state, in memory."""

    def __init__(self, events: list[Parsed], *, source: str):
        self.events = events
        self.source = source

    def run(self) -> list[Outcome]:
        with transaction.atomic():
            outcomes = self._decide()
            self._write()
        return outcomes

    def _decide(self) -> list[Outcome]:
        events = self.events
        # Lock the chunk's stored orders: a concurrent refund waits, so "what remains" holds.
        self.orders: dict[str, _O] = _locked_orders({p.order_id for p in events})
        # An order event is stored with its order in one transaction, so only events of
        # orders already stored can be duplicates: look up just those keys.
        self.seen = _existing_keys([p.key for p in events if p.order_id in self.orders])
        paid = [p for p in events if p.type == EventType.ORDER_PAID]
        self.merchants = dict(
            Merchant.objects.filter(user__username__in={p.merchant for p in paid}).values_list(
                "user__username", "pk"
            )
        )
        self.creators = dict(
            Creator.objects.filter(user__username__in={p.creator for p in paid}).values_list(
                "user__username", "pk"
            )
        )
        if connection.vendor == "postgresql" and self.creators:
            # Share-lock the creators being paid: a concurrent binding change of one of them
            # (which takes the creator row FOR UPDATE) waits, so the frozen rule stays true.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT user_id FROM admission_creator WHERE user_id = ANY(%s) "
                    "ORDER BY user_id FOR SHARE",
                    [sorted(self.creators.values())],
                )
        self.bindings: dict[int, list[Binding]] = {}
        for b in Binding.objects.filter(
            creator_id__in=set(self.creators.values()), valid_from__isnull=False
        ):
            self.bindings.setdefault(b.creator_id, []).append(b)
        self.new_orders: list[_O] = []
        self.dirty: dict[str, _O] = {}
        self.rows: list[tuple[Parsed, _O]] = []
        outcomes = []
        for p in events:
            if p.key in self.seen:
                outcomes.append(Outcome(p.line, DUPLICATE, p.type))
                continue
            try:
                order = self._apply(p)
            except Reject as r:
                outcomes.append(Outcome(p.line, REJECTED, p.type, r.reason, r.code))
                continue
            self.seen.add(p.key)
            self.rows.append((p, order))
            outcomes.append(Outcome(p.line, ACCEPTED, p.type))
        return outcomes

    def _apply(self, p: Parsed) -> _O:
        order = self.orders.get(p.order_id)
        if p.type == EventType.ORDER_PAID:
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
            binding = next((b for b in self.bindings.get(creator_id, []) if b.covers(p.at)), None)
            order = _O(
                pk=None,
                order_id=p.order_id,
                merchant_id=merchant_id,
                creator_id=creator_id,
                product_sku=p.product,
                amount=p.amount,
                refunded=ZERO,
                service_fee_rate=p.rate,
                paid_at=p.at,
                confirmed_at=None,
                status=OrderStatus.PAID,
                rule=Rule.AGENCY if binding else Rule.INDIVIDUAL,
                binding_id=binding.pk if binding else None,
                agency_id=binding.agency_id if binding else None,
                agency_share=binding.agency_share if binding else None,
            )
            self.orders[p.order_id] = order
            self.new_orders.append(order)
            return order
        if order is None:
            if p.type == EventType.ORDER_CONFIRMED:
                raise Reject(
                    _("确认收货的订单不存在：%(id)s") % {"id": p.order_id}, "unknown_order"
                )
            raise Reject(_("退款的订单不存在：%(id)s") % {"id": p.order_id}, "unknown_order")
        if p.at < order.paid_at:
            raise Reject(
                _("事件时间早于订单 %(id)s 的支付时间") % {"id": p.order_id}, "contradiction"
            )
        if p.type == EventType.ORDER_CONFIRMED:
            if order.confirmed_at is not None:
                raise Reject(
                    _("与已存储的订单 %(id)s 矛盾（已于 %(at)s 确认收货）")
                    % {"id": p.order_id, "at": order.confirmed_at.isoformat()},
                    "contradiction",
                )
            order.confirmed_at = p.at
            order.status = OrderStatus.CONFIRMED
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


def _apply_order_events(events: list[Parsed], *, source: str, attempt: int = 1) -> list[Outcome]:
    try:
        return _Chunk(events, source=source).run()
    except OperationalError as exc:
        # A deadlock with a concurrent writer (Postgres picked us as the victim): retry.
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "40P01" and attempt < 4:
            return _apply_order_events(events, source=source, attempt=attempt + 1)
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
    out: list[Outcome] = []
    for p in events:
        out.extend(_apply_order_events([p], source=source))
    return out


# --- Binding events ---------------------------------------------------------------


def _apply_binding_event(p: Parsed, *, source: str) -> Outcome:
    try:
        with transaction.atomic():
            if OrderEvent.objects.filter(key=p.key).exists():
                return Outcome(p.line, DUPLICATE, p.type)
            creator = Creator.objects.filter(user__username=p.creator).first()
            if creator is None:
                raise Reject(_("未知的达人：%(u)s") % {"u": p.creator}, "unknown_party")
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


def ingest(
    items: Iterable[tuple[int, object]], *, source: str, chunk_size: int = CHUNK_SIZE
) -> Iterator[Outcome]:
    """Apply numbered events in order, yielding one Outcome per event.

    ``items`` yields (line number, decoded JSON object or a Reject for a line
    that did not parse[, the line's JSON text]). Memory stays bounded by ``chunk_size``.
    """
    chunk: list[Parsed] = []
    for line, obj, *raw in items:
        if isinstance(obj, Reject):
            yield Outcome(line, REJECTED, "", obj.reason, obj.code)
            continue
        try:
            p = parse_event(line, obj, raw[0] if raw else None)
        except Reject as r:
            t = obj.get("type", "") if isinstance(obj, dict) else ""
            yield Outcome(line, REJECTED, str(t)[:32], r.reason, r.code)
            continue
        if p.type in BINDING_TYPES:
            if chunk:
                yield from _apply_order_events(chunk, source=source)
                chunk = []
            yield _apply_binding_event(p, source=source)
            continue
        chunk.append(p)
        if len(chunk) >= chunk_size:
            yield from _apply_order_events(chunk, source=source)
            chunk = []
    if chunk:
        yield from _apply_order_events(chunk, source=source)


def decode_lines(lines: Iterable[str | bytes]) -> Iterator[tuple]:
    """(line number, JSON object | Reject[, text]) for each non-blank line of a JSON Lines stream."""
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            yield number, json.loads(text), text.strip()
        except ValueError:
            yield number, Reject(_("不是合法的 JSON"), "bad_json")


def ingest_file(lines: Iterable[str | bytes], *, on_rejected=None) -> Tally:
    """``import_events``: apply a JSON Lines stream; ``on_rejected(outcome)`` sees each rejection."""
    tally = Tally()
    for outcome in ingest(decode_lines(lines), source=EventSource.FILE):
        tally.add(outcome, keep=False)
        if outcome.status == REJECTED and on_rejected is not None:
            on_rejected(outcome)
    return tally


def ingest_objects(objects: list, *, source: str = EventSource.API) -> Tally:
    """``POST /api/events/``: apply a decoded JSON array; results numbered from 1."""
    tally = Tally()
    for outcome in ingest(enumerate(objects, start=1), source=source):
        tally.add(outcome, keep=True)
    return tally
