"""收款账户 services (issue 20, item 1): add, change, verify, reject — audited.

The holder name must match the party's real-name record (``Creator.real_name``:
Alipay's real name; ``Agency.real_name``: the company on the licence), entered by
operators in admin with the audit trail of the other verification flags. One
current account at a time; a change replaces it and needs verifying again.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from hotwave.exceptions import DomainError
from settlement.models import PayoutAccount, PayoutAccountStatus
from settlement.services.payout_accounts import (
    PayoutAccountError,
    payout_account_reject,
    payout_account_submit,
    payout_account_verify,
)
from tests.admission.factories import OperatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(creator, agency):
    creator.creator.real_name = "卡萝 王"
    creator.creator.save()
    agency.agency.real_name = "艾琳文化传媒有限公司"
    agency.agency.save()
    return creator, agency


def submit(user, **kw):
    data = {"method": "alipay", "holder_name": "卡萝王", "account_number": "138 0013 8000"}
    return payout_account_submit(actor=user, **{**data, **kw})


def refusal(user, **kw) -> tuple[str, str | None]:
    with pytest.raises(PayoutAccountError) as exc:
        submit(user, **kw)
    return exc.value.code, exc.value.field


def test_a_creator_adds_an_alipay_account_waiting_for_verification(named):
    creator, _ = named
    account = submit(creator, holder_name="卡萝王")  # spaces and width don't matter
    assert (account.status, account.account_number, account.masked_number) == (
        PayoutAccountStatus.PENDING,
        "13800138000",
        "138****8000",
    )


def test_an_agency_adds_a_bank_account_in_its_company_name(named):
    _, agency = named
    account = submit(
        agency,
        method="bank",
        holder_name="艾琳文化传媒有限公司",
        account_number="6222-0210-0100-1234-567",
        bank_name="工商银行杭州分行",
    )
    assert account.account_number == "6222021001001234567"
    assert account.masked_number == "**** 4567"


def test_the_name_must_match_the_real_name_record(named, creator, agency):
    assert refusal(creator, holder_name="别人") == ("payout_account.name_mismatch", "holder_name")
    assert refusal(
        agency,
        method="bank",
        holder_name="艾琳传媒",
        account_number="6222021001001234567",
        bank_name="工行",
    ) == ("payout_account.name_mismatch", "holder_name")


def test_without_a_real_name_record_no_account_can_be_added(other_creator):
    assert refusal(other_creator) == ("payout_account.no_record", "holder_name")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"account_number": "12345"}, "account_number"),
        ({"account_number": "not an email"}, "account_number"),
        ({"method": "bank", "account_number": "6222021001001234567"}, "bank_name"),
        ({"method": "bank", "account_number": "12ab", "bank_name": "工行"}, "account_number"),
        ({"method": "paypal"}, "method"),
    ],
)
def test_bad_numbers_and_methods_are_refused_at_their_field(named, creator, kw, field):
    assert refusal(creator, **kw)[1] == field


def test_only_creators_and_agencies_have_payout_accounts(merchant):
    assert refusal(merchant)[0] == "payout_account.not_payee"


def test_a_change_replaces_the_current_account_and_needs_verifying_again(named, operator):
    creator, _ = named
    first = payout_account_verify(account=submit(creator), operator=operator)
    again = submit(creator)  # the same account again: nothing changes
    assert again.pk == first.pk and again.status == PayoutAccountStatus.VERIFIED
    second = submit(creator, account_number="carol@example.com")
    first.refresh_from_db()
    assert first.status == PayoutAccountStatus.REPLACED and first.replaced_at
    assert second.status == PayoutAccountStatus.PENDING
    assert (
        PayoutAccount.objects.filter(user=creator, status__in=["pending", "verified"]).count() == 1
    )


def test_the_database_keeps_one_current_account(named):
    creator, _ = named
    account = submit(creator)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutAccount.objects.create(
            user=creator,
            method="alipay",
            holder_name="卡萝王",
            account_number="13900000000",
            submitted_at=account.submitted_at,
        )


def test_verification_is_audited_who_when_old_new(named, operator):
    creator, _ = named
    account = payout_account_verify(account=submit(creator), operator=operator)
    assert account.decided_by == operator and account.decided_at is not None
    last, before = account.history.all()[:2]
    assert (before.status, last.status) == ("pending", "verified")
    assert last.history_user == operator and before.history_user == creator
    assert last.history_date == account.history.latest().history_date


def test_verification_checks_the_name_again(named, operator):
    creator, _ = named
    account = submit(creator)
    creator.creator.real_name = "改名了"
    creator.creator.save()
    with pytest.raises(DomainError) as exc:
        payout_account_verify(account=account, operator=operator)
    assert exc.value.code == "payout_account.name_mismatch"


def test_rejection_needs_a_reason_and_is_final(named, operator):
    creator, _ = named
    account = submit(creator)
    with pytest.raises(DomainError):
        payout_account_reject(account=account, operator=operator, note="  ")
    rejected = payout_account_reject(account=account, operator=operator, note="户名不符")
    assert (rejected.status, rejected.decision_note) == ("rejected", "户名不符")
    with pytest.raises(DomainError):
        payout_account_verify(account=rejected, operator=operator)
    # A new submission after a rejection is a new current account.
    assert submit(creator, account_number="13900000001").status == "pending"


def test_only_operators_verify(named, merchant):
    creator, _ = named
    with pytest.raises(DomainError):
        payout_account_verify(account=submit(creator), operator=merchant)
    assert OperatorFactory().is_staff
