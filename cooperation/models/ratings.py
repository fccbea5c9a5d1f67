"""Ratings (评价, issue 17): after a task completes, each side rates the other once.

1–5 stars with an optional text, within ``RATING_WINDOW`` of completion; the
rater may change it for ``RATING_EDIT_WINDOW`` after writing it. An operator may
hide an abusive text (who, when, why: kept here and in the history), never the
stars. Services (``cooperation.services.ratings``) are the only writers.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperation.models.tasks import Party, Task

RATING_WINDOW = timedelta(days=14)
RATING_EDIT_WINDOW = timedelta(hours=24)
RATING_TEXT_MAX = 500
STARS_MIN, STARS_MAX = 1, 5


class Rating(models.Model):
    """评价: one side's stars (and words) about the other side of one completed task."""

    task = models.ForeignKey(
        Task, verbose_name=_("合作任务"), on_delete=models.PROTECT, related_name="ratings"
    )
    # Who rates: the merchant rates the creator, the creator rates the merchant.
    rater_party = models.CharField(
        _("评价方"),
        max_length=16,
        choices=[(Party.MERCHANT, Party.MERCHANT.label), (Party.CREATOR, Party.CREATOR.label)],
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The task's two parties, copied so scorecards and homepages read ratings by party.
    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,  # rating_merchant_idx
    )
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,  # rating_creator_idx
    )
    stars = models.PositiveSmallIntegerField(_("评分"))
    text = models.TextField(_("评价内容"), max_length=RATING_TEXT_MAX, blank=True)
    created_at = models.DateTimeField(_("评价时间"))
    updated_at = models.DateTimeField(_("修改时间"))
    text_hidden = models.BooleanField(_("内容已隐藏"), default=False)
    hidden_reason = models.CharField(_("隐藏原因"), max_length=200, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("隐藏人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(_("隐藏时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-created_at", "-pk"]
        permissions = [("moderate_rating", _("可以隐藏评价内容"))]
        constraints = [
            # Each side rates a task once: a double-clicked 提交评价 writes one row.
            models.UniqueConstraint(fields=["task", "rater_party"], name="rating_once_per_side"),
            models.CheckConstraint(
                condition=Q(stars__gte=STARS_MIN, stars__lte=STARS_MAX), name="rating_stars_1_5"
            ),
            models.CheckConstraint(
                condition=Q(rater_party__in=[Party.MERCHANT, Party.CREATOR]),
                name="rating_rater_party_valid",
            ),
            models.CheckConstraint(
                condition=Q(text_hidden=False) | Q(hidden_at__isnull=False),
                name="rating_hidden_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["creator", "rater_party", "-created_at"], name="rating_creator_idx"
            ),
            models.Index(
                fields=["merchant", "rater_party", "-created_at"], name="rating_merchant_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.rater_party} {self.stars}★"

    @property
    def ratee_party(self) -> str:
        return Party.CREATOR if self.rater_party == Party.MERCHANT else Party.MERCHANT

    @property
    def editable_until(self):
        return self.created_at + RATING_EDIT_WINDOW

    @property
    def shown_text(self) -> str:
        """The text as others see it: empty once an operator hid it."""
        return "" if self.text_hidden else self.text


__all__ = [
    "RATING_EDIT_WINDOW",
    "RATING_TEXT_MAX",
    "RATING_WINDOW",
    "STARS_MAX",
    "STARS_MIN",
    "Rating",
]
