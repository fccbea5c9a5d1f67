"""Personas and shared fixtures.

Personas mirror the product's parties: ``merchant`` and ``other_merchant``,
``creator`` (individual), ``agency`` with its bound ``agency_creator`` (the
binding itself is created by settlement fixtures when needed), ``other_agency``,
``operator`` and ``anonymous``. Each persona fixture returns the *User*; its
profile is ``user.merchant`` / ``user.creator`` / ….

Markers ``postgres``, ``redis`` and ``celery_worker`` skip when the service is
not configured — unless HOTWAVE_REQUIRE_SERVICES=1 (CI), where a missing
service fails the test instead of skipping it.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
)

REQUIRE_SERVICES = os.environ.get("HOTWAVE_REQUIRE_SERVICES") == "1"


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if marker in ("redis", "celery_worker") and not settings.REDIS_URL:
        return "needs Redis (set REDIS_URL=redis://…)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "celery_worker"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"HOTWAVE_REQUIRE_SERVICES=1 but this test {reason}")
            pytest.skip(reason)


@pytest.fixture
def merchant(db):
    return MerchantFactory(user__username="alice_shop", shop_name="爱丽丝的店").user


@pytest.fixture
def other_merchant(db):
    return MerchantFactory(user__username="bob_shop", shop_name="鲍勃的店").user


@pytest.fixture
def creator(db):
    return CreatorFactory(user__username="carol", nickname="卡萝").user


@pytest.fixture
def other_creator(db):
    return CreatorFactory(user__username="dave", nickname="戴夫").user


@pytest.fixture
def agency(db):
    return AgencyFactory(user__username="erin_mcn", name="艾琳传媒").user


@pytest.fixture
def other_agency(db):
    return AgencyFactory(user__username="frank_mcn", name="弗兰克传媒").user


@pytest.fixture
def agency_creator(db):
    """A creator meant to be bound to ``agency`` (bind with settlement's fixtures)."""
    return CreatorFactory(user__username="gina", nickname="吉娜").user


@pytest.fixture
def operator(db):
    return OperatorFactory(username="olivia_ops")


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client logged in as that user."""

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make
