"""The admission rules, table by table (SPEC §2). ``decide`` is pure: no database."""

from __future__ import annotations

import itertools

import pytest

from admission.models import AssessmentStatus, Role, SellerType, ShopStatus
from admission.rules import Facts, OperatingFacts, decide

pytestmark = pytest.mark.django_db  # reverse() of fix links only; decide reads no rows


def unmet(verdict) -> set[str]:
    return {c.code for c in verdict.unmet}


GOOD_OPS = OperatingFacts(username="ops", is_merchant=True, alipay_verified=True, signed=True)

# --- Taobao sellers: Alipay real-name, agreement signed, shop 正常 -------------------------

TAOBAO = [
    # alipay, signed, shop status, active -> admitted, unmet codes
    (True, True, ShopStatus.NORMAL, True, True, set()),
    (False, True, ShopStatus.NORMAL, True, False, {"alipay_verified"}),
    (True, False, ShopStatus.NORMAL, True, False, {"agreement_signed"}),
    (True, True, ShopStatus.RESTRICTED, True, False, {"shop_status_normal"}),
    (True, True, ShopStatus.CLOSED, True, False, {"shop_status_normal"}),
    (True, True, ShopStatus.NORMAL, False, False, {"account_active"}),
    (
        False,
        False,
        ShopStatus.CLOSED,
        True,
        False,
        {"alipay_verified", "agreement_signed", "shop_status_normal"},
    ),
]


@pytest.mark.parametrize("alipay,signed,status,active,admitted,codes", TAOBAO)
def test_taobao_seller(alipay, signed, status, active, admitted, codes):
    v = decide(
        Facts(
            role=Role.MERCHANT,
            seller_type=SellerType.TAOBAO,
            alipay_verified=alipay,
            signed=signed,
            shop_status=status,
            active=active,
        )
    )
    assert v.admitted is admitted
    assert unmet(v) == codes


@pytest.mark.parametrize(
    "alipay,signed,status",
    list(itertools.product([True, False], [True, False], list(ShopStatus))),
)
def test_taobao_every_combination(alipay, signed, status):
    v = decide(
        Facts(
            role=Role.MERCHANT,
            seller_type=SellerType.TAOBAO,
            alipay_verified=alipay,
            signed=signed,
            shop_status=status,
        )
    )
    assert v.admitted is (alipay and signed and status == ShopStatus.NORMAL)


# --- Tmall merchants: shop 正常, operating account verified and signed --------------------

TMALL = [
    (ShopStatus.NORMAL, GOOD_OPS, True, set()),
    (
        ShopStatus.NORMAL,
        None,
        False,
        {
            "operating_account_designated",
            "operating_account_alipay_verified",
            "operating_account_agreement_signed",
        },
    ),
    (
        ShopStatus.NORMAL,
        OperatingFacts("ops", True, alipay_verified=False, signed=True),
        False,
        {"operating_account_alipay_verified"},
    ),
    (
        ShopStatus.NORMAL,
        OperatingFacts("ops", True, alipay_verified=True, signed=False),
        False,
        {"operating_account_agreement_signed"},
    ),
    (
        ShopStatus.NORMAL,
        OperatingFacts("ops", False, alipay_verified=False, signed=False),
        False,
        {
            "operating_account_designated",
            "operating_account_alipay_verified",
            "operating_account_agreement_signed",
        },
    ),
    (ShopStatus.RESTRICTED, GOOD_OPS, False, {"shop_status_normal"}),
    (ShopStatus.CLOSED, GOOD_OPS, False, {"shop_status_normal"}),
]


@pytest.mark.parametrize("status,ops,admitted,codes", TMALL)
def test_tmall_merchant(status, ops, admitted, codes):
    # The Tmall shop's own Alipay flag and signature do not matter: its operating account's do.
    v = decide(
        Facts(
            role=Role.MERCHANT,
            seller_type=SellerType.TMALL,
            shop_status=status,
            operating=ops,
            alipay_verified=False,
            signed=False,
        )
    )
    assert v.admitted is admitted
    assert unmet(v) == codes


def test_tmall_pending_designation_is_named_in_the_message():
    v = decide(Facts(role=Role.MERCHANT, seller_type=SellerType.TMALL, operating_pending="ops_acc"))
    (designated,) = [c for c in v.unmet if c.code == "operating_account_designated"]
    assert "ops_acc" in designated.message
    assert designated.self_fixable


# --- Service side: any one route, plus the agreement for everyone ----------------------------


CREATOR = [
    # guangguang, alipay, level, signed -> admitted, unmet codes
    (True, False, 0, True, True, set()),  # route 1 alone
    (False, True, 1, True, True, set()),  # route 3 at the threshold
    (False, True, 6, True, True, set()),
    (True, True, 3, True, True, set()),  # both routes
    (False, True, 0, True, False, {"guangguang_eligible", "level_v1"}),
    (False, False, 3, True, False, {"guangguang_eligible", "alipay_verified"}),
    (False, False, 0, True, False, {"guangguang_eligible", "alipay_verified", "level_v1"}),
    (True, True, 3, False, False, {"agreement_signed"}),  # a route met, agreement missing
    (
        False,
        False,
        0,
        False,
        False,
        {"agreement_signed", "guangguang_eligible", "alipay_verified", "level_v1"},
    ),
]


