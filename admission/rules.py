"""The admission rules (SPEC §2), in one place.

``evaluate(user)`` reads the party's current data (:func:`load_facts`) and hands
it to :func:`decide`, a pure function of those facts: no database, no clock.
Tests drive :func:`decide` with tables of facts; the set-based twin used for
lists at scale (``admission.selectors``) is checked against it.

Who must satisfy what (see docs/ADMISSION.md for the reasoning):

* every party: an active account and a signature of the *current* version of
  the authorization agreement — except a Tmall merchant, whose designated
  operating account signs for it;
* Taobao seller: Alipay real-name verified, shop status 正常;
* Tmall merchant: shop status 正常, a designated operating account that is
  Alipay real-name verified and has signed;
* creator / agency / provider: ANY one route of
  (1) 逛逛 commercial-order eligibility (creator),
  (2) registered in the agency back office (agency),
  (3) Alipay real-name verified and streamer level ≥ V1 (creator),
  (4) verified business licence of the linked agency or company (provider);
* provider (a special account type): an approved operator assessment (考核).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admission.models import (
    Agency,
    Agreement,
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    Creator,
    DesignationStatus,
    Merchant,
    OperatingAccountRequest,
    Provider,
    Role,
    SellerType,
    ShopStatus,
    User,
)

SELF = "self"  # the party can fix it on its 准入中心
OPERATOR = "operator"  # only an operator can change it (verification from outside systems)

# Special account types that need an operator assessment (考核) before admission.
ASSESSED_ROLES = frozenset({Role.PROVIDER})
MIN_CREATOR_LEVEL = 1

# Every condition code with its requirement, for lists and filters (admin, docs).
CONDITION_LABELS = {
    "account_active": gettext_lazy("账户状态正常"),
    "agreement_signed": gettext_lazy("签署授权协议"),
    "alipay_verified": gettext_lazy("支付宝实名认证"),
    "shop_status_normal": gettext_lazy("店铺状态正常"),
    "operating_account_designated": gettext_lazy("指定运营账户"),
    "operating_account_alipay_verified": gettext_lazy("运营账户支付宝实名认证"),
    "operating_account_agreement_signed": gettext_lazy("运营账户签署授权协议"),
    "guangguang_eligible": gettext_lazy("逛逛商单资格"),
    "level_v1": gettext_lazy("主播等级达到 V1"),
    "agency_registered": gettext_lazy("机构后台注册"),
    "linked_entity": gettext_lazy("关联机构或公司"),
    "licence_verified": gettext_lazy("关联主体营业执照"),
    "assessment_approved": gettext_lazy("通过准入考核"),
}


@dataclass(frozen=True)
class Condition:
    """One admission condition and whether it is met right now."""

    code: str  # stable, e.g. "alipay_verified"
    met: bool
    label: str  # the requirement ("支付宝实名认证")
    message: str  # the state, readable on its own ("支付宝实名认证待运营核实")
    fix_url: str  # where it can be fixed, or where to read how to get it
    actor: str = SELF  # SELF or OPERATOR
    how: str = ""  # how to get it (operator-verified items)
    route: str | None = None  # the any-of route this belongs to (service side)

    @property
    def self_fixable(self) -> bool:
        return self.actor == SELF

    @property
    def awaiting_verification(self) -> bool:
        return not self.met and self.actor == OPERATOR

    @property
    def state(self) -> str:
        """ "ok", "self" (the party can fix it) or "wait" (awaiting an operator)."""
        if self.met:
            return "ok"
        return "self" if self.actor == SELF else "wait"


@dataclass(frozen=True)
class Route:
    """One way for a service-side party to qualify (any one route suffices)."""

    code: str
    label: str
    conditions: tuple[Condition, ...]

    @property
    def met(self) -> bool:
        return all(c.met for c in self.conditions)


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    role: str
    required: tuple[Condition, ...] = ()  # all of these
    routes: tuple[Route, ...] = ()  # and, when present, any one of these

    @property
    def conditions(self) -> list[Condition]:
        """Every condition evaluated, required ones first, then each route's."""
        return [*self.required, *(c for r in self.routes for c in r.conditions)]

    @property
    def route_met(self) -> Route | None:
        return next((r for r in self.routes if r.met), None)

    @property
    def unmet(self) -> list[Condition]:
        """The conditions standing between the party and admission.

        Once one route is met the other routes' gaps are irrelevant and left out.
        """
        missing = [c for c in self.required if not c.met]
        if self.routes and self.route_met is None:
            missing += [c for r in self.routes for c in r.conditions if not c.met]
        return missing

    @property
    def reasons(self) -> list[str]:
        labels = {r.code: r.label for r in self.routes}
        out = []
        for c in self.unmet:
            if c.route:
                out.append(
                    _("任一准入路径「%(route)s」：%(message)s")
                    % {"route": labels[c.route], "message": c.message}
                )
            else:
                out.append(c.message)
        return out

    @property
    def missing(self) -> list[str]:
        """What is still needed, in short: each unmet requirement, and "any one route" once."""
        out = [str(c.label) for c in self.required if not c.met]
        if self.routes and self.route_met is None:
            out.append(
                _("满足任一准入路径（%(routes)s）")
                % {"routes": " / ".join(str(r.label) for r in self.routes)}
            )
        return out

    @property
    def self_fixable(self) -> list[Condition]:
        return [c for c in self.unmet if c.self_fixable]

    @property
    def awaiting(self) -> list[Condition]:
        return [c for c in self.unmet if c.awaiting_verification]


