"""Promotion plans (推广计划), SPEC §7: 公开计划, 定向计划 and 专属 per product;
and free samples (申样): a product's quota and thresholds, and creators' requests.

A plan's rate is a history of :class:`PlanRate` rows, never edited: the rate in
force at ``t`` is the row with the latest ``effective_from`` ≤ ``t``. A raise
takes effect when announced; a cut only after the notice period
(``COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS``), so orders paid before it keep the
old rate and the reconciliation report can say which rate was in force at any
payment. A plan that ends is a cut to nothing: ``ended_at`` lies a notice
period after the merchant ended it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation.models.products import MAX_SERVICE_FEE_RATE, MIN_SERVICE_FEE_RATE, Product

MAX_LEVEL = 6


class PlanKind(models.TextChoices):
    OPEN = "open", _("公开计划")
    TARGETED = "targeted", _("定向计划")
    EXCLUSIVE = "exclusive", _("专属")


class PromotionPlan(models.Model):
    """A rate a merchant offers on one product to all, to chosen or qualified creators, or to one."""

    product = models.ForeignKey(
        Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="plans"
    )
    kind = models.CharField(_("计划类型"), max_length=16, choices=PlanKind.choices)
    # 专属: the one creator the plan is for.
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("专属达人"),
        on_delete=models.CASCADE,
        related_name="exclusive_plans",
        null=True,
        blank=True,
    )
    # 定向计划: who may apply (streamer level and fans at least these).
    min_level = models.PositiveSmallIntegerField(_("最低等级"), default=0)
    min_fans = models.PositiveBigIntegerField(_("最低粉丝数"), default=0)
    # 最低履约率 as a fraction (0.9 is 90%); 0 is no threshold. A 新达人 has no rate
    # and does not meet a threshold above 0.
    min_fulfilment = models.DecimalField(
        _("最低履约率"), max_digits=5, decimal_places=4, default=Decimal(0)
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    # When the plan stops applying: a notice period after the merchant ended it.
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推广计划")
        verbose_name_plural = _("推广计划")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in PlanKind]), name="plan_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=PlanKind.EXCLUSIVE) & Q(creator__isnull=False))
                | (~Q(kind=PlanKind.EXCLUSIVE) & Q(creator__isnull=True)),
                name="plan_exclusive_has_creator",
            ),
            models.CheckConstraint(
                condition=Q(min_level__lte=MAX_LEVEL), name="plan_min_level_0_6"
            ),
            models.CheckConstraint(
                condition=Q(min_fulfilment__gte=0) & Q(min_fulfilment__lte=1),
                name="plan_min_fulfilment_0_1",
            ),
        ]
        indexes = [models.Index(fields=["product", "kind"], name="plan_product_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.product.title}"


class PlanRate(models.Model):
    """One announced rate of a plan and the moment it takes effect. Append-only in force."""

    plan = models.ForeignKey(
        PromotionPlan, verbose_name=_("推广计划"), on_delete=models.CASCADE, related_name="rates"
    )
    # A fraction, like Product.service_fee_rate: 0.15 is 15%.
    rate = models.DecimalField(_("服务费率"), max_digits=5, decimal_places=4)
    announced_at = models.DateTimeField(_("公布时间"))
    effective_from = models.DateTimeField(_("生效时间"))

    class Meta:
        verbose_name = _("计划费率")
        verbose_name_plural = _("计划费率")
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=MIN_SERVICE_FEE_RATE) & Q(rate__lte=MAX_SERVICE_FEE_RATE),
                name="plan_rate_1_80",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__gte=models.F("announced_at")),
                name="plan_rate_not_before_announced",
            ),
            models.UniqueConstraint(fields=["plan", "effective_from"], name="plan_rate_once"),
        ]
        indexes = [
            models.Index(fields=["plan", "-effective_from"], name="plan_rate_in_force_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.rate} @ {self.effective_from:%Y-%m-%d %H:%M}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    DECLINED = "declined", _("已拒绝")


class PlanApplication(models.Model):
    """A creator's application to a 定向计划, and the merchant's answer."""

    plan = models.ForeignKey(
        PromotionPlan,
        verbose_name=_("推广计划"),
        on_delete=models.CASCADE,
        related_name="applications",
    )
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.CASCADE,
        related_name="plan_applications",
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    message = models.CharField(_("申请说明"), max_length=200, blank=True)
    applied_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.CharField(_("拒绝理由"), max_length=200, blank=True)
    # 指定达人: the merchant added the creator to the targeted plan itself (approved
    # without an application).
    chosen = models.BooleanField(_("商家指定"), default=False)
    # Removed from the plan's list: it stops applying from this second (a notice
    # period after the merchant removed it, as a cut).
    removed_at = models.DateTimeField(_("移出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("计划申请")
        verbose_name_plural = _("计划申请")
        ordering = ["-applied_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "creator"], name="plan_application_once"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ApplicationStatus]),
                name="plan_application_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ApplicationStatus.PENDING) | Q(decided_at__isnull=False),
                name="plan_application_decided_at",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "status"], name="plan_application_status_idx"),
            models.Index(fields=["creator", "status"], name="plan_application_creator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} → {self.plan}"


class SampleQuota(models.Model):
    """申样: how many free samples of a product the merchant gives, and to whom."""

    product = models.OneToOneField(
        Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="sample_quota"
    )
    quota = models.PositiveIntegerField(_("样品名额"))
    min_level = models.PositiveSmallIntegerField(_("最低等级"), default=0)
    min_fans = models.PositiveBigIntegerField(_("最低粉丝数"), default=0)
    min_fulfilment = models.DecimalField(
        _("最低履约率"), max_digits=5, decimal_places=4, default=Decimal(0)
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("样品名额")
        verbose_name_plural = _("样品名额")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_level__lte=MAX_LEVEL), name="sample_quota_min_level_0_6"
            ),
            models.CheckConstraint(
                condition=Q(min_fulfilment__gte=0) & Q(min_fulfilment__lte=1),
                name="sample_quota_min_fulfilment_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quota}"


class SampleStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    APPROVED = "approved", _("已通过")
    DECLINED = "declined", _("已拒绝")


class SampleRequest(models.Model):
    """A creator asks for a free sample; approved, it becomes a 纯佣 task in 待寄样."""

    product = models.ForeignKey(
        Product, verbose_name=_("商品"), on_delete=models.CASCADE, related_name="sample_requests"
    )
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.CASCADE,
        related_name="sample_requests",
    )
    planned_live_date = models.DateField(_("计划直播日期"))
    note = models.CharField(_("申样说明"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=SampleStatus.choices, default=SampleStatus.PENDING
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.CharField(_("拒绝理由"), max_length=200, blank=True)
    task = models.OneToOneField(
        "cooperation.Task",
        verbose_name=_("合作任务"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sample_request",
    )

    class Meta:
        verbose_name = _("申样")
        verbose_name_plural = _("申样")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SampleStatus]),
                name="sample_request_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=SampleStatus.APPROVED) | Q(task__isnull=False),
                name="sample_request_approved_has_task",
            ),
            # One open request per creator and product.
            models.UniqueConstraint(
                fields=["product", "creator"],
                condition=Q(status="pending"),
                name="sample_request_one_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status"], name="sample_request_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} · {self.product}"


__all__ = [
    "SampleQuota",
    "SampleRequest",
    "SampleStatus",
    "ApplicationStatus",
    "PlanApplication",
    "PlanKind",
    "PlanRate",
    "PromotionPlan",
]
