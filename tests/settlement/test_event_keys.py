"""An event's key is unique per order, and among the events without an order (migration 0016).

An order event's key hashes its order id, so unique per order is unique; the
database refuses a second event with a stored key, whatever the code does, on
every database (the constraints are partial unique indexes, SQLite has them too).
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from settlement.models import EventSource, OrderEvent
from settlement.services.events import ingest_objects
from settlement.services.events.decide import stored_event_keys
from tests.settlement.factories import OrderFactory, at, confirmed, paid

pytestmark = pytest.mark.django_db


def _event(key: str, order=None) -> OrderEvent:
    return OrderEvent(
        key=key,
        type="order.confirmed" if order is not None else "binding.ended",
        order=order,
        occurred_at=at("2026-10-06T10:00:00+08:00"),
        payload={},
        source=EventSource.FILE,
    )


def test_a_stored_key_of_the_same_order_is_refused():
    order = OrderFactory()
    _event("k1", order).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _event("k1", order).save()
    _event("k2", order).save()  # another key of the same order is another event
    assert set(order.events.values_list("key", flat=True)) == {"k1", "k2"}


def test_a_stored_key_without_an_order_is_refused():
    _event("b1").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _event("b1").save()


def test_stored_event_keys_are_those_of_the_orders_named():
    a, b = OrderFactory(), OrderFactory()
    _event("a1", a).save()
    _event("a2", a).save()
    _event("b1", b).save()
    _event("x1").save()
    assert stored_event_keys([a.pk]) == {"a1", "a2"}
    assert stored_event_keys([a.pk, b.pk]) == {"a1", "a2", "b1"}
    assert stored_event_keys([]) == set()


def test_an_event_replayed_later_is_a_duplicate_of_its_stored_order(merchant, creator):
    events = [
        paid("K-1", merchant, creator, "100.00", "0.20", "2026-10-05T10:00:00+08:00"),
        paid("K-2", merchant, creator, "50.00", "0.20", "2026-10-05T11:00:00+08:00"),
        confirmed("K-1", "2026-10-06T10:00:00+08:00"),
    ]
    first = ingest_objects(events)
    assert (first.accepted, first.duplicates, first.rejected) == (3, 0, 0)
    # Replayed in another request, alone and among new events: found through its order.
    again = ingest_objects([events[2], confirmed("K-2", "2026-10-06T11:00:00+08:00"), events[0]])
    assert (again.accepted, again.duplicates, again.rejected) == (1, 2, 0)
    assert OrderEvent.objects.filter(order__order_id="K-1").count() == 2
