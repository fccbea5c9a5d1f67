"""Notifications (通知), each user's delivery preference per kind, and the email outbox.

The outbox is a table, not a queue: an email to send is a row written in the
same transaction as the event, so with Redis (the broker) away nothing is lost;
the Celery task only carries its id, and a periodic task sends what is left.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Delivery, Kind, render, render_html


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=40, choices=Kind.choices)
    # The event's identity (e.g. ``task:12:accepted``): one notification per
    # recipient and event, however often the event's service is retried.
    key = models.CharField(_("事件键"), max_length=120)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    context = models.JSONField(_("内容参数"), default=dict, blank=True)
    # How it was to be delivered when it was raised (the recipient's preference then):
    # 即时邮件 went to the outbox at once, 每日摘要 waits for the day's digest.
    delivery = models.CharField(
        _("提醒方式"), max_length=10, choices=Delivery.choices, default=Delivery.IN_APP
    )
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return render(self.kind, self.context)

    @property
    def message_html(self):
        """The message for a page, names and titles marked as the parties' own."""
        return render_html(self.kind, self.context)

    @property
    def unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """How one user wants one kind delivered; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("类型"), max_length=40, choices=Kind.choices)
    delivery = models.CharField(_("提醒方式"), max_length=10, choices=Delivery.choices)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")
        ]


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutboxEmail(models.Model):
    """One email to send, exactly once: keyed by the event (or the user's digest day)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="outbox_emails",
        verbose_name=_("接收人"),
    )
    # ``event:<user>:<notification key>`` or ``digest:<user>:<YYYY-MM-DD>``.
    key = models.CharField(_("事件键"), max_length=160, unique=True)
    to = models.EmailField(_("收件地址"))
    subject = models.CharField(_("主题"), max_length=200)
    body = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # A sender claims a row until then; a crashed sender's claim runs out and the
    # periodic task takes the row again.
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("邮件发件箱")
        verbose_name_plural = _("邮件发件箱")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
