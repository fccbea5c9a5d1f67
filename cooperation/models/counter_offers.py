"""议价 (counter-offers): a creator answers an invitation once with other terms."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperation.models.tasks import SlotFeeMode, Task

# The highest slot fee a counter-offer may ask for one live session.
COUNTER_FEE_MAX = Decimal("1000000.00")


class CounterOfferStatus(models.TextChoices):
    PENDING = "pending", _("待商家答复")
    ACCEPTED = "accepted", _("商家已接受")
    DECLINED = "declined", _("商家已拒绝")


class CounterOffer(models.Model):
    """The creator's one counter-offer on an invitation: the terms it asks for, and the
    invitation's terms when it asked (so the page can show what changed)."""

    task = models.OneToOneField(
        Task, verbose_name=_("合作任务"), on_delete=models.CASCADE, related_name="counter_offer"
    )
    slot_fee = models.DecimalField(_("坑位费"), max_digits=14, decimal_places=2)
    mode = models.CharField(_("合作模式"), max_length=16, choices=SlotFeeMode.choices)
    gmv_target = models.DecimalField(
        _("目标成交额"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    planned_live_date = models.DateField(_("计划直播日期"))
    note = models.CharField(_("议价说明"), max_length=500, blank=True)
    was_slot_fee = models.DecimalField(_("原坑位费"), max_digits=14, decimal_places=2)
    was_mode = models.CharField(_("原合作模式"), max_length=16, choices=SlotFeeMode.choices)
    was_gmv_target = models.DecimalField(
        _("原目标成交额"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    was_planned_live_date = models.DateField(_("原计划直播日期"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CounterOfferStatus.choices,
        default=CounterOfferStatus.PENDING,
    )
    created_at = models.DateTimeField(_("议价时间"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("议价")
        verbose_name_plural = _("议价")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_fee__gte=0) & Q(slot_fee__lte=COUNTER_FEE_MAX),
                name="counter_offer_fee_in_bounds",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CounterOfferStatus]),
                name="counter_offer_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode="fixed", gmv_target__isnull=True)
                | Q(mode="commission", slot_fee=0, gmv_target__isnull=True)
                | Q(mode="guarantee", slot_fee__gt=0, gmv_target__gt=0),
                name="counter_offer_mode_terms",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.slot_fee} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == CounterOfferStatus.PENDING

    def changes(self) -> list[tuple[str, str, str]]:
        """(what, was, asked) for each term the counter-offer changes."""
        from hotwave.money import format_cny

        rows = []
        if self.slot_fee != self.was_slot_fee:
            rows.append((_("坑位费"), format_cny(self.was_slot_fee), format_cny(self.slot_fee)))
        if self.mode != self.was_mode:
            rows.append(
                (_("合作模式"), SlotFeeMode(self.was_mode).label, SlotFeeMode(self.mode).label)
            )
        if self.gmv_target != self.was_gmv_target and self.mode == SlotFeeMode.GUARANTEE:
            was = format_cny(self.was_gmv_target) if self.was_gmv_target is not None else "—"
            rows.append((_("目标成交额"), was, format_cny(self.gmv_target)))
        if self.planned_live_date != self.was_planned_live_date:
            rows.append(
                (
                    _("计划直播日期"),
                    self.was_planned_live_date.isoformat(),
                    self.planned_live_date.isoformat(),
                )
            )
        return rows


__all__ = ["COUNTER_FEE_MAX", "CounterOffer", "CounterOfferStatus"]