# --- Facts: the party's current data, read in a few queries -----------------------


@dataclass(frozen=True)
class OperatingFacts:
    username: str
    is_merchant: bool
    alipay_verified: bool
    signed: bool


@dataclass(frozen=True)
class Facts:
    role: str
    has_profile: bool = True
    active: bool = True
    agreement_version: str | None = "2026.1"  # current version; None when none is published
    signed: bool = False  # signed the current version
    # merchant
    seller_type: str = SellerType.TAOBAO
    shop_status: str = ShopStatus.NORMAL
    alipay_verified: bool = False
    operating: OperatingFacts | None = None
    operating_pending: str | None = None  # username asked and not yet confirmed
    # creator
    level: int = 0
    guangguang_eligible: bool = False
    # agency
    registered_verified: bool = False
    licence_verified: bool = False
    # provider
    linked: bool = False
    assessment: str | None = None  # latest AssessmentStatus, None when never requested
    extra: dict = field(default_factory=dict)


def current_agreement(now: datetime | None = None) -> Agreement | None:
    """The agreement version in force: the newest one already published."""
    from django.utils import timezone

    return (
        Agreement.objects.filter(published_at__lte=now or timezone.now())
        .order_by("-published_at", "-pk")
        .first()
    )


# The profile each role's facts are read from (keyed by the user).
PROFILE_MODELS = {
    Role.MERCHANT: Merchant,
    Role.CREATOR: Creator,
    Role.AGENCY: Agency,
    Role.PROVIDER: Provider,
}


def load_facts(user: User) -> Facts:
    """Read what the rules need about ``user`` (a handful of indexed queries)."""
    # Always re-read: a caller's cached ``user.merchant`` may predate an operator's change.
    model = PROFILE_MODELS.get(user.role)
    profile = None
    if model is not None:
        profile = model.objects.select_related("user").filter(pk=user.pk).first()
    if profile is None:
        return Facts(role=user.role, has_profile=False, active=user.is_active)
    user = profile.user
    agreement = current_agreement()
    version = agreement.version if agreement else None

    def signed(user_id) -> bool:
        if agreement is None or user_id is None:
            return False
        return AgreementSignature.objects.filter(user_id=user_id, agreement=agreement).exists()

    base = {
        "role": user.role,
        "active": user.is_active,
        "agreement_version": version,
        "signed": signed(user.pk),
    }
    if user.role == Role.MERCHANT:
        operating = None
        pending = None
        if profile.seller_type == SellerType.TMALL:
            if profile.operating_account_id:
                ops = User.objects.select_related("merchant").get(pk=profile.operating_account_id)
                ops_merchant = getattr(ops, "merchant", None)
                operating = OperatingFacts(
                    username=ops.username,
                    is_merchant=ops.role == Role.MERCHANT and ops_merchant is not None,
                    alipay_verified=bool(ops_merchant and ops_merchant.alipay_verified),
                    signed=signed(ops.pk),
                )
            pending = (
                OperatingAccountRequest.objects.filter(
                    shop=profile, status=DesignationStatus.PENDING
                )
                .values_list("username", flat=True)
                .first()
            )
        return Facts(
            **base,
            seller_type=profile.seller_type,
            shop_status=profile.shop_status,
            alipay_verified=profile.alipay_verified,
            operating=operating,
            operating_pending=pending,
        )
    if user.role == Role.CREATOR:
        return Facts(
            **base,
            alipay_verified=profile.alipay_verified,
            level=profile.level,
            guangguang_eligible=profile.guangguang_eligible,
        )
    if user.role == Role.AGENCY:
        return Facts(
            **base,
            registered_verified=profile.registered_verified,
            licence_verified=profile.licence_verified,
        )
    # provider
    latest = (
        Assessment.objects.filter(user=user)
        .order_by("-requested_at", "-pk")
        .values_list("status", flat=True)
    )
    statuses = list(latest[:20])
    status = (
        AssessmentStatus.APPROVED
        if AssessmentStatus.APPROVED in statuses
        else (statuses[0] if statuses else None)
    )
    return Facts(
        **base,
        licence_verified=profile.licence_verified,
        linked=bool(profile.linked_agency_id or profile.linked_company.strip()),
        assessment=status,
    )


