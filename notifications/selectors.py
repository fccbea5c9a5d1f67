"""Reads of a user's own notifications and preferences; someone else's is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from notifications.kinds import KINDS, Kind
from notifications.models import Notification, Preference

User = get_user_model()


def notifications_for(*, actor: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=actor).order_by("-created_at", "-pk")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_for(*, actor: User, pk: int) -> Notification:
    """One of ``actor``'s notifications. Raises Http404 for anyone else's."""
    note = Notification.objects.filter(recipient=actor, pk=pk).first()
    if note is None:
        raise Http404
    return note


def unread_count(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).count()


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    delivery: str


def preferences_for(*, actor: User) -> list[PreferenceRow]:
    """Every kind with the user's delivery (its default where the user chose nothing)."""
    chosen = dict(Preference.objects.filter(user=actor).values_list("kind", "delivery"))
    return [
        PreferenceRow(kind, str(Kind(kind).label), chosen.get(kind, info.default))
        for kind, info in KINDS.items()
    ]
