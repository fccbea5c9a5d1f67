"""Raising notifications, reading them, preferences, and sending the email outbox.

``notify`` is the one door the other apps call, from inside the service where
the event happens. The notification (and, for 即时邮件, its outbox row) is
written in the caller's transaction, so it exists exactly when the event does:
a refusal that rolls the event back leaves no notification, and a commit
cannot lose one. Only the Celery hand-off waits for the commit
(``transaction.on_commit``); if the broker is away then, the row waits in the
outbox and ``outbox_resume`` (beat, every minute) sends it.

Exactly once, per event: ``Notification(recipient, key)`` and
``OutboxEmail.key`` are unique (a retried or concurrent event service writes
nothing the second time), and a sender claims an outbox row with a
conditional UPDATE before sending and marks it sent after, so a retried task
or a second worker finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotwave.exceptions import DomainError
from notifications.kinds import KINDS, Delivery, Kind
from notifications.models import Notification, OutboxEmail, OutboxStatus, Preference

logger = logging.getLogger(__name__)
User = get_user_model()

# A sender's claim on an outbox row: longer than an SMTP conversation takes.
CLAIM_FOR = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def delivery_for(user: User, kind: str) -> str:
    """The user's choice for ``kind``, or the kind's default."""
    chosen = (
        Preference.objects.filter(user=user, kind=kind).values_list("delivery", flat=True).first()
    )
    return chosen or KINDS[kind].default


def _stored(context: dict | None) -> dict:
    # Labels are kept as their Chinese msgids (the catalogues' keys), so a reader in
    # either language sees them translated (notifications.kinds.render).
    with translation.override(settings.LANGUAGE_CODE):
        return {str(k): "" if v is None else str(v) for k, v in (context or {}).items()}


def notify(
    *,
    recipient: User | int,
    kind: str,
    key: str,
    url: str = "",
    context: dict | None = None,
    now: datetime | None = None,
) -> None:
    """Raise one notification of ``kind`` for the event ``key``; once per recipient and key.

    Written in the caller's transaction; the email (by the recipient's preference)
    is handed to Celery after commit.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user = recipient if isinstance(recipient, User) else User.objects.get(pk=recipient)
    now = now or timezone.now()
    delivery = delivery_for(user, kind)
    # get_or_create inserts in a savepoint and reads the winner on a conflict: the
    # same event again (a retry, a second worker) creates nothing.
    note, created = Notification.objects.get_or_create(
        recipient=user,
        key=key[:120],
        defaults={
            "kind": kind,
            "url": url[:300],
            "context": _stored(context),
            "delivery": delivery,
            "created_at": now,
        },
    )
    if created and delivery == Delivery.EMAIL and user.email:
        _outbox_event_email(note)