def evaluate(user: User) -> Verdict:
    """The party's admission verdict from its current data."""
    return decide(load_facts(user))


# --- The rules: a pure function of the facts --------------------------------------


def _url(code: str) -> str:
    return f"{reverse('admission:center')}#c-{code}"


def _active(f: Facts) -> Condition:
    return Condition(
        "account_active",
        f.active,
        _("账户状态正常"),
        _("账户状态正常") if f.active else _("账户已停用，暂停一切合作"),
        _url("account_active"),
        OPERATOR,
        how=_("账户停用由平台运营处理，如有疑问请联系平台运营。"),
    )


def _agreement(f: Facts, *, code: str = "agreement_signed", who: str | None = None) -> Condition:
    version = f.agreement_version or "—"
    if f.agreement_version is None:
        message = _("平台尚未发布授权协议，请联系平台运营")
    elif f.signed:
        message = _("已签署授权协议（版本 %(v)s）") % {"v": version}
    else:
        message = _("未签署当前版本的授权协议（版本 %(v)s）") % {"v": version}
    return Condition(
        code,
        f.agreement_version is not None and f.signed,
        _("签署授权协议"),
        message,
        _url(code),
        SELF,
    )


def _alipay(ok: bool, *, route: str | None = None) -> Condition:
    return Condition(
        "alipay_verified",
        ok,
        _("支付宝实名认证"),
        _("支付宝实名认证已核实") if ok else _("支付宝实名认证待核实"),
        _url("alipay_verified"),
        OPERATOR,
        how=_("在支付宝完成实名认证后，平台运营会核实认证结果（通常 1 个工作日内）。"),
        route=route,
    )


def _shop_status(f: Facts) -> Condition:
    ok = f.shop_status == ShopStatus.NORMAL
    label = ShopStatus(f.shop_status).label
    if f.seller_type == SellerType.TMALL:
        requirement = _("店铺状态正常（符合天猫入驻标准）")
    else:
        requirement = _("店铺状态正常（遵守店铺规则）")
    return Condition(
        "shop_status_normal",
        ok,
        requirement,
        _("店铺状态：%(s)s") % {"s": label}
        if ok
        else _("店铺状态为「%(s)s」，需恢复为「正常」") % {"s": label},
        _url("shop_status_normal"),
        OPERATOR,
        how=_("店铺状态来自淘宝/天猫店铺后台；整改完成、状态恢复正常后由平台运营同步。"),
    )


def _merchant(f: Facts) -> Verdict:
    required = [_active(f), _shop_status(f)]
    if f.seller_type == SellerType.TMALL:
        ops = f.operating
        if ops is None:
            msg = (
                _("已邀请 %(u)s 担任运营账户，等待其登录确认") % {"u": f.operating_pending}
                if f.operating_pending
                else _("尚未指定运营账户")
            )
        else:
            msg = _("运营账户：%(u)s") % {"u": ops.username}
        required.append(
            Condition(
                "operating_account_designated",
                ops is not None and ops.is_merchant,
                _("指定运营账户"),
                msg,
                _url("operating_account_designated"),
                SELF,
            )
        )
        ok = bool(ops and ops.alipay_verified)
        if ok:
            msg = _("运营账户支付宝实名认证已核实")
        elif ops is None:
            msg = _("指定运营账户后，须其支付宝实名认证已核实")
        else:
            msg = _("运营账户支付宝实名认证待核实")
        required.append(
            Condition(
                "operating_account_alipay_verified",
                ok,
                _("运营账户支付宝实名认证"),
                msg,
                _url("operating_account_alipay_verified"),
                OPERATOR,
                how=_("运营账户在支付宝完成实名认证后，由平台运营核实。"),
            )
        )
        ok = bool(ops and ops.signed and f.agreement_version)
        if ok:
            msg = _("运营账户已签署授权协议（版本 %(v)s）") % {"v": f.agreement_version}
        elif ops is None:
            msg = _("指定运营账户后，须其签署授权协议")
        else:
            msg = _("运营账户未签署当前版本的授权协议")
        required.append(
            Condition(
                "operating_account_agreement_signed",
                ok,
                _("运营账户签署授权协议"),
                msg,
                _url("operating_account_agreement_signed"),
                SELF,
                how=_("请使用运营账户登录，在其准入中心签署授权协议。"),
            )
        )
    else:
        required += [_alipay(f.alipay_verified), _agreement(f)]
    return Verdict(all(c.met for c in required), f.role, tuple(required))


