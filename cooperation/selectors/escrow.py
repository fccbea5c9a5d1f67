"""Slot-fee escrow across all tasks: what is held, and what of it is frozen by disputes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cooperation.models import Task, TaskState
from hotwave.money import ZERO, format_cny
from settlement.selectors import held_escrows

KEY_PREFIX = "task:"


@dataclass(frozen=True)
class EscrowSummary:
    held_tasks: int
    held: Decimal
    disputed_tasks: int
    disputed: Decimal

    def line(self) -> str:
        """SPEC §7's summary line of ``cooperation_tick``."""
        return (
            f"escrow held: {self.held_tasks} tasks, {format_cny(self.held)}; "
            f"in dispute: {self.disputed_tasks} tasks, {format_cny(self.disputed)}"
        )


def escrow_summary() -> EscrowSummary:
    """Every task's slot fee still held (settlement's holds) and those of tasks in dispute."""
    held = held_escrows(KEY_PREFIX)
    disputed_pks = set(Task.objects.filter(state=TaskState.DISPUTED).values_list("pk", flat=True))
    disputed = [a for k, a in held.items() if int(k[len(KEY_PREFIX) :]) in disputed_pks]
    return EscrowSummary(len(held), sum(held.values(), ZERO), len(disputed), sum(disputed, ZERO))
