"""Orders' and events' references, kept by the database per statement on Postgres.

Migration 0007_references_per_statement replaces the per-row foreign keys of
``settlement_order`` (merchant, creator, agency, binding) and
``settlement_orderevent.order`` with statement-level checks, frozen references
and delete guards. Each test here is
something the foreign keys refused, refused still — by raw SQL as well as the
ORM, and through COPY, the import's path — plus the race a foreign key's row
lock closed: a party deleted while an order naming it is being written.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, connections, transaction

from settlement.models import Order, OrderEvent
from settlement.services.events.pg_text import copy_text
from tests.admission.factories import AgencyFactory, CreatorFactory, MerchantFactory
from tests.settlement.factories import BindingFactory, OrderFactory, at

pytestmark = pytest.mark.postgres

MISSING = 987_654_321


def _sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _event(order_id) -> OrderEvent:
    return OrderEvent(
        key=f"k-{order_id}-{time.monotonic_ns()}",
        type="order.confirmed",
        order_id=order_id,
        occurred_at=at("2026-10-06 10:00"),
        payload={},
        source="file",
    )


@pytest.mark.django_db
def test_the_per_row_foreign_keys_are_replaced_by_statement_checks():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
            "WHERE c.contype = 'f' AND c.conrelid = ANY "
            "(ARRAY['settlement_order'::regclass, 'settlement_orderevent'::regclass])"
        )
        foreign_keys = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {row[0] for row in cursor.fetchall()}
    assert foreign_keys == {"binding_id"}  # the event's binding: a rare, single-row write
    assert {
        "settlement_orderevent_order_exists_ins",
        "settlement_orderevent_order_exists_upd",
        "settlement_order_no_delete",
        "settlement_order_no_renumber",
        "settlement_order_parties_exist",
        "settlement_order_parties_frozen",
        "settlement_order_reference_kept_del",
        "settlement_order_reference_kept_upd",
    } <= triggers


@pytest.mark.django_db
def test_an_event_must_name_an_existing_order():
    order = OrderFactory()
    _event(order.pk).save()  # a real order: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        _event(MISSING).save()
    with pytest.raises(IntegrityError), transaction.atomic():  # the import's path
        copy_text(
            "settlement_orderevent",
            ("key", "type", "order_id", "occurred_at", "payload", "source", "received_at"),
            [
                f"a\torder.confirmed\t{order.pk}\t2026-10-06T02:00:00+00:00\t{{}}\tfile\tnow\n",
                f"b\torder.confirmed\t{MISSING}\t2026-10-06T02:00:00+00:00\t{{}}\tfile\tnow\n",
            ],
        )
    with pytest.raises(IntegrityError):
        _sql("UPDATE settlement_orderevent SET order_id = %s", [MISSING])
    assert OrderEvent.objects.get().order_id == order.pk


@pytest.mark.django_db
def test_orders_are_never_deleted_nor_renumbered():
    order = OrderFactory()  # no events, no journals: only the trigger stands in the way
    with pytest.raises(IntegrityError), transaction.atomic():
        order.delete()
    with pytest.raises(IntegrityError):
        _sql("DELETE FROM settlement_order")
    with pytest.raises(IntegrityError):
        _sql("UPDATE settlement_order SET id = id + 1000")
    _sql("UPDATE settlement_order SET id = id")  # not a renumbering
    assert Order.objects.filter(pk=order.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["merchant_id", "creator_id", "agency_id", "binding_id"])
def test_an_order_must_name_existing_parties_and_binding(column):
    binding = BindingFactory()
    references = {
        "merchant_id": MerchantFactory().pk,
        "creator_id": binding.creator_id,
        "agency_id": binding.agency_id,
        "binding_id": binding.pk,
    }
    fields = {
        "product_sku": "SKU-1",
        "amount": "100.00",
        "service_fee_rate": "0.2000",
        "paid_at": at("2026-10-05 20:00"),
        "rule": "agency",
        "agency_share": binding.agency_share,
    }
    Order.objects.create(order_id="R0", **fields, **references)  # all exist: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(order_id="R1", **fields, **(references | {column: MISSING}))
    assert list(Order.objects.values_list("order_id", flat=True)) == ["R0"]


@pytest.mark.django_db
def test_an_orders_parties_and_binding_never_change():
    order = OrderFactory(bound=BindingFactory())
    other = BindingFactory()
    for column, value in [
        ("merchant_id", MerchantFactory().pk),
        ("creator_id", other.creator_id),
        ("agency_id", other.agency_id),
        ("binding_id", other.pk),
    ]:
        with pytest.raises(IntegrityError):
            _sql(f"UPDATE settlement_order SET {column} = %s", [value])  # noqa: S608 - fixed
    # Everything else of an order moves as before, also through a save of every field.
    order.refunded = D("1.00")
    order.save()
    order.refresh_from_db()
    assert order.refunded == D("1.00") and order.binding_id != other.pk


@pytest.mark.django_db
def test_a_party_or_binding_that_orders_name_is_never_deleted_nor_renumbered():
    order = OrderFactory(bound=BindingFactory())
    for table, key, value in [
        ("admission_merchant", "user_id", order.merchant_id),
        ("admission_creator", "user_id", order.creator_id),
        ("admission_agency", "user_id", order.agency_id),
        ("settlement_binding", "id", order.binding_id),
    ]:
        with pytest.raises(IntegrityError):
            _sql(f"DELETE FROM {table} WHERE {key} = %s", [value])  # noqa: S608 - fixed names
        with pytest.raises(IntegrityError):
            _sql(f"UPDATE {table} SET {key} = %s WHERE {key} = %s", [MISSING, value])  # noqa: S608
    # Parties no order names come and go as before.
    idle = [MerchantFactory(credit_limit=0), CreatorFactory(), AgencyFactory()]
    for party in idle:
        _sql(
            f"DELETE FROM {party._meta.db_table} WHERE user_id = %s",  # noqa: S608 - fixed names
            [party.pk],
        )


@pytest.mark.django_db(transaction=True)
def test_a_party_deleted_while_an_order_naming_it_is_written_waits_and_is_refused():
    """The foreign key's check locked the party; the statement check does too."""
    merchant = MerchantFactory()
    creator = CreatorFactory()
    inserted = threading.Event()
    outcome: dict = {}

    def writer():
        try:
            with transaction.atomic():
                OrderFactory(merchant=merchant, creator=creator)
                inserted.set()
                # Hold the transaction open until the delete below is seen waiting.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not outcome.get("waiting"):
                    time.sleep(0.05)
        finally:
            connections.close_all()

    def deleter():
        try:
            inserted.wait(10)
            with connection.cursor() as cursor:
                outcome["pid"] = connection.connection.info.backend_pid
                cursor.execute("DELETE FROM admission_merchant WHERE user_id = %s", [merchant.pk])
            outcome["deleted"] = True
        except IntegrityError as exc:
            outcome["refused"] = str(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=deleter)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not outcome.get("waiting"):
        time.sleep(0.05)
        if "pid" in outcome:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [outcome["pid"]]
                )
                row = cursor.fetchone()
            outcome["waiting"] = bool(row and row[0] == "Lock")
    for t in threads:
        t.join(20)
    assert outcome.get("waiting"), "the delete waited for the order's transaction"
    assert "never deleted" in outcome.get("refused", ""), outcome
    assert Order.objects.filter(merchant_id=merchant.pk).count() == 1