def _service(f: Facts) -> Verdict:
    required = [_active(f), _agreement(f)]
    routes: list[Route] = []
    if f.role == Role.CREATOR:
        routes.append(
            Route(
                "guangguang",
                _("逛逛商单达人"),
                (
                    Condition(
                        "guangguang_eligible",
                        f.guangguang_eligible,
                        _("逛逛商单资格"),
                        _("已开通逛逛商单资格")
                        if f.guangguang_eligible
                        else _("未开通逛逛商单资格"),
                        _url("guangguang_eligible"),
                        OPERATOR,
                        how=_("在逛逛达人后台申请商单资格，开通后由平台运营同步。"),
                        route="guangguang",
                    ),
                ),
            )
        )
        level_ok = f.level >= MIN_CREATOR_LEVEL
        routes.append(
            Route(
                "realname",
                _("实名认证主播"),
                (
                    _alipay(f.alipay_verified, route="realname"),
                    Condition(
                        "level_v1",
                        level_ok,
                        _("主播等级达到 V%(n)s") % {"n": MIN_CREATOR_LEVEL},
                        _("主播等级 V%(n)s") % {"n": f.level}
                        if level_ok
                        else _("主播等级 V%(n)s，需达到 V%(min)s")
                        % {"n": f.level, "min": MIN_CREATOR_LEVEL},
                        _url("level_v1"),
                        OPERATOR,
                        how=_("主播等级由淘宝直播按直播表现评定，升级后由平台运营同步。"),
                        route="realname",
                    ),
                ),
            )
        )
    elif f.role == Role.AGENCY:
        routes.append(
            Route(
                "agency",
                _("机构后台注册"),
                (
                    Condition(
                        "agency_registered",
                        f.registered_verified,
                        _("机构后台注册"),
                        _("机构后台注册已核实")
                        if f.registered_verified
                        else _("机构后台注册待核实"),
                        _url("agency_registered"),
                        OPERATOR,
                        how=_("在机构后台完成注册后，由平台运营核实注册信息。"),
                        route="agency",
                    ),
                ),
            )
        )
    elif f.role == Role.PROVIDER:
        routes.append(
            Route(
                "provider",
                _("TP 服务商资质"),
                (
                    Condition(
                        "linked_entity",
                        f.linked,
                        _("关联机构或公司"),
                        _("已关联机构或公司") if f.linked else _("尚未关联机构或公司"),
                        _url("linked_entity"),
                        OPERATOR,
                        how=_("在申请考核时说明关联的机构或公司，由平台运营登记。"),
                        route="provider",
                    ),
                    Condition(
                        "licence_verified",
                        f.licence_verified,
                        _("关联主体营业执照"),
                        _("关联主体营业执照已核实")
                        if f.licence_verified
                        else _("关联主体营业执照待核实"),
                        _url("licence_verified"),
                        OPERATOR,
                        how=_("将关联公司的营业执照提交平台运营，核实后生效。"),
                        route="provider",
                    ),
                ),
            )
        )
    if f.role in ASSESSED_ROLES:
        status = f.assessment
        messages = {
            None: _("尚未申请准入考核"),
            AssessmentStatus.PENDING: _("准入考核已申请，等待运营审核"),
            AssessmentStatus.APPROVED: _("准入考核已通过"),
            AssessmentStatus.REJECTED: _("准入考核未通过，可补充材料后重新申请"),
        }
        required.append(
            Condition(
                "assessment_approved",
                status == AssessmentStatus.APPROVED,
                _("通过准入考核"),
                messages[status],
                _url("assessment_approved"),
                # The party starts it; once asked, only an operator can finish it.
                SELF if status in (None, AssessmentStatus.REJECTED) else OPERATOR,
                how=_("特殊账户类型须经平台运营考核后方可准入。"),
            )
        )
    admitted = all(c.met for c in required) and any(r.met for r in routes)
    return Verdict(admitted, f.role, tuple(required), tuple(routes))


def decide(f: Facts) -> Verdict:
    """The verdict for these facts. Pure: same facts, same verdict."""
    if f.role == Role.OPERATOR or not f.has_profile:
        message = (
            _("平台运营账户不参与合作")
            if f.role == Role.OPERATOR
            else _("账户资料不完整，请联系平台运营")
        )
        return Verdict(
            False,
            f.role,
            (Condition("party", False, _("合作方账户"), message, _url("party"), OPERATOR),),
        )
    if f.role == Role.MERCHANT:
        return _merchant(f)
    return _service(f)