def notify_many(
    *, kind: str, items: list[tuple[int, str, str, dict]], now: datetime | None = None
) -> int:
    """``notify`` for many recipients at once, set-based: (recipient id, key, url, context).

    For a batch (the settlement run's held payouts): a few queries whatever the size.
    Returns how many notifications are new.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not items:
        return 0
    now = now or timezone.now()
    users = {u.pk: u for u in User.objects.filter(pk__in={i[0] for i in items})}
    chosen = dict(
        Preference.objects.filter(user_id__in=users, kind=kind).values_list("user_id", "delivery")
    )
    existing = set(
        Notification.objects.filter(
            recipient_id__in=users, key__in={i[1][:120] for i in items}
        ).values_list("recipient_id", "key")
    )
    new = [
        Notification(
            recipient_id=uid,
            kind=kind,
            key=key[:120],
            url=url[:300],
            context=_stored(context),
            delivery=chosen.get(uid, KINDS[kind].default),
            created_at=now,
        )
        for uid, key, url, context in items
        if uid in users and (uid, key[:120]) not in existing
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    for note in new:
        user = users[note.recipient_id]
        if note.delivery == Delivery.EMAIL and user.email:
            note.recipient = user
            _outbox_event_email(note)  # the outbox key keeps a concurrent run from mailing twice
    return len(new)


def _absolute(url: str) -> str:
    base = settings.HOTWAVE_SITE_URL.rstrip("/")
    return f"{base}{url}" if url.startswith("/") else url


def _outbox_event_email(note: Notification) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Kind(note.kind).label)
        subject = _("【Hotwave 热浪】%(label)s") % {"label": label}
        lines = [note.message, ""]
        if note.url:
            lines.append(_absolute(note.url))
        lines += ["", _("在「通知」页可以更改每类通知的提醒方式。")]
    _outbox_add(
        recipient=note.recipient,
        key=f"event:{note.recipient_id}:{note.key}",
        subject=subject,
        body="\n".join(lines),
    )


def _outbox_add(*, recipient: User, key: str, subject: str, body: str) -> OutboxEmail | None:
    row, created = OutboxEmail.objects.get_or_create(
        key=key[:160],
        defaults={
            "recipient": recipient,
            "to": recipient.email,
            "subject": subject[:200],
            "body": body,
            "created_at": timezone.now(),
        },
    )
    if not created:
        return None
    transaction.on_commit(lambda pk=row.pk: _enqueue(pk))
    return row


def _enqueue(outbox_id: int) -> None:
    from notifications.tasks import deliver_email

    try:
        deliver_email.delay(outbox_id)
    except Exception:  # the broker is away: the row stays pending, outbox_resume sends it
        logger.warning("email %s left in the outbox: the broker is unavailable", outbox_id)


# --- sending ---------------------------------------------------------------------------


class SendFailed(Exception):
    """The mail server refused or was unreachable; the row is pending again."""


def outbox_claim(*, outbox_id: int, now: datetime | None = None) -> OutboxEmail | None:
    """Claim a pending row for sending (a conditional UPDATE); None if sent, failed or taken."""
    now = now or timezone.now()
    claimed = OutboxEmail.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=outbox_id,
        status=OutboxStatus.PENDING,
    ).update(claimed_until=now + CLAIM_FOR, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return OutboxEmail.objects.get(pk=outbox_id)


def outbox_send(*, outbox_id: int, now: datetime | None = None) -> bool:
    """Send one outbox email if it is still pending; True if sent now. Raises SendFailed."""
    row = outbox_claim(outbox_id=outbox_id, now=now)
    if row is None:
        return False
    try:
        EmailMessage(row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.to]).send()
    except Exception as exc:
        give_up = row.attempts >= MAX_ATTEMPTS
        OutboxEmail.objects.filter(pk=row.pk).update(
            status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
            claimed_until=None,
            last_error=str(exc)[:300],
        )
        if give_up:
            logger.error("email %s failed %s times; giving up", row.pk, row.attempts)
            return False
        raise SendFailed(str(exc)) from exc
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    return True


def outbox_resume(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every pending email not claimed by a live sender (after Redis was away); how many."""
    now = now or timezone.now()
    ids = list(
        OutboxEmail.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), status=OutboxStatus.PENDING
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        try:
            sent += outbox_send(outbox_id=pk, now=now)
        except SendFailed:
            continue  # tried again on the next run, up to MAX_ATTEMPTS
    return sent


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, start + timedelta(days=1)


def digests_queue(*, day: date) -> int:
    """One 每日摘要 email per user with digest notifications raised on ``day``; how many new.

    Keyed ``digest:<user>:<day>``: running it again for the same day adds nothing.
    """
    start, end = _day_bounds(day)
    notes = (
        Notification.objects.filter(
            delivery=Delivery.DIGEST, created_at__gte=start, created_at__lt=end
        )
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = {}
    for note in notes:
        by_user.setdefault(note.recipient_id, []).append(note)
    queued = 0
    for items in by_user.values():
        user = items[0].recipient
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("【Hotwave 热浪】%(day)s 的通知摘要（%(n)s 条）") % {
                "day": day.isoformat(),
                "n": len(items),
            }
            lines = []
            for note in items:
                when = timezone.localtime(note.created_at).strftime("%H:%M")
                lines.append(f"{when}  {note.message}")
                if note.url:
                    lines.append(f"       {_absolute(note.url)}")
        with transaction.atomic():
            if _outbox_add(
                recipient=user,
                key=f"digest:{user.pk}:{day.isoformat()}",
                subject=subject,
                body="\n".join(lines),
            ):
                queued += 1
    return queued


# --- reading -------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> None:
    """Mark one of the reader's notifications read (already read: unchanged)."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


@transaction.atomic
def notifications_mark_all_read(*, actor: User, now: datetime | None = None) -> int:
    """Mark every unread notification of ``actor`` read; how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


@transaction.atomic
def preferences_set(*, actor: User, choices: dict[str, str]) -> None:
    """Store ``actor``'s delivery per kind. Raises DomainError on an unknown kind or choice."""
    for kind, delivery in choices.items():
        if kind not in KINDS or delivery not in Delivery.values:
            raise DomainError(_("无效的通知设置。"), code="notifications.bad_preference")
    for kind, delivery in choices.items():
        Preference.objects.update_or_create(user=actor, kind=kind, defaults={"delivery": delivery})


def recipients(*users: User | int | None) -> Iterable[User | int]:
    """The distinct users among ``users`` (None left out)."""
    seen: set[int] = set()
    for user in users:
        if user is None:
            continue
        pk = user if isinstance(user, int) else user.pk
        if pk not in seen:
            seen.add(pk)
            yield user
