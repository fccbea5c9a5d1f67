"""seed_demo gives every admitted demo creator and agency a verified 收款账户 (SPEC §7),
so SPEC §6's payouts behave as before; demo_newbie (not admitted) gets none."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from admission.models import Role, User
from admission.selectors import admitted_users_q
from settlement import holds

pytestmark = pytest.mark.django_db


def _payees():
    return User.objects.filter(role__in=[Role.CREATOR, Role.AGENCY])


@pytest.mark.parametrize("args", [["--users-only"], []], ids=["users-only", "full"])
def test_every_admitted_demo_payee_has_a_verified_account(args):
    call_command("seed_demo", "--force", *args, verbosity=0)
    admitted = _payees().filter(admitted_users_q())
    assert {"demo_creator", "demo_streamer", "demo_agency"} <= set(
        admitted.values_list("username", flat=True)
    )
    for user in admitted:
        assert holds.holds_for(user) == [], user.username
        assert user.payout_accounts.get().status == "verified"
    newbie = User.objects.get(username="demo_newbie")
    assert not newbie.payout_accounts.exists()
    assert [r.code for r in holds.holds_for(newbie)] == [
        "not_admitted",
        "no_verified_payout_account",
    ]
    # Idempotent: a second seed adds no account.
    before = sorted(_payees().values_list("payout_accounts__pk", flat=True), key=str)
    call_command("seed_demo", "--force", *args, verbosity=0)
    assert sorted(_payees().values_list("payout_accounts__pk", flat=True), key=str) == before
