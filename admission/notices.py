"""The 准入状态变化 notification: raised when an operator's decision turns a verdict around.

The verdict is computed, not stored (``admission.rules``), so a service that
can change it reads it before and after its write and notifies the parties
whose verdict flipped, keyed by the decision.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from admission import rules
from admission.models import User
from notifications.kinds import Kind
from notifications.services import notify


def verdicts(users: Iterable[User]) -> dict[int, bool]:
    """Whether each party is admitted now (user pk → admitted)."""
    return {user.pk: rules.evaluate(user).admitted for user in users}


def verdicts_changed(before: dict[int, bool], *, event: str) -> list[int]:
    """Notify every party of ``before`` whose verdict differs now; returns their pks."""
    changed = []
    for user in User.objects.filter(pk__in=before):
        admitted = rules.evaluate(user).admitted
        if admitted == before[user.pk]:
            continue
        changed.append(user.pk)
        notify(
            recipient=user,
            kind=Kind.ADMISSION_CHANGED,
            key=f"admission:{event}",
            url=reverse("admission:center"),
            context={"verdict": _("已准入") if admitted else _("未准入")},
        )
    return changed
