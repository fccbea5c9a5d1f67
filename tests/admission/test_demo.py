"""Demo data: the seven users in the states SPEC §6 names; idempotent; every state present."""

from __future__ import annotations

import pytest

from admission import demo, rules, selectors
from admission.models import (
    Activity,
    AgreementSignature,
    Assessment,
    Merchant,
    OperatingAccountRequest,
    ProductPermission,
    RestrictedProduct,
    Role,
    User,
)

pytestmark = pytest.mark.django_db

ADMITTED = ["demo_merchant", "demo_tmall", "demo_creator", "demo_streamer", "demo_agency"]


def test_users_only_creates_the_demo_users_with_their_admission_data():
    demo.seed(users_only=True, context=(ctx := {}))
    assert set(ctx["users"]) == {*ADMITTED, "demo_newbie", "demo_operator", "demo_tmall_ops"}
    assert set(User.objects.values_list("username", flat=True)) == set(ctx["users"])
    for name in ADMITTED:
        assert rules.evaluate(ctx["users"][name]).admitted, name
    assert not RestrictedProduct.objects.exists() and not Activity.objects.exists()


def test_newbie_is_a_creator_not_admitted_who_can_fix_part_itself():
    users = demo.seed_users()
    newbie = users["demo_newbie"]
    assert newbie.role == Role.CREATOR
    verdict = rules.evaluate(newbie)
    assert not verdict.admitted
    assert [c.code for c in verdict.self_fixable] == ["agreement_signed"]
    assert "alipay_verified" in [c.code for c in verdict.awaiting]
    assert users["demo_operator"].is_staff and not users["demo_operator"].is_superuser


def test_seeding_twice_creates_nothing_new():
    demo.seed(users_only=False, context={})
    counts = [
        m.objects.count()
        for m in (
            User,
            AgreementSignature,
            Assessment,
            Activity,
            RestrictedProduct,
            ProductPermission,
            OperatingAccountRequest,
        )
    ]
    demo.seed(users_only=False, context={})
    assert counts == [
        m.objects.count()
        for m in (
            User,
            AgreementSignature,
            Assessment,
            Activity,
            RestrictedProduct,
            ProductPermission,
            OperatingAccountRequest,
        )
    ]


def test_the_world_has_parties_in_every_interesting_state():
    demo.seed(users_only=False, context={})
    seen: set[str] = set()
    admitted_routes: set[str] = set()
    for user in User.objects.exclude(role=Role.OPERATOR):
        v = rules.evaluate(user)
        seen |= {c.code for c in v.unmet}
        if v.admitted and v.route_met:
            admitted_routes.add(v.route_met.code)
    assert {"guangguang", "realname", "agency", "provider"} <= admitted_routes
    assert {
        "agreement_signed",
        "alipay_verified",
        "shop_status_normal",
        "operating_account_designated",
        "agency_registered",
        "licence_verified",
        "assessment_approved",
        "level_v1",
    } <= seen
    assert (
        Merchant.objects.filter(seller_type="tmall")
        .filter(selectors.admitted_q("merchant"))
        .exists()
    )
