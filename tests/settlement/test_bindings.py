"""Binding services (invitation → consent → end) and the database's no-overlap guarantee."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from settlement.commission import binding_in_force
from settlement.models import Binding, BindingStatus
from settlement.services.bindings import (
    BindingError,
    binding_accept,
    binding_decline,
    binding_end,
    binding_invite,
    binding_withdraw,
)
from tests.settlement.factories import BindingFactory, OrderFactory, at


def invite(agency, creator, share="0.30", **kw):
    return binding_invite(
        agency=agency.agency, creator=creator.creator, agency_share=D(share), actor=agency, **kw
    )


def test_invite_accept_end(agency, agency_creator):
    b = invite(agency, agency_creator, message="欢迎加入")
    assert b.status == BindingStatus.INVITED and b.valid_from is None
    assert binding_in_force(agency_creator.creator) is None
    binding_accept(binding=b, actor=agency_creator, at=at("2026-10-01 10:00"))
    b.refresh_from_db()
    assert b.status == BindingStatus.ACTIVE
    assert b.valid_from == b.consented_at == at("2026-10-01 10:00")
    assert binding_in_force(agency_creator.creator, at("2026-10-02 00:00")) == b
    binding_end(binding=b, actor=agency, at=at("2026-11-01 00:00"))
    b.refresh_from_db()
    assert (b.status, b.valid_to, b.ended_by) == (
        BindingStatus.ENDED,
        at("2026-11-01 00:00"),
        agency,
    )
    assert binding_in_force(agency_creator.creator, at("2026-11-01 00:00")) is None


def test_new_share_is_a_new_agreement_needing_consent(agency, agency_creator):
    first = invite(agency, agency_creator, "0.30")
    binding_accept(binding=first, actor=agency_creator, at=at("2026-10-01 10:00"))
    second = invite(agency, agency_creator, "0.40", at=at("2026-10-05 10:00"))
    # Until the creator consents, the old share stays in force.
    assert binding_in_force(agency_creator.creator, at("2026-10-06 00:00")) == first
    binding_accept(binding=second, actor=agency_creator, at=at("2026-10-10 10:00"))
    first.refresh_from_db()
    assert first.status == BindingStatus.ENDED and first.valid_to == at("2026-10-10 10:00")
    assert binding_in_force(agency_creator.creator, at("2026-10-10 10:00")) == second
    assert binding_in_force(agency_creator.creator, at("2026-10-10 09:59")) == first


def test_accepting_another_agency_ends_the_current_binding(agency, other_agency, agency_creator):
    binding_accept(binding=invite(agency, agency_creator), actor=agency_creator)
    other = invite(other_agency, agency_creator, "0.10")
    binding_accept(binding=other, actor=agency_creator)
    assert Binding.objects.filter(status=BindingStatus.ACTIVE).get() == other
    assert Binding.objects.filter(status=BindingStatus.ENDED).count() == 1


def test_decline_and_withdraw(agency, agency_creator):
    b = invite(agency, agency_creator)
    binding_decline(binding=b, actor=agency_creator)
    assert Binding.objects.get(pk=b.pk).status == BindingStatus.DECLINED
    b2 = invite(agency, agency_creator)
    binding_withdraw(binding=b2, actor=agency)
    assert Binding.objects.get(pk=b2.pk).status == BindingStatus.WITHDRAWN
    with pytest.raises(BindingError):
        binding_accept(binding=b2, actor=agency_creator)


def test_only_the_right_party_acts(agency, other_agency, agency_creator, creator):
    with pytest.raises(BindingError):
        binding_invite(
            agency=agency.agency, creator=creator.creator, agency_share=D("0.3"), actor=other_agency
        )
    b = invite(agency, agency_creator)
    with pytest.raises(BindingError):
        binding_accept(binding=b, actor=creator)
    with pytest.raises(BindingError):
        binding_accept(binding=b, actor=agency)
    with pytest.raises(BindingError):
        binding_withdraw(binding=b, actor=agency_creator)
    binding_accept(binding=b, actor=agency_creator)
    with pytest.raises(BindingError):
        binding_end(binding=b, actor=other_agency)


@pytest.mark.parametrize("share", ["-0.01", "1.0001", "0.12345"])
def test_share_must_be_0_to_100_percent(agency, agency_creator, share):
    with pytest.raises(BindingError):
        invite(agency, agency_creator, share)


def test_one_pending_invitation_per_pair(agency, agency_creator):
    invite(agency, agency_creator)
    with pytest.raises(BindingError):
        invite(agency, agency_creator, "0.5")


def test_ending_before_frozen_orders_is_refused(agency, agency_creator, merchant):
    b = BindingFactory(
        creator=agency_creator.creator, agency=agency.agency, valid_from=at("2026-10-01 00:00")
    )
    OrderFactory(bound=b, merchant=merchant.merchant, paid_at=at("2026-10-20 10:00"))
    with pytest.raises(BindingError):
        binding_end(binding=b, actor=agency, at=at("2026-10-10 00:00"))


# --- The database refuses overlaps (exclusion constraint on Postgres, triggers on SQLite) ---


def test_database_refuses_overlapping_intervals(agency, other_agency, agency_creator):
    BindingFactory(
        creator=agency_creator.creator,
        agency=agency.agency,
        valid_from=at("2026-10-01 00:00"),
        valid_to=at("2026-11-01 00:00"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BindingFactory(
            creator=agency_creator.creator,
            agency=other_agency.agency,
            valid_from=at("2026-10-31 23:59"),
            valid_to=at("2026-12-01 00:00"),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BindingFactory(  # open-ended, starting before the closed one ends
            creator=agency_creator.creator,
            agency=other_agency.agency,
            valid_from=at("2026-09-01 00:00"),
        )
    # Touching intervals are fine: [Oct, Nov) and [Nov, ∞).
    BindingFactory(
        creator=agency_creator.creator,
        agency=other_agency.agency,
        valid_from=at("2026-11-01 00:00"),
    )


def test_database_refuses_two_open_bindings(agency, other_agency, agency_creator):
    BindingFactory(
        creator=agency_creator.creator, agency=agency.agency, valid_from=at("2026-10-01 00:00")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BindingFactory(
            creator=agency_creator.creator,
            agency=other_agency.agency,
            valid_from=at("2027-10-01 00:00"),
        )


def test_database_refuses_an_update_into_overlap(agency, other_agency, agency_creator):
    BindingFactory(
        creator=agency_creator.creator,
        agency=agency.agency,
        valid_from=at("2026-10-01 00:00"),
        valid_to=at("2026-11-01 00:00"),
    )
    later = BindingFactory(
        creator=agency_creator.creator,
        agency=other_agency.agency,
        valid_from=at("2026-12-01 00:00"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Binding.objects.filter(pk=later.pk).update(valid_from=at("2026-10-15 00:00"))


def test_other_creators_do_not_conflict(agency, agency_creator, creator):
    BindingFactory(creator=agency_creator.creator, agency=agency.agency)
    BindingFactory(creator=creator.creator, agency=agency.agency)
    assert Binding.objects.count() == 2


def test_the_rows_are_the_audit_trail(agency, other_agency, agency_creator):
    """Issue #8 item 13: bindings keep their whole history as rows — who proposed which
    share when, who consented when, when each agreement was in force and who ended it.
    Nothing is deleted or re-pointed; a share change is a new row."""
    first = invite(agency, agency_creator, "0.30", at=at("2026-09-01 09:00"))
    binding_accept(binding=first, actor=agency_creator, at=at("2026-09-02 10:00"))
    second = invite(agency, agency_creator, "0.40", at=at("2026-10-01 09:00"))
    binding_accept(binding=second, actor=agency_creator, at=at("2026-10-03 10:00"))
    declined = invite(other_agency, agency_creator, "0.10", at=at("2026-10-05 09:00"))
    binding_decline(binding=declined, actor=agency_creator, at=at("2026-10-05 12:00"))
    binding_end(binding=second, actor=agency_creator, at=at("2026-11-01 00:00"))

    trail = list(
        Binding.objects.filter(creator=agency_creator.creator)
        .order_by("invited_at")
        .values_list(
            "agency_id", "agency_share", "status", "invited_by_id", "invited_at",
            "responded_at", "consented_at", "valid_from", "valid_to", "ended_by_id",
        )
    )  # fmt: skip
    assert trail == [
        (agency.pk, D("0.3000"), BindingStatus.ENDED, agency.pk, at("2026-09-01 09:00"),
         at("2026-09-02 10:00"), at("2026-09-02 10:00"), at("2026-09-02 10:00"),
         at("2026-10-03 10:00"), agency_creator.pk),
        (agency.pk, D("0.4000"), BindingStatus.ENDED, agency.pk, at("2026-10-01 09:00"),
         at("2026-10-03 10:00"), at("2026-10-03 10:00"), at("2026-10-03 10:00"),
         at("2026-11-01 00:00"), agency_creator.pk),
        (other_agency.pk, D("0.1000"), BindingStatus.DECLINED, other_agency.pk,
         at("2026-10-05 09:00"), at("2026-10-05 12:00"), None, None, None, None),
    ]  # fmt: skip
