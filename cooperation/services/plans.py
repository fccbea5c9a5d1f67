"""Promotion plan writes (推广计划): publish, change the rate, end; apply, approve, decline.

A raise takes effect when announced; a cut (and a plan's end) a notice period
later (``COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS``), so a creator promoting the
product is never surprised and orders paid before keep the old rate. Rates are
PlanRate rows: one not yet in force may be replaced by a newer announcement
(no order can carry it yet); one in force is never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.exceptions import NotAdmitted
from admission.guard import require_admitted, require_product_allowed
from admission.models import Creator, Merchant, Role, User
from cooperation import notices
from cooperation.models import (
    MAX_SERVICE_FEE_RATE,
    MIN_SERVICE_FEE_RATE,
    OPEN_STATES,
    ApplicationStatus,
    CartItem,
    PlanApplication,
    PlanKind,
    PlanRate,
    Product,
    ProductStatus,
    PromotionPlan,
    Task,
)
from cooperation.models.plans import MAX_LEVEL
from cooperation.selectors.plans import best_rate_for, threshold_shortfalls
from hotwave import todos
from hotwave.exceptions import DomainError

REASON_MAX = 200


def rate_cut_notice() -> timedelta:
    return timedelta(hours=settings.COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS)


def _check_rate(rate) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise DomainError(_("服务费率须是数字。"), code="plan.bad_rate")
    if not (MIN_SERVICE_FEE_RATE <= rate <= MAX_SERVICE_FEE_RATE):
        raise DomainError(_("服务费率须在 1% 到 80% 之间。"), code="plan.bad_rate")
    if rate != rate.quantize(Decimal("0.0001")):
        raise DomainError(_("服务费率最多两位小数（百分比）。"), code="plan.bad_rate")
    return rate


def _check_thresholds(min_level, min_fans, min_fulfilment=Decimal(0)) -> None:
    if not isinstance(min_level, int) or not 0 <= min_level <= MAX_LEVEL:
        raise DomainError(_("最低等级须是 V0 到 V6。"), code="plan.bad_threshold")
    if not isinstance(min_fans, int) or min_fans < 0:
        raise DomainError(_("最低粉丝数须是不小于 0 的整数。"), code="plan.bad_threshold")
    check_min_fulfilment(min_fulfilment, code="plan.bad_threshold")


def check_min_fulfilment(value, *, code: str) -> Decimal:
    """A 最低履约率 as a fraction: 0–1 (0%–100%), at most one decimal of a percent."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DomainError(_("最低履约率须是 0 到 100 之间的数字（百分比）。"), code=code)
    if not Decimal(0) <= value <= Decimal(1):
        raise DomainError(_("最低履约率须在 0% 到 100% 之间。"), code=code)
    if value != value.quantize(Decimal("0.001")):
        raise DomainError(_("最低履约率最多一位小数（百分比）。"), code=code)
    return value


def _in_force(plan: PromotionPlan, at: datetime) -> PlanRate | None:
    return plan.rates.filter(effective_from__lte=at).order_by("-effective_from").first()


def affected_creators(product: Product) -> list[int]:
    """Creators who carry the product (cart) or promote it in an open task: they are told."""
    in_cart = CartItem.objects.filter(product=product).values_list("creator_id", flat=True)
    in_task = (
        Task.objects.filter(items__product=product)
        .filter(state__in=list(OPEN_STATES))
        .values_list("creator_id", flat=True)
    )
    return sorted({*in_cart, *in_task})


@transaction.atomic
def plan_create(
    *,
    merchant: Merchant,
    product: Product,
    kind: str,
    rate: Decimal,
    min_level: int = 0,
    min_fans: int = 0,
    min_fulfilment: Decimal = Decimal(0),
    creator: Creator | None = None,
    note: str = "",
    now: datetime | None = None,
) -> PromotionPlan:
    """Publish a plan on one of the merchant's products, in force at once.

    Raises NotAdmitted, ProductRestricted, DomainError (not its product, archived,
    rate outside 1%–80%, bad thresholds, 专属 without a creator).
    """
    now = now or timezone.now()
    require_admitted(merchant.user, action="publish")
    if product.merchant_id != merchant.pk:
        raise DomainError(_("只能为自己的商品创建推广计划。"), code="plan.not_owner")
    if product.status != ProductStatus.ACTIVE:
        raise DomainError(_("商品已下架，不能创建推广计划。"), code="plan.product_archived")
    require_product_allowed(merchant=merchant, sku=product.sku, title=product.title)
    if kind not in PlanKind.values:
        raise DomainError(_("请选择计划类型。"), code="plan.bad_kind")
    rate = _check_rate(rate)
    if kind == PlanKind.TARGETED:
        _check_thresholds(min_level, min_fans, min_fulfilment)
    else:
        min_level, min_fans, min_fulfilment = 0, 0, Decimal(0)
    if kind == PlanKind.EXCLUSIVE:
        if creator is None:
            raise DomainError(_("专属计划须指定一位达人。"), code="plan.no_creator")
        require_admitted(creator.user, action="be_invited")
    else:
        creator = None
    plan = PromotionPlan.objects.create(
        product=product,
        kind=kind,
        creator=creator,
        min_level=min_level,
        min_fans=min_fans,
        min_fulfilment=min_fulfilment,
        note=note.strip()[:200],
        created_at=now,
    )
    PlanRate.objects.create(plan=plan, rate=rate, announced_at=now, effective_from=now)
    if creator is not None:
        todos.changed([creator.pk])
    return plan


