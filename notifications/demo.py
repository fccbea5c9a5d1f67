"""Demo data for 通知: every demo account reads its email as a daily digest.

Runs right after admission (before any event is seeded), so the events that the
settlement, cooperation and workbench seeds raise land in the notification
centers without printing an email each on the console of ``make demo``; the
08:00 digest (beat) mails them. A user can change it on 通知设置.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from notifications.kinds import KINDS, Delivery
from notifications.models import Preference


def seed(*, users_only: bool, context: dict) -> None:
    if users_only:
        return
    users = get_user_model().objects.exclude(is_staff=True).values_list("pk", flat=True)
    Preference.objects.bulk_create(
        [
            Preference(user_id=pk, kind=kind, delivery=Delivery.DIGEST)
            for pk in users
            for kind in KINDS
        ],
        ignore_conflicts=True,  # a user's own choice (or an earlier seed) stays
    )
