"""notify once per event, the outbox sends each email exactly once, digests, Redis away."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from notifications import services, tasks
from notifications.kinds import KINDS, Delivery, Kind, render
from notifications.models import Notification, OutboxEmail, OutboxStatus
from tests.admission.factories import CreatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    return CreatorFactory(user__username="nora", user__email="nora@example.com").user


def _notify(user, key="task:1:invited", kind=Kind.INVITATION_RECEIVED, **kw):
    services.notify(
        recipient=user,
        kind=kind,
        key=key,
        url="/tasks/1/",
        context={
            "merchant": "爱丽丝的店",
            "task": "HW-T-000001",
            "fee": "¥1,000.00",
            "tracking": "顺丰速运 SF1",
        },
        **kw,
    )


def test_the_same_event_twice_is_one_notification_and_one_email(
    reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(reader)
        _notify(reader)
    assert Notification.objects.filter(recipient=reader).count() == 1
    assert OutboxEmail.objects.filter(recipient=reader).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nora@example.com"]
    assert "爱丽丝的店" in mail.outbox[0].body and "HW-T-000001" in mail.outbox[0].body
    assert OutboxEmail.objects.get().status == OutboxStatus.SENT


def test_the_email_task_retried_after_sending_sends_nothing_more(
    reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _notify(reader)
    row = OutboxEmail.objects.get()
    # A retry, a redelivered message (acks_late) and a second worker: all find it sent.
    assert tasks.deliver_email.apply(args=[row.pk]).get() is False
    assert tasks.deliver_email.apply(args=[row.pk]).get() is False
    assert services.outbox_resume() == 0
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_is_retried_then_sent_once(
    reader, django_capture_on_commit_callbacks
):
    calls = {"n": 0}
    real_send = mail.EmailMessage.send

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("smtp down")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(mail.EmailMessage, "send", flaky):
        with django_capture_on_commit_callbacks(execute=False):
            _notify(reader)
        row = OutboxEmail.objects.get()
        # The first attempt fails: the task asks Celery for a retry, the row waits.
        with pytest.raises(Retry):
            tasks.deliver_email.apply(args=[row.pk]).get()
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "smtp down")
        # The retry (what the worker runs after the countdown) sends it; a redelivery
        # of either message finds it sent.
        assert tasks.deliver_email.apply(args=[row.pk], retries=1).get() is True
        assert tasks.deliver_email.apply(args=[row.pk], retries=1).get() is False
        assert tasks.deliver_email.apply(args=[row.pk]).get() is False
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_retries_are_bounded_then_the_row_is_failed(reader):
    with mock.patch.object(mail.EmailMessage, "send", side_effect=OSError("no route")):
        _notify(reader)
        row = OutboxEmail.objects.get()
        for _ in range(services.MAX_ATTEMPTS - 1):
            with pytest.raises(services.SendFailed):
                services.outbox_send(outbox_id=row.pk)
        assert services.outbox_send(outbox_id=row.pk) is False  # the last attempt gives up
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, services.MAX_ATTEMPTS)
    assert services.outbox_resume() == 0 and len(mail.outbox) == 0
    assert tasks.RETRIES < services.MAX_ATTEMPTS


def test_with_the_broker_away_the_outbox_keeps_the_email_and_resume_sends_it(
    reader, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.deliver_email, "delay", side_effect=ConnectionError("redis")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _notify(reader)
    assert Notification.objects.filter(recipient=reader).count() == 1  # the in-app one is there
    assert OutboxEmail.objects.get().status == OutboxStatus.PENDING and len(mail.outbox) == 0
    assert tasks.resume_outbox.apply().get() == 1
    assert len(mail.outbox) == 1
    assert tasks.resume_outbox.apply().get() == 0


def test_a_claimed_row_is_left_to_its_sender_until_the_claim_runs_out(reader):
    _notify(reader)
    row = OutboxEmail.objects.get()
    assert services.outbox_claim(outbox_id=row.pk) is not None  # a sender took it, then died
    assert services.outbox_resume() == 0
    assert services.outbox_resume(now=timezone.now() + services.CLAIM_FOR * 2) == 1
    assert len(mail.outbox) == 1


def test_preferences_choose_in_app_only_or_the_daily_digest(reader):
    services.preferences_set(
        actor=reader,
        choices={Kind.INVITATION_RECEIVED: Delivery.IN_APP, Kind.SAMPLE_SHIPPED: Delivery.DIGEST},
    )
    _notify(reader, key="a")
    _notify(reader, key="b", kind=Kind.SAMPLE_SHIPPED)
    _notify(reader, key="c", kind=Kind.SAMPLE_SHIPPED)
    assert OutboxEmail.objects.count() == 0
    today = timezone.localdate()
    assert services.digests_queue(day=today) == 1
    assert services.digests_queue(day=today) == 0  # once per user and day
    assert tasks.send_digests.apply(args=[today.isoformat()]).get() == 0
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert "2 条" in digest.subject and digest.body.count("HW-T-000001") == 2
    assert services.digests_queue(day=today - timedelta(days=1)) == 0


def test_a_user_without_email_gets_the_notification_only():
    user = CreatorFactory(user__email="").user
    _notify(user)
    assert Notification.objects.filter(recipient=user).count() == 1
    assert OutboxEmail.objects.count() == 0


def test_bad_preferences_are_refused_and_change_nothing(reader):
    from hotwave.exceptions import DomainError

    with pytest.raises(DomainError):
        services.preferences_set(
            actor=reader, choices={Kind.SAMPLE_SHIPPED: "digest", "nonsense": "email"}
        )
    with pytest.raises(DomainError):
        services.preferences_set(actor=reader, choices={Kind.SAMPLE_SHIPPED: "sms"})
    assert not reader.notification_preferences.exists()


def test_a_refused_event_leaves_no_notification(reader):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(reader)
        raise RuntimeError("the event's service refused")
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_labels_translate_when_shown_in_english(reader):
    from django.utils import translation

    services.notify(
        recipient=reader,
        kind=Kind.DEADLINE_SOON,
        key="k",
        context={"task": "HW-T-000002", "deadline": "寄出样品", "due": "2026-12-03 10:00"},
    )
    note = Notification.objects.get()
    with translation.override("en"):
        assert "Ship sample" in note.message and "寄" not in note.message
    with translation.override("zh-hans"):
        assert "寄出样品" in note.message


def test_every_kind_has_a_label_and_a_default():
    for kind in Kind.values:
        assert KINDS[kind].default in Delivery.values
        assert render(kind, {}) == str(Kind(kind).label)  # missing context: the label, no crash
