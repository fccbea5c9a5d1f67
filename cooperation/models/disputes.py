"""Disputes (争议, SPEC §7): a party contests a task; an operator decides what the escrow becomes.

While a task is 争议中 its escrow is frozen (no service of the task moves it) and
its deadlines pause. The other side answers within
``settings.COOPERATION_DISPUTE_ANSWER_DAYS`` or the opener's account stands
(``cooperation_tick`` decides for it). A decision releases the held slot fee to
the creator, returns it to the merchant, or splits it by a percentage — posted
once through settlement's escrow service and recorded with who, when and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation.models.tasks import Party, Task

STATEMENT_MAX = 2000
LINKS_MAX = 5


class DisputeReason(models.TextChoices):
    SAMPLE_NOT_RECEIVED = "sample_not_received", _("未收到样品")
    SAMPLE_MISMATCH = "sample_mismatch", _("样品与约定不符")
    LIVE_NOT_DONE = "live_not_done", _("未按约定直播")
    LIVE_QUALITY = "live_quality", _("直播内容不符合约定")
    DATA_FRAUD = "data_fraud", _("直播数据异常")
    OTHER = "other", _("其他")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待对方回应")
    ANSWERED = "answered", _("待运营裁决")
    DECIDED = "decided", _("已裁决")


class DisputeOutcome(models.TextChoices):
    RELEASE = "release", _("结算给达人")
    RETURN = "return", _("退回商家")
    SPLIT = "split", _("按比例分配")


class Dispute(models.Model):
    """争议: one party's account of what went wrong, the other's answer, an operator's decision."""

    task = models.ForeignKey(
        Task, verbose_name=_("合作任务"), on_delete=models.PROTECT, related_name="disputes"
    )
    opened_by = models.CharField(
        _("发起方"),
        max_length=16,
        choices=[(Party.MERCHANT, Party.MERCHANT.label), (Party.CREATOR, Party.CREATOR.label)],
    )
    opener = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("争议原因"), max_length=24, choices=DisputeReason.choices)
    statement = models.TextField(_("发起方陈述"), max_length=STATEMENT_MAX)
    links = models.JSONField(_("证据链接"), default=list, blank=True)
    from_state = models.CharField(_("争议前状态"), max_length=16)
    opened_at = models.DateTimeField(_("发起时间"))
    answer_by = models.DateTimeField(_("回应截止"))
    answer = models.TextField(_("对方回应"), max_length=STATEMENT_MAX, blank=True)
    answer_links = models.JSONField(_("回应证据链接"), default=list, blank=True)
    answered_at = models.DateTimeField(_("回应时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    held = models.DecimalField(_("冻结金额"), max_digits=14, decimal_places=2, default=0)
    outcome = models.CharField(
        _("裁决结果"), max_length=16, choices=DisputeOutcome.choices, blank=True
    )
    creator_percent = models.DecimalField(
        _("达人所得比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    creator_amount = models.DecimalField(
        _("结算给达人"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    merchant_amount = models.DecimalField(
        _("退回商家"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁决人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    decision_note = models.TextField(_("裁决理由"), max_length=STATEMENT_MAX, blank=True)

    class Meta:
        verbose_name = _("争议")
        verbose_name_plural = _("争议")
        ordering = ["opened_at", "pk"]
        permissions = [("decide_dispute", _("可以裁决争议"))]
        constraints = [
            # A party cannot dispute the same task twice.
            models.UniqueConstraint(fields=["task", "opened_by"], name="dispute_once_per_party"),
            models.CheckConstraint(
                condition=Q(creator_percent__isnull=True)
                | Q(creator_percent__gte=0, creator_percent__lte=100),
                name="dispute_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(status="decided", decided_at__isnull=False, outcome__gt="")
                | (~Q(status="decided") & Q(decided_at__isnull=True, outcome="")),
                name="dispute_decided_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "opened_at"], name="dispute_queue_idx"),
            models.Index(fields=["status", "answer_by"], name="dispute_answer_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.reference} {self.get_reason_display()}"

    @property
    def respondent(self) -> str:
        return Party.CREATOR if self.opened_by == Party.MERCHANT else Party.MERCHANT


__all__ = [
    "LINKS_MAX",
    "STATEMENT_MAX",
    "Dispute",
    "DisputeOutcome",
    "DisputeReason",
    "DisputeStatus",
]
