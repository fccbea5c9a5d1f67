"""Admission writes: what parties do on their 准入中心, and what operators do in admin.

Verification flags (Alipay real-name, licences, registration, shop status,
level, 逛逛 eligibility) change only through the operator services here, which
save row by row so django-simple-history records who, when, old and new.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from admission import notices, rules
from admission.models import (
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    DesignationStatus,
    Merchant,
    OperatingAccountRequest,
    PermissionStatus,
    ProductPermission,
    RestrictedProduct,
    Role,
    SellerType,
    User,
)
from hotwave.exceptions import DomainError

# Flags only operators may change, per profile model (admin bulk actions use these).
VERIFICATION_FLAGS = {
    "merchant": ("alipay_verified",),
    "creator": ("alipay_verified", "guangguang_eligible"),
    "agency": ("registered_verified", "licence_verified"),
    "provider": ("licence_verified",),
}


class FieldError(DomainError):
    """A refusal about one form field (``field``), shown at that field."""

    def __init__(self, message, *, field: str, **kwargs):
        super().__init__(message, **kwargs)
        self.field = field


def _require_party(user: User) -> None:
    if user.role == Role.OPERATOR or user.profile is None:
        raise DomainError(
            _("只有商家、达人、机构和服务商需要办理准入。"), code="admission.not_a_party"
        )


def _require_operator(actor: User) -> None:
    if not (actor.is_operator and actor.is_staff and actor.is_active):
        raise DomainError(_("只有平台运营可以执行此操作。"), code="admission.operator_only")


# --- Agreement ------------------------------------------------------------------


@transaction.atomic
def agreement_sign(
    *, user: User, version: str, ip_address: str | None = None
) -> AgreementSignature:
    """Sign the current agreement version. Signing again is harmless (returns the first signature).

    Raises FieldError when ``version`` is not the version in force (it changed while reading).
    """
    _require_party(user)
    agreement = rules.current_agreement()
    if agreement is None:
        raise DomainError(_("平台尚未发布授权协议。"), code="admission.no_agreement")
    if version != agreement.version:
        raise FieldError(
            _("协议已更新为版本 %(v)s，请阅读新版本后再签署。") % {"v": agreement.version},
            field="version",
            code="admission.agreement_outdated",
        )
    signature, _created = AgreementSignature.objects.get_or_create(
        user=user,
        agreement=agreement,
        defaults={"signed_at": timezone.now(), "ip_address": ip_address},
    )
    return signature


# --- Tmall operating account ----------------------------------------------------------


def _check_operating_candidate(*, shop: Merchant, account: User | None, username: str) -> None:
    err = lambda message, code: FieldError(message, field="username", code=code)  # noqa: E731
    if account is None:
        raise err(_("找不到账户「%(u)s」，请核对用户名。") % {"u": username}, "operating.unknown")
    if account.pk == shop.user_id:
        raise err(_("不能指定本店账户自己作为运营账户。"), "operating.self")
    ops = getattr(account, "merchant", None) if account.role == Role.MERCHANT else None
    if ops is None:
        raise err(_("运营账户必须是本平台的商家账户。"), "operating.not_merchant")
    if ops.seller_type == SellerType.TMALL:
        raise err(
            _("「%(u)s」是另一家天猫店铺，不能作为运营账户。") % {"u": username}, "operating.shop"
        )
    taken = Merchant.objects.filter(operating_account=account).exclude(pk=shop.pk).first()
    if taken is not None:
        raise err(
            _("「%(u)s」已是其他商家（%(shop)s）的运营账户。")
            % {"u": username, "shop": taken.shop_name},
            "operating.taken",
        )
    if not account.is_active:
        raise err(_("该账户已停用。"), "operating.inactive")
    if not ops.alipay_verified:
        raise err(
            _("「%(u)s」尚未通过支付宝实名认证核实，不能作为运营账户。") % {"u": username},
            "operating.unverified",
        )
    agreement = rules.current_agreement()
    if (
        agreement is None
        or not AgreementSignature.objects.filter(user=account, agreement=agreement).exists()
    ):
        raise err(
            _("「%(u)s」尚未签署当前版本的授权协议，请先用该账户登录签署。") % {"u": username},
            "operating.unsigned",
        )


@transaction.atomic
def operating_account_designate(*, shop: Merchant, username: str) -> OperatingAccountRequest:
    """Ask ``username`` to be the Tmall shop's operating account; it confirms from its own login.

    The shop learns nothing about other accounts here: whatever the name (unknown, not
    a merchant, another shop's, unverified, unsigned), the answer is the same pending
    request. Eligibility is checked when the named account confirms, and only that
    account sees what it lacks. Raises FieldError (field "username") only for what
    the shop knows itself: its own name, or its current operating account.
    """
    if shop.seller_type != SellerType.TMALL:
        raise DomainError(_("只有天猫商家需要指定运营账户。"), code="operating.not_tmall")
    username = username.strip()
    if username == shop.user.username:
        raise FieldError(
            _("不能指定本店账户自己作为运营账户。"), field="username", code="operating.self"
        )
    if shop.operating_account_id is not None and shop.operating_account.username == username:
        raise FieldError(
            _("「%(u)s」已经是本店的运营账户。") % {"u": username},
            field="username",
            code="operating.already",
        )
    # Only a Taobao-seller login can ever confirm; any other name waits for nobody.
    account = (
        User.objects.filter(
            username=username, role=Role.MERCHANT, merchant__seller_type=SellerType.TAOBAO
        )
        .exclude(pk=shop.user_id)
        .first()
    )
    # Lock the shop row so two designations at once leave one pending request.
    Merchant.objects.select_for_update().get(pk=shop.pk)
    now = timezone.now()
    pending = OperatingAccountRequest.objects.filter(shop=shop, status=DesignationStatus.PENDING)
    same = pending.filter(username=username).first()
    if same is not None:
        return same
    pending.update(status=DesignationStatus.WITHDRAWN, decided_at=now)
    return OperatingAccountRequest.objects.create(
        shop=shop, username=username, account=account, created_at=now
    )


@transaction.atomic
def operating_request_decide(
    *, request: OperatingAccountRequest, actor: User, accept: bool
) -> OperatingAccountRequest:
    """The named account accepts (becomes the shop's operating account) or declines."""
    request = OperatingAccountRequest.objects.select_for_update().get(pk=request.pk)
    if request.account_id != actor.pk:
        raise DomainError(_("只有被指定的账户本人可以处理此请求。"), code="operating.not_yours")
    if request.status != DesignationStatus.PENDING:
        raise DomainError(_("该请求已处理。"), code="operating.decided")
    now = timezone.now()
    if accept:
        shop = Merchant.objects.select_for_update().get(pk=request.shop_id)
        try:
            # Fresh rows: the flags may have changed since the actor was loaded.
            account = User.objects.select_related("merchant").get(pk=actor.pk)
            _check_operating_candidate(shop=shop, account=account, username=actor.username)
        except FieldError as exc:
            raise DomainError(exc.message, code=exc.code) from exc
        shop.operating_account = actor
        shop.save(update_fields=["operating_account"])
        request.status = DesignationStatus.ACCEPTED
    else:
        request.status = DesignationStatus.DECLINED
    request.decided_at = now
    request.save(update_fields=["status", "decided_at"])
    return request


# --- Assessment -------------------------------------------------------------------


@transaction.atomic
def assessment_request(*, user: User, note: str) -> Assessment:
    """Ask operators for the assessment a special account type needs. Asking twice is harmless."""
    _require_party(user)
    if user.role not in rules.ASSESSED_ROLES:
        raise DomainError(_("你的账户类型无需准入考核。"), code="assessment.not_needed")
    User.objects.select_for_update().get(pk=user.pk)
    existing = Assessment.objects.filter(
        user=user, status__in=[AssessmentStatus.PENDING, AssessmentStatus.APPROVED]
    ).first()
    if existing is not None and existing.status == AssessmentStatus.APPROVED:
        raise DomainError(_("你的准入考核已通过，无需再次申请。"), code="assessment.approved")
    if existing is not None:
        return existing
    return Assessment.objects.create(user=user, note=note.strip(), requested_at=timezone.now())


@transaction.atomic
def assessment_decide(
    *, assessment: Assessment, operator: User, approve: bool, note: str = ""
) -> Assessment:
    """An operator approves or rejects a pending assessment."""
    _require_operator(operator)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != AssessmentStatus.PENDING:
        raise DomainError(_("该考核已处理。"), code="assessment.decided")
    before = notices.verdicts([assessment.user])
    assessment.status = AssessmentStatus.APPROVED if approve else AssessmentStatus.REJECTED
    assessment.decided_at = timezone.now()
    assessment.decided_by = operator
    assessment.decision_note = note
    assessment._history_user = operator
    assessment.save()
    notices.verdicts_changed(before, event=f"assessment:{assessment.pk}:{assessment.status}")
    return assessment


# --- Restricted products ----------------------------------------------------------------


@transaction.atomic
def product_permission_request(
    *, merchant: Merchant, restricted: RestrictedProduct, note: str
) -> ProductPermission:
    """The merchant asks for permission to promote one of its restricted products.

    Asking again while a request is pending is harmless; a granted one raises DomainError.
    """
    if restricted.merchant_id != merchant.pk:
        raise DomainError(_("这不是你的商品。"), code="permission.not_yours")
    permission, created = ProductPermission.objects.select_for_update().get_or_create(
        merchant=merchant,
        sku=restricted.sku,
        defaults={"request_note": note.strip(), "requested_at": timezone.now()},
    )
    if created or permission.status == PermissionStatus.REQUESTED:
        return permission
    if permission.status == PermissionStatus.GRANTED:
        raise DomainError(_("该商品已获推广授权。"), code="permission.granted")
    permission.status = PermissionStatus.REQUESTED
    permission.request_note = note.strip()
    permission.requested_at = timezone.now()
    permission.save()
    return permission


@transaction.atomic
def product_permission_set(
    *, operator: User, merchant: Merchant, sku: str, status: str, note: str = ""
) -> ProductPermission:
    """An operator grants, refuses or revokes permission for (merchant, sku)."""
    _require_operator(operator)
    if status not in (PermissionStatus.GRANTED, PermissionStatus.REFUSED, PermissionStatus.REVOKED):
        raise DomainError(_("无效的授权状态。"), code="permission.bad_status")
    permission, _created = ProductPermission.objects.select_for_update().get_or_create(
        merchant=merchant, sku=sku, defaults={"status": status}
    )
    permission.status = status
    permission.decided_at = timezone.now()
    permission.decided_by = operator
    permission.decision_note = note
    permission._history_user = operator
    permission.save()
    return permission


# --- Verification flags (operators only) -----------------------------------------------


@transaction.atomic
def flags_set(*, operator: User, profiles: QuerySet, field: str, value) -> int:
    """Set one verification flag on many profiles, row by row so each change is audited.

    Returns how many rows changed. Raises DomainError for non-operators and unknown flags.
    """
    _require_operator(operator)
    role = profiles.model._meta.model_name
    if field not in (*VERIFICATION_FLAGS.get(role, ()), "shop_status") or (
        field == "shop_status" and role != "merchant"
    ):
        raise DomainError(_("不能修改该字段。"), code="admission.bad_flag")
    changed = 0
    # Re-select plainly: the admin's queryset carries outer joins FOR UPDATE cannot lock.
    pks = list(profiles.values_list("pk", flat=True))
    before = notices.verdicts(User.objects.filter(pk__in=pks))
    for profile in profiles.model.objects.select_for_update().filter(pk__in=pks).order_by("pk"):
        if getattr(profile, field) != value:
            setattr(profile, field, value)
            profile._history_user = operator  # the audit row names the operator
            profile._change_reason = _("运营批量操作：%(field)s") % {
                "field": profile._meta.get_field(field).verbose_name
            }
            profile.save(update_fields=[field])
            changed += 1
    if changed:
        stamp = timezone.now().isoformat()
        notices.verdicts_changed(before, event=f"flags:{field}:{stamp}")
    return changed
