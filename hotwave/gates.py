"""Gates a higher app puts on a lower app's writes, without the lower app importing it.

Cooperation's ``task_create`` asks :func:`invitation_refused` whether a merchant may
invite a creator; 消息 (``conversations``) registers the check for blocks at start-up
(``ConversationsConfig.ready``). With nothing registered every invitation passes.
A gate answers ``None`` (allowed) or the message the merchant sees.
"""

from __future__ import annotations

from collections.abc import Callable

InvitationGate = Callable[[int, int], "str | None"]

_invitation_gates: list[InvitationGate] = []


def register_invitation_gate(gate: InvitationGate) -> None:
    if gate not in _invitation_gates:
        _invitation_gates.append(gate)


def invitation_refused(*, merchant_user_id: int, creator_user_id: int) -> str | None:
    """The first refusal of a registered gate, or None when the invitation may go."""
    for gate in _invitation_gates:
        refusal = gate(merchant_user_id, creator_user_id)
        if refusal:
            return refusal
    return None
