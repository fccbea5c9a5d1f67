"""A task's attributed orders, GMV, refunds and the merchant's ROI (SPEC §7), read through settlement."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cooperation.models import Task
from hotwave.money import ZERO, quantize
from settlement.selectors import Attribution, attributed_orders


def task_attribution(*, task: Task) -> Attribution:
    """The orders that belong to ``task``: named by its reference, or in its live window."""
    since, until = task.attribution_window
    return attributed_orders(
        task_ref=task.reference,
        merchant_id=task.merchant_id,
        creator_id=task.creator_id,
        skus=[item.sku for item in task.items.all()],
        since=since,
        until=until,
    )


@dataclass(frozen=True)
class Results:
    attribution: Attribution
    slot_fee: Decimal
    cost: Decimal  # slot fee + service fees
    roi: Decimal | None  # GMV ÷ cost; None when nothing was spent

    @property
    def roi_text(self) -> str:
        return "—" if self.roi is None else f"{self.roi:.2f}"


def task_results(*, task: Task) -> Results:
    """What the task brought the merchant: attributed GMV over what it cost."""
    a = task_attribution(task=task)
    # What the merchant actually paid for the slot: what was released (a 保底 shortfall
    # and a returned fee cost nothing); while held, the whole fee.
    slot = task.escrow_released if not task.is_open else task.slot_fee
    cost = slot + a.fees
    roi = quantize(a.gmv / cost) if cost > ZERO else None
    return Results(a, slot, cost, roi)