@transaction.atomic
def plan_set_rate(*, plan: PromotionPlan, rate: Decimal, now: datetime | None = None) -> PlanRate:
    """Announce a new rate: a raise is in force now, a cut after the notice period.

    A newer announcement replaces one not yet in force. Raises DomainError
    (rate outside 1%–80%, plan ended, the same rate as now).
    """
    now = now or timezone.now()
    rate = _check_rate(rate)
    # Lock the plan: two announcements at once are applied one after the other.
    plan = PromotionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.ended_at is not None:
        raise DomainError(_("计划已结束，不能再调整费率。"), code="plan.ended")
    current = _in_force(plan, now)
    pending = plan.rates.filter(effective_from__gt=now)
    if current is not None and current.rate == rate:
        if pending.exists():
            pending.delete()  # back to the rate in force: the announced cut is withdrawn
            todos.changed(affected_creators(plan.product))
            return current
        raise DomainError(_("新费率与当前费率相同。"), code="plan.same_rate")
    pending.delete()  # never in force, so no order can carry it
    cut = current is not None and rate < current.rate
    effective_from = now + rate_cut_notice() if cut else now
    try:
        with transaction.atomic():
            row = PlanRate.objects.create(
                plan=plan, rate=rate, announced_at=now, effective_from=effective_from
            )
    except IntegrityError as exc:  # the same second as the last raise
        raise DomainError(_("费率刚刚调整过，请稍后再试。"), code="plan.too_soon") from exc
    affected = affected_creators(plan.product)
    if cut:
        notices.rate_cut_announced(row, old_rate=current.rate, creator_ids=affected)
    todos.changed(affected)
    return row


@transaction.atomic
def plan_end(*, plan: PromotionPlan, now: datetime | None = None) -> PromotionPlan:
    """End a plan a notice period from now (an end is a cut). Idempotent."""
    now = now or timezone.now()
    plan = PromotionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.ended_at is None:
        plan.ended_at = now + rate_cut_notice()
        plan.save(update_fields=["ended_at"])
        plan.rates.filter(effective_from__gt=now).delete()
        todos.changed(affected_creators(plan.product))
    return plan


@transaction.atomic
def plan_apply(
    *, plan: PromotionPlan, creator: Creator, message: str = "", now: datetime | None = None
) -> PlanApplication:
    """A creator applies to a 定向计划. Raises NotAdmitted or DomainError (not targeted,
    ended, below the thresholds — with each shortfall as a reason — or already applied)."""
    now = now or timezone.now()
    require_admitted(creator.user, action="plan_apply")
    if plan.kind != PlanKind.TARGETED:
        raise DomainError(_("只有定向计划需要申请。"), code="plan.not_targeted")
    if plan.ended_at is not None:
        raise DomainError(_("计划已结束，不能申请。"), code="plan.ended")
    shortfalls = threshold_shortfalls(plan, creator)
    if shortfalls:
        raise DomainError(
            _("你暂不满足这个定向计划的条件。"), reasons=shortfalls, code="plan.threshold"
        )
    existing = PlanApplication.objects.select_for_update().filter(plan=plan, creator=creator)
    application = existing.first()
    if application is not None:
        if application.status != ApplicationStatus.DECLINED:
            raise DomainError(_("你已经申请过这个计划。"), code="plan.applied")
        # Declined before: a new application replaces the old answer.
        application.status = ApplicationStatus.PENDING
        application.message = message.strip()[:REASON_MAX]
        application.applied_at = now
        application.decided_at = None
        application.reason = ""
        application.save()
    else:
        try:
            with transaction.atomic():
                application = PlanApplication.objects.create(
                    plan=plan, creator=creator, message=message.strip()[:REASON_MAX], applied_at=now
                )
        except IntegrityError as exc:  # two clicks at once
            raise DomainError(_("你已经申请过这个计划。"), code="plan.applied") from exc
    todos.changed([plan.product.merchant_id])
    return application


