"""Threads (消息), their messages, and how far each member has read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# A message is at most this many characters; longer is refused, not cut.
BODY_MAX = 2000


class ThreadKind(models.TextChoices):
    TASK = "task", _("合作任务")
    DIRECT = "direct", _("私信")


class Thread(models.Model):
    """A conversation between a merchant and a creator: about one task, or direct."""

    kind = models.CharField(_("类型"), max_length=10, choices=ThreadKind.choices)
    # Referenced by label: conversations reads tasks through cooperation's selectors.
    task = models.OneToOneField(
        "cooperation.Task",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thread",
        verbose_name=_("合作任务"),
    )
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant_threads",
        verbose_name=_("商家"),
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="creator_threads",
        verbose_name=_("达人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    last_message_at = models.DateTimeField(_("最后消息时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会话")
        verbose_name_plural = _("会话")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "creator"],
                condition=Q(kind="direct"),
                name="thread_one_direct_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(kind="task", task__isnull=False) | Q(kind="direct", task__isnull=True),
                name="thread_task_iff_task_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-last_message_at"], name="thread_merchant_idx"),
            models.Index(fields=["creator", "-last_message_at"], name="thread_creator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def other_of(self, user_id: int) -> int:
        return self.creator_id if user_id == self.merchant_id else self.merchant_id


class Message(models.Model):
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", verbose_name=_("会话")
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sent_messages",
        verbose_name=_("发送人"),
    )
    body = models.TextField(_("内容"), max_length=BODY_MAX)
    created_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        indexes = [models.Index(fields=["thread", "-id"], name="message_thread_idx")]

    def __str__(self) -> str:
        return self.body[:40]


class ThreadRead(models.Model):
    """How far one member has read one thread (read receipts, unread counts)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads"
    )
    last_read_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_read_once")]