@pytest.mark.parametrize("gg,alipay,level,signed,admitted,codes", CREATOR)
def test_creator(gg, alipay, level, signed, admitted, codes):
    v = decide(
        Facts(
            role=Role.CREATOR,
            guangguang_eligible=gg,
            alipay_verified=alipay,
            level=level,
            signed=signed,
        )
    )
    assert v.admitted is admitted
    assert unmet(v) == codes


@pytest.mark.parametrize(
    "gg,alipay,level,signed",
    list(itertools.product([True, False], [True, False], range(7), [True, False])),
)
def test_creator_every_combination(gg, alipay, level, signed):
    v = decide(
        Facts(
            role=Role.CREATOR,
            guangguang_eligible=gg,
            alipay_verified=alipay,
            level=level,
            signed=signed,
        )
    )
    assert v.admitted is (signed and (gg or (alipay and level >= 1)))
    # Admitted means nothing is reported missing, and vice versa.
    assert v.admitted is (v.unmet == [])


@pytest.mark.parametrize(
    "registered,licence,signed,admitted",
    [
        (True, True, True, True),
        (True, False, True, True),  # the route is registration; the licence is informative
        (False, True, True, False),
        (True, True, False, False),
        (False, False, False, False),
    ],
)
def test_agency(registered, licence, signed, admitted):
    v = decide(
        Facts(
            role=Role.AGENCY,
            registered_verified=registered,
            licence_verified=licence,
            signed=signed,
        )
    )
    assert v.admitted is admitted


PROVIDER = [
    # licence, linked, assessment, signed -> admitted, unmet
    (True, True, AssessmentStatus.APPROVED, True, True, set()),
    (False, True, AssessmentStatus.APPROVED, True, False, {"licence_verified"}),
    (True, False, AssessmentStatus.APPROVED, True, False, {"linked_entity"}),
    (True, True, None, True, False, {"assessment_approved"}),
    (True, True, AssessmentStatus.PENDING, True, False, {"assessment_approved"}),
    (True, True, AssessmentStatus.REJECTED, True, False, {"assessment_approved"}),
    (True, True, AssessmentStatus.APPROVED, False, False, {"agreement_signed"}),
]


@pytest.mark.parametrize("licence,linked,assessment,signed,admitted,codes", PROVIDER)
def test_provider(licence, linked, assessment, signed, admitted, codes):
    v = decide(
        Facts(
            role=Role.PROVIDER,
            licence_verified=licence,
            linked=linked,
            assessment=assessment,
            signed=signed,
        )
    )
    assert v.admitted is admitted
    assert unmet(v) == codes


@pytest.mark.parametrize(
    "assessment,actor",
    [
        (None, "self"),
        (AssessmentStatus.REJECTED, "self"),
        (AssessmentStatus.PENDING, "operator"),
    ],
)
def test_assessment_is_the_partys_move_until_requested(assessment, actor):
    v = decide(Facts(role=Role.PROVIDER, assessment=assessment, signed=True))
    (c,) = [c for c in v.unmet if c.code == "assessment_approved"]
    assert c.actor == actor


# --- Shape of the verdict ----------------------------------------------------------------


def test_operator_is_never_admitted():
    v = decide(Facts(role=Role.OPERATOR, has_profile=False))
    assert not v.admitted
    assert v.reasons == ["平台运营账户不参与合作"]


def test_party_without_profile_is_not_admitted():
    assert not decide(Facts(role=Role.CREATOR, has_profile=False)).admitted


def test_no_published_agreement_cannot_be_met():
    v = decide(
        Facts(role=Role.CREATOR, agreement_version=None, signed=True, guangguang_eligible=True)
    )
    assert not v.admitted
    assert unmet(v) == {"agreement_signed"}


def test_conditions_carry_codes_messages_links_and_who_can_fix():
    v = decide(Facts(role=Role.CREATOR, level=1))
    by_code = {c.code: c for c in v.conditions}
    assert by_code["agreement_signed"].self_fixable
    assert by_code["agreement_signed"].message == "未签署当前版本的授权协议（版本 2026.1）"
    assert by_code["alipay_verified"].awaiting_verification
    assert by_code["alipay_verified"].message == "支付宝实名认证待核实"
    assert by_code["alipay_verified"].how
    assert by_code["level_v1"].met
    for c in v.conditions:
        assert c.fix_url == f"/admission/#c-{c.code}"


def test_other_routes_gaps_are_irrelevant_once_one_route_is_met():
    v = decide(Facts(role=Role.CREATOR, signed=True, guangguang_eligible=True))
    assert v.admitted
    assert v.unmet == []
    assert v.route_met.code == "guangguang"
    # ... though the checklist still shows them.
    assert {c.code for c in v.conditions if not c.met} == {"alipay_verified", "level_v1"}


def test_reasons_name_the_route():
    v = decide(Facts(role=Role.CREATOR, signed=True, level=1))
    assert "任一准入路径「实名认证主播」：支付宝实名认证待核实" in v.reasons
    assert "任一准入路径「逛逛商单达人」：未开通逛逛商单资格" in v.reasons


def test_english_messages(settings):
    from django.utils import translation

    with translation.override("en"):
        v = decide(Facts(role=Role.CREATOR, signed=False, level=1))
    assert v.unmet  # translated when the catalogue has them; never empty
