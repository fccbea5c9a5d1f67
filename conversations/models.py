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
    # An agency and a creator about one 机构绑定 invitation (settlement.Binding).
    BINDING = "binding", _("机构绑定")


class Thread(models.Model):
    """A conversation with a creator: a merchant's about one task, or direct; or an
    agency's about one binding invitation. ``merchant`` is set for the first two kinds,
    ``agency`` and ``binding`` for the third (``party_id`` is whichever is set)."""

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
    # Referenced by label: conversations reads bindings through settlement's selectors.
    binding = models.OneToOneField(
        "settlement.Binding",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thread",
        verbose_name=_("机构绑定"),
    )
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="merchant_threads",
        verbose_name=_("商家"),
    )
    agency = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agency_threads",
        verbose_name=_("机构"),
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="creator_threads",
        verbose_name=_("达人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    last_message_at = models.DateTimeField(_("最后消息时间"), null=True, blank=True)
    # A direct thread the merchant opened with a creator it had no task with: counts
    # against the daily outreach quota (CONVERSATIONS_OUTREACH_PER_DAY).
    outreach = models.BooleanField(_("主动联系"), default=False)

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
                condition=Q(
                    kind="task",
                    task__isnull=False,
                    binding__isnull=True,
                    merchant__isnull=False,
                    agency__isnull=True,
                )
                | Q(
                    kind="direct",
                    task__isnull=True,
                    binding__isnull=True,
                    merchant__isnull=False,
                    agency__isnull=True,
                )
                | Q(
                    kind="binding",
                    task__isnull=True,
                    binding__isnull=False,
                    merchant__isnull=True,
                    agency__isnull=False,
                ),
                name="thread_kind_parties",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-last_message_at"], name="thread_merchant_idx"),
            models.Index(fields=["creator", "-last_message_at"], name="thread_creator_idx"),
            models.Index(fields=["agency", "-last_message_at"], name="thread_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def party_id(self) -> int:
        """The creator's counterpart: the merchant, or the agency of a binding thread."""
        return self.merchant_id if self.merchant_id is not None else self.agency_id

    @property
    def cards_allowed(self) -> bool:
        """Product and task cards belong to a merchant and a creator, not to a binding."""
        return self.kind != ThreadKind.BINDING

    def other_of(self, user_id: int) -> int:
        return self.party_id if user_id == self.creator_id else self.creator_id


class MessageKind(models.TextChoices):
    TEXT = "text", _("文字")
    # Written by cooperation's dispute_open (through hotwave.threads): the dispute's
    # statements and evidence are the thread's messages from this one on (SPEC §7).
    DISPUTE_OPENED = "dispute_opened", _("发起争议")


class Message(models.Model):
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", verbose_name=_("会话")
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=MessageKind.choices, default=MessageKind.TEXT
    )
    dispute = models.ForeignKey(
        "cooperation.Dispute",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("争议"),
    )
    # Cards are references: what they show is read from our data when the message is shown.
    card_product = models.ForeignKey(
        "cooperation.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("商品卡片"),
    )
    card_task = models.ForeignKey(
        "cooperation.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("任务卡片"),
    )
    # A picture, re-encoded like product images (cooperation.images); served only to the
    # thread's readers (conversations:image), never from the public media URL.
    image = models.CharField(_("图片"), max_length=200, blank=True)
    thumb = models.CharField(_("缩略图"), max_length=200, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sent_messages",
        verbose_name=_("发送人"),
    )
    body = models.TextField(_("内容"), max_length=BODY_MAX, blank=True)
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


class RestrictionKind(models.TextChoices):
    MUTE = "mute", _("免打扰")
    BLOCK = "block", _("屏蔽")


class Restriction(models.Model):
    """A creator mutes a merchant (its threads count as read) or blocks it (no messages,
    no direct threads, no invitations). An operator's decision on a report may block too."""

    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="restrictions_set",
        verbose_name=_("达人"),
    )
    merchant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="restrictions_on",
        verbose_name=_("商家"),
    )
    kind = models.CharField(_("类型"), max_length=10, choices=RestrictionKind.choices)
    # Set when an operator blocked the pair deciding a report: the creator cannot lift it.
    report = models.ForeignKey(
        "Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("举报"),
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("免打扰与屏蔽")
        verbose_name_plural = _("免打扰与屏蔽")
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "merchant", "kind"], name="restriction_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.creator_id}→{self.merchant_id}"


class ReportReason(models.TextChoices):
    HARASSMENT = "harassment", _("骚扰或辱骂")
    SPAM = "spam", _("垃圾广告")
    FRAUD = "fraud", _("诈骗或站外交易")
    OTHER = "other", _("其他")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DISMISSED = "dismissed", _("已驳回")
    WARNED = "warned", _("已警告")
    BLOCKED = "blocked", _("已屏蔽发送方")


REPORT_DETAIL_MAX = 500


class Report(models.Model):
    """A party reports a thread; operators read it only through this report (audited)."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="reports", verbose_name=_("会话")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="thread_reports",
        verbose_name=_("举报人"),
    )
    reason = models.CharField(_("举报原因"), max_length=20, choices=ReportReason.choices)
    detail = models.TextField(_("补充说明"), max_length=REPORT_DETAIL_MAX, blank=True)
    created_at = models.DateTimeField(_("举报时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_reports",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("会话举报")
        verbose_name_plural = _("会话举报")
        permissions = [("decide_report", _("可以处理会话举报"))]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "reporter"],
                condition=Q(status="open"),
                name="report_one_open_per_reporter",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="report_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"

    @property
    def reported_id(self) -> int:
        return self.thread.other_of(self.reporter_id)


class OperatorAccess(models.Model):
    """An operator opened a thread that is not theirs: who and when (the audit of it)."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("运营人员"),
    )
    opened_at = models.DateTimeField(_("查看时间"))

    class Meta:
        abstract = True
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.operator_id} @ {self.opened_at:%Y-%m-%d %H:%M}"


class ReportAccess(OperatorAccess):
    """An operator opened a reported thread's messages: who, which report, when."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="accesses", verbose_name=_("举报")
    )

    class Meta(OperatorAccess.Meta):
        verbose_name = _("举报会话查看记录")
        verbose_name_plural = _("举报会话查看记录")


class DisputeAccess(OperatorAccess):
    """An operator opened the task thread of a dispute: who, which dispute, when."""

    dispute = models.ForeignKey(
        "cooperation.Dispute",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("争议"),
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.PROTECT, related_name="+", verbose_name=_("会话")
    )

    class Meta(OperatorAccess.Meta):
        verbose_name = _("争议会话查看记录")
        verbose_name_plural = _("争议会话查看记录")
