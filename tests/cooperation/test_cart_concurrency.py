"""Two clicks at once on 加入带货车 make one cart item (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cooperation.models import CartItem
from cooperation.services.cart import cart_add
from tests.admission.factories import CreatorFactory
from tests.cooperation.factories import ProductFactory, admit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_make_one_item():
    creator = CreatorFactory()
    admit(creator.user)
    product = ProductFactory()
    barrier = threading.Barrier(4)
    results, errors = [], []

    def click():
        try:
            barrier.wait()
            results.append(cart_add(creator=creator, product=product)[1])
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert CartItem.objects.filter(creator=creator, product=product).count() == 1
    assert results.count(True) == 1 and results.count(False) == 3
