"""Gates a higher app puts on a lower app's writes, without the lower app importing it.

Cooperation's ``task_create`` asks :func:`invitation_refused` whether a merchant may
invite a creator; 消息 (``conversations``) registers the check for blocks at start-up
(``ConversationsConfig.ready``). With nothing registered every invitation passes.
The 选品广场's "not restricted for me" filter asks :func:`blocked_merchants` the same way.
A gate answers ``None`` (allowed) or the message the merchant sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

InvitationGate = Callable[[int, int], "str | None"]

_invitation_gates: list[InvitationGate] = []


def register_invitation_gate(gate: InvitationGate) -> None:
    if gate not in _invitation_gates:
        _invitation_gates.append(gate)


BlockedMerchants = Callable[[int], "QuerySet"]

_blocked_merchant_sources: list[BlockedMerchants] = []


def register_blocked_merchants(source: BlockedMerchants) -> None:
    """``source(creator_user_id)`` is a queryset of the user ids of merchants in a block
    with that creator (消息's 屏蔽): used as a subquery, it adds no statement."""
    if source not in _blocked_merchant_sources:
        _blocked_merchant_sources.append(source)


def blocked_merchants(creator_user_id: int) -> list[QuerySet]:
    """The registered queryset of each source for ``creator_user_id`` (none: no blocks)."""
    return [source(creator_user_id) for source in _blocked_merchant_sources]


def invitation_refused(*, merchant_user_id: int, creator_user_id: int) -> str | None:
    """The first refusal of a registered gate, or None when the invitation may go."""
    for gate in _invitation_gates:
        refusal = gate(merchant_user_id, creator_user_id)
        if refusal:
            return refusal
    return None