@transaction.atomic
def application_decide(
    *,
    application: PlanApplication,
    approve: bool,
    reason: str = "",
    now: datetime | None = None,
) -> PlanApplication:
    """The merchant approves or declines (with a reason) a waiting application.

    Raises DomainError (already answered, decline without a reason).
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError(_("拒绝时请写明理由。"), code="plan.reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(_("理由最多 200 字。"), code="plan.reason_too_long")
    # Lock and re-check: a second answer (another tab, a double click) changes nothing.
    locked = PlanApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != ApplicationStatus.PENDING:
        raise DomainError(_("这条申请已经处理过了。"), code="plan.decided")
    updated = PlanApplication.objects.filter(
        Q(pk=locked.pk), Q(status=ApplicationStatus.PENDING)
    ).update(
        status=ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED,
        decided_at=now,
        reason="" if approve else reason,
    )
    assert updated == 1
    locked.refresh_from_db()
    notices.plan_application_answered(locked)
    todos.changed([locked.creator_id, locked.plan.product.merchant_id])
    return locked


# --- 指定达人: the merchant's own list of creators on a 定向计划 ---------------------------


def _creator_by_handle(handle: str) -> Creator:
    """The admitted creator with account name ``handle``; a clear refusal otherwise."""
    handle = (handle or "").strip()
    if not handle:
        raise DomainError(_("请填写达人的账户名。"), code="plan.no_handle")
    user = User.objects.filter(username=handle).select_related("creator").first()
    if user is None:
        raise DomainError(
            _("没有找到账户「%(handle)s」。") % {"handle": handle}, code="plan.unknown_handle"
        )
    if user.role != Role.CREATOR or not hasattr(user, "creator"):
        raise DomainError(
            _("「%(handle)s」不是达人账户，只能添加达人。") % {"handle": handle},
            code="plan.not_a_creator",
        )
    try:
        require_admitted(user, action="be_invited")
    except NotAdmitted as exc:
        raise DomainError(
            _("达人「%(name)s」当前未通过准入，不能加入计划。") % {"name": user.creator.nickname},
            code="plan.creator_not_admitted",
        ) from exc
    return user.creator


@transaction.atomic
def plan_creator_add(
    *, plan: PromotionPlan, handle: str, now: datetime | None = None
) -> PlanApplication:
    """Add a creator (by account name) to a 定向计划: the plan applies to it at once,
    without an application or its thresholds, and it is told.

    Raises DomainError (not a targeted plan, ended, unknown account, not a creator,
    not admitted, already on the list). A waiting or declined application of that
    creator becomes the approval; one being removed is kept.
    """
    now = now or timezone.now()
    plan = PromotionPlan.objects.select_for_update().select_related("product").get(pk=plan.pk)
    if plan.kind != PlanKind.TARGETED:
        raise DomainError(_("只有定向计划可以指定达人。"), code="plan.not_targeted")
    if plan.ended_at is not None:
        raise DomainError(_("计划已结束，不能再添加达人。"), code="plan.ended")
    creator = _creator_by_handle(handle)
    application, created = PlanApplication.objects.select_for_update().get_or_create(
        plan=plan,
        creator=creator,
        defaults={
            "status": ApplicationStatus.APPROVED,
            "chosen": True,
            "applied_at": now,
            "decided_at": now,
        },
    )
    if not created:
        member = application.status == ApplicationStatus.APPROVED and (
            application.removed_at is None or application.removed_at > now
        )
        if member and application.removed_at is None:
            raise DomainError(
                _("达人「%(name)s」已在这个计划的名单里。") % {"name": creator.nickname},
                code="plan.already_member",
            )
        if not member:
            application.decided_at = now
        application.status = ApplicationStatus.APPROVED
        application.chosen = True
        application.reason = ""
        application.removed_at = None
        application.save()
    notices.plan_creator_chosen(application, rate=_in_force(plan, now))
    todos.changed([creator.pk, plan.product.merchant_id])
    return application


@transaction.atomic
def plan_creator_remove(
    *, application: PlanApplication, now: datetime | None = None
) -> PlanApplication:
    """Take a creator off a 定向计划's list. Like a cut, it stops applying a notice
    period from now; the creator is told what its rate becomes then. Idempotent."""
    now = now or timezone.now()
    locked = (
        PlanApplication.objects.select_for_update()
        .select_related("plan__product", "creator")
        .get(pk=application.pk)
    )
    if locked.status != ApplicationStatus.APPROVED:
        raise DomainError(_("这位达人不在计划的名单里。"), code="plan.not_member")
    if locked.removed_at is not None:
        return locked
    plan_rate = _in_force(locked.plan, now)
    locked.removed_at = now + rate_cut_notice()
    locked.save(update_fields=["removed_at"])
    after = best_rate_for(creator=locked.creator, product=locked.plan.product, at=locked.removed_at)
    if plan_rate is not None and after < plan_rate.rate:
        notices.plan_creator_removed(locked, old_rate=plan_rate.rate, new_rate=after)
    todos.changed([locked.creator_id, locked.plan.product.merchant_id])
    return locked
