"""Scorecards (issue 17, SPEC §7): each creator's and merchant's verified record, stored.

One set-based recompute (``cooperation.services.scorecards``) writes every row
from our own tasks, deadlines, disputes, ratings and attributed orders: nightly
by beat, and for a task's two parties after it ends. Pages only read these rows;
a party without one shows "computing". Figures cover ``SCORECARD_PERIOD_DAYS``
(90) days up to ``period_end``; rates are stored only from ``NEW_PARTY_BELOW``
(3) completed tasks up, so a new party never shows a misleading 100%.

The three tables are rewritten every night, so on PostgreSQL their pages are kept half
empty (``fillfactor`` 50, migration 0014): a row's new version fits beside the old one,
and a row whose indexed figures did not change is updated without touching its indexes
(a HOT update) — most rows on most nights.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

SCORECARD_PERIOD_DAYS = 90
NEW_PARTY_BELOW = 3


def _rate(label):
    return models.DecimalField(label, max_digits=5, decimal_places=4, null=True, blank=True)


def _money(label, **kw):
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kw)


class CreatorScorecard(models.Model):
    """达人成绩单: 履约率, 准时率, 场均成交, 商家 ROI 中位数, 评分, 争议 — each with its counts."""

    creator = models.OneToOneField(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scorecard",
    )
    period_start = models.DateTimeField(_("统计起点"))
    period_end = models.DateTimeField(_("统计终点"))
    computed_at = models.DateTimeField(_("计算时间"))
    # 履约率 = fulfilled ÷ counted (tasks accepted that ended, merchant cancellations left out).
    tasks_counted = models.PositiveIntegerField(_("计入履约的任务"), default=0)
    tasks_fulfilled = models.PositiveIntegerField(_("履约任务"), default=0)
    tasks_completed = models.PositiveIntegerField(_("完成任务"), default=0)
    fulfilment_rate = _rate(_("履约率"))
    # 准时率 = stages finished by their deadline ÷ stages due (the creator's own stages).
    stages_due = models.PositiveIntegerField(_("到期阶段"), default=0)
    stages_on_time = models.PositiveIntegerField(_("按期完成阶段"), default=0)
    on_time_rate = _rate(_("准时率"))
    # 场均成交 = attributed actual GMV (paid − refunded) ÷ completed live sessions.
    live_sessions = models.PositiveIntegerField(_("完成直播场次"), default=0)
    gmv_total = _money(_("归因实际成交额"), default=0)
    gmv_per_session = _money(_("场均成交"), null=True, blank=True)
    roi_tasks = models.PositiveIntegerField(_("计入 ROI 的任务"), default=0)
    roi_median = models.DecimalField(
        _("商家 ROI 中位数"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rating_count = models.PositiveIntegerField(_("评价数"), default=0)
    rating_avg = models.DecimalField(
        _("评分"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    disputes_against = models.PositiveIntegerField(_("被发起争议"), default=0)
    disputes_lost = models.PositiveIntegerField(_("争议败诉"), default=0)
    disputes_won = models.PositiveIntegerField(_("争议胜诉"), default=0)
    disputes_open = models.PositiveIntegerField(_("争议处理中"), default=0)

    class Meta:
        verbose_name = _("达人成绩单")
        verbose_name_plural = _("达人成绩单")
        indexes = [
            # 主播广场 sorted by 履约率 / 场均成交 / 评分, highest first and new creators
            # (no figure) last: the plaza's exact ORDER BY (… DESC NULLS LAST, creator),
            # which a plain DESC index (NULLS FIRST) does not serve.
            models.Index(
                F("fulfilment_rate").desc(nulls_last=True), "creator", name="scorecard_fulfil_idx"
            ),
            models.Index(
                F("gmv_per_session").desc(nulls_last=True), "creator", name="scorecard_gmv_idx"
            ),
            models.Index(
                F("rating_avg").desc(nulls_last=True), "creator", name="scorecard_rating_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.fulfilment_rate}"

    @property
    def is_new(self) -> bool:
        return self.tasks_completed < NEW_PARTY_BELOW


class CreatorCategoryScorecard(models.Model):
    """场均成交 in one product category: a creator's completed live sessions that featured a
    product of the category, and the attributed actual GMV (paid − refunded) of the orders
    of that category's products — the same attribution and refund rules as the scorecard.

    A session with products of two categories counts once in each; its orders split by
    their product's category, so the categories' GMV adds up to the creator's
    ``gmv_total``. Rows exist only for categories with a session in the period.
    """

    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.CASCADE,
        related_name="category_cards",
        db_index=False,  # covered by category_card_once_per_creator (creator first)
    )
    category = models.ForeignKey(
        "admission.Category",
        verbose_name=_("类目"),
        on_delete=models.CASCADE,
        related_name="creator_cards",
        db_index=False,  # covered by category_card_gmv_idx (category first)
    )
    computed_at = models.DateTimeField(_("计算时间"))
    live_sessions = models.PositiveIntegerField(_("完成直播场次"), default=0)
    gmv_total = _money(_("归因实际成交额"), default=0)
    gmv_per_session = _money(_("场均成交"), null=True, blank=True)

    class Meta:
        verbose_name = _("达人类目成绩")
        verbose_name_plural = _("达人类目成绩")
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "category"], name="category_card_once_per_creator"
            ),
        ]
        indexes = [
            # 主播广场 in category X sorted by 场均成交.
            models.Index(
                fields=["category", "-gmv_per_session", "creator"],
                name="category_card_gmv_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.creator_id} {self.category_id} {self.gmv_per_session}"


class MerchantScorecard(models.Model):
    """商家记录: tasks completed, on-time shipping, disputes, 评分, typical slot fee."""

    merchant = models.OneToOneField(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scorecard",
    )
    period_start = models.DateTimeField(_("统计起点"))
    period_end = models.DateTimeField(_("统计终点"))
    computed_at = models.DateTimeField(_("计算时间"))
    tasks_completed = models.PositiveIntegerField(_("完成任务"), default=0)
    ships_due = models.PositiveIntegerField(_("到期寄样"), default=0)
    ships_on_time = models.PositiveIntegerField(_("按期寄样"), default=0)
    on_time_shipping_rate = _rate(_("按时寄样率"))
    disputes_against = models.PositiveIntegerField(_("被发起争议"), default=0)
    disputes_lost = models.PositiveIntegerField(_("争议败诉"), default=0)
    disputes_won = models.PositiveIntegerField(_("争议胜诉"), default=0)
    disputes_open = models.PositiveIntegerField(_("争议处理中"), default=0)
    rating_count = models.PositiveIntegerField(_("评价数"), default=0)
    rating_avg = models.DecimalField(
        _("评分"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    slot_fee_tasks = models.PositiveIntegerField(_("计入坑位费的任务"), default=0)
    typical_slot_fee = _money(_("常见坑位费"), null=True, blank=True)

    class Meta:
        verbose_name = _("商家记录")
        verbose_name_plural = _("商家记录")

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.tasks_completed}"

    @property
    def is_new(self) -> bool:
        return self.tasks_completed < NEW_PARTY_BELOW


__all__ = [
    "NEW_PARTY_BELOW",
    "SCORECARD_PERIOD_DAYS",
    "CreatorCategoryScorecard",
    "CreatorScorecard",
    "MerchantScorecard",
]
