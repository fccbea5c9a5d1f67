"""Cooperation tasks (合作任务), SPEC §3: one live session a merchant asks of a creator.

The life of a task is the explicit transition table :data:`TRANSITIONS`: for each
action, the party who may take it, the states it may start from and the state it
leads to. Services (``cooperation.services.tasks``) are the only writers; they
consult this table, lock the row and record a :class:`TaskTransition` for every
move (who, when, from, to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from settlement.commission import MAX_RATE, MIN_RATE

# An invitation unanswered this long expires (beat job ``expire_invitations``).
INVITATION_TTL = timedelta(hours=72)
# A reported live session completes by itself this long after the report.
AUTOCOMPLETE_AFTER = timedelta(days=7)


class TaskState(models.TextChoices):
    INVITED = "invited", _("待达人确认")
    ACCEPTED = "accepted", _("待寄样")
    SHIPPED = "shipped", _("待签收")
    RECEIVED = "received", _("待直播")
    LIVE_REPORTED = "live_reported", _("待确认")
    COMPLETED = "completed", _("已完成")
    DECLINED = "declined", _("已拒绝")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已过期")


OPEN_STATES = frozenset(
    {
        TaskState.INVITED,
        TaskState.ACCEPTED,
        TaskState.SHIPPED,
        TaskState.RECEIVED,
        TaskState.LIVE_REPORTED,
    }
)
CLOSED_STATES = frozenset(set(TaskState) - OPEN_STATES)


class TaskAction(models.TextChoices):
    CREATE = "create", _("发起合作")
    ACCEPT = "accept", _("接受邀请")
    DECLINE = "decline", _("拒绝邀请")
    CANCEL = "cancel", _("取消合作")
    SHIP_SAMPLE = "ship_sample", _("寄出样品")
    CONFIRM_RECEIPT = "confirm_receipt", _("确认签收")
    REPORT_LIVE = "report_live", _("提交直播")
    CONFIRM_COMPLETION = "confirm_completion", _("确认完成")
    EXPIRE = "expire", _("邀请过期")
    AUTOCOMPLETE = "autocomplete", _("自动完成")


class Party(models.TextChoices):
    """Who may take an action: the task's merchant, its creator, or the platform's clock."""

    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人")
    SYSTEM = "system", _("系统")


@dataclass(frozen=True)
class Transition:
    action: str
    party: str
    sources: frozenset[str]
    target: str


def _t(action: str, party: str, sources: set[str], target: str) -> Transition:
    return Transition(action, party, frozenset(sources), target)


# The whole state machine of SPEC §3. Anything not listed here is refused.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(TaskAction.ACCEPT, Party.CREATOR, {TaskState.INVITED}, TaskState.ACCEPTED),
        _t(TaskAction.DECLINE, Party.CREATOR, {TaskState.INVITED}, TaskState.DECLINED),
        # The merchant may cancel while invited and until the sample is shipped.
        _t(
            TaskAction.CANCEL,
            Party.MERCHANT,
            {TaskState.INVITED, TaskState.ACCEPTED},
            TaskState.CANCELLED,
        ),
        _t(TaskAction.SHIP_SAMPLE, Party.MERCHANT, {TaskState.ACCEPTED}, TaskState.SHIPPED),
        _t(TaskAction.CONFIRM_RECEIPT, Party.CREATOR, {TaskState.SHIPPED}, TaskState.RECEIVED),
        _t(TaskAction.REPORT_LIVE, Party.CREATOR, {TaskState.RECEIVED}, TaskState.LIVE_REPORTED),
        _t(
            TaskAction.CONFIRM_COMPLETION,
            Party.MERCHANT,
            {TaskState.LIVE_REPORTED},
            TaskState.COMPLETED,
        ),
        _t(TaskAction.EXPIRE, Party.SYSTEM, {TaskState.INVITED}, TaskState.EXPIRED),
        _t(TaskAction.AUTOCOMPLETE, Party.SYSTEM, {TaskState.LIVE_REPORTED}, TaskState.COMPLETED),
    )
}

# The timestamp field each target state stamps when a transition enters it.
STATE_TIMESTAMP = {
    TaskState.ACCEPTED: "accepted_at",
    TaskState.DECLINED: "declined_at",
    TaskState.CANCELLED: "cancelled_at",
    TaskState.SHIPPED: "shipped_at",
    TaskState.RECEIVED: "received_at",
    TaskState.LIVE_REPORTED: "live_reported_at",
    TaskState.COMPLETED: "completed_at",
    TaskState.EXPIRED: "expired_at",
}


# Badge tone of each state on pages (badge--<tone>).
STATE_TONE = {
    TaskState.INVITED: "info",
    TaskState.ACCEPTED: "warn",
    TaskState.SHIPPED: "warn",
    TaskState.RECEIVED: "warn",
    TaskState.LIVE_REPORTED: "warn",
    TaskState.COMPLETED: "ok",
    TaskState.DECLINED: "",
    TaskState.CANCELLED: "",
    TaskState.EXPIRED: "",
}


def allowed_actions(state: str, party: str) -> list[str]:
    """Actions ``party`` may take on a task in ``state`` (in table order)."""
    return [t.action for t in TRANSITIONS.values() if t.party == party and state in t.sources]


class Task(models.Model):
    """合作任务: a merchant invites a creator for one live session with some of its products."""

    merchant = models.ForeignKey(
        "admission.Merchant", verbose_name=_("商家"), on_delete=models.PROTECT, related_name="tasks"
    )
    creator = models.ForeignKey(
        "admission.Creator", verbose_name=_("达人"), on_delete=models.PROTECT, related_name="tasks"
    )
    activity = models.ForeignKey(
        "admission.Activity",
        verbose_name=_("官方活动"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=TaskState.choices, default=TaskState.INVITED
    )
    slot_fee = models.DecimalField(_("坑位费"), max_digits=14, decimal_places=2)
    planned_live_date = models.DateField(_("计划直播日期"))
    note = models.TextField(_("合作说明"), blank=True, max_length=1000)

    sample_carrier = models.CharField(_("快递公司"), max_length=32, blank=True)
    sample_tracking_no = models.CharField(_("快递单号"), max_length=64, blank=True)
    live_at = models.DateTimeField(_("直播时间"), null=True, blank=True)
    replay_url = models.URLField(_("直播回放链接"), max_length=500, blank=True)

    created_at = models.DateTimeField(_("发起时间"))
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    declined_at = models.DateTimeField(_("拒绝时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    expired_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("寄样时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    live_reported_at = models.DateTimeField(_("直播提交时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合作任务")
        verbose_name_plural = _("合作任务")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in TaskState]), name="task_state_valid"
            ),
            models.CheckConstraint(condition=Q(slot_fee__gte=0), name="task_slot_fee_nonneg"),
            # A shipped sample always has its tracking number.
            models.CheckConstraint(
                condition=Q(shipped_at__isnull=True) | ~Q(sample_tracking_no=""),
                name="task_shipped_has_tracking",
            ),
            # A reported live session always has its time.
            models.CheckConstraint(
                condition=Q(live_reported_at__isnull=True) | Q(live_at__isnull=False),
                name="task_live_reported_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(completed_at__isnull=False),
                name="task_completed_has_time",
            ),
            # One open invitation per merchant and creator: a double-clicked
            # 我要合作 creates one task, and a creator is not spammed.
            models.UniqueConstraint(
                fields=["merchant", "creator"],
                condition=Q(state="invited"),
                name="task_one_open_invitation",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "state", "-created_at"], name="task_merchant_idx"),
            models.Index(fields=["creator", "state", "-created_at"], name="task_creator_idx"),
            # The task list's 全部 tab, newest first: an index scan that stops at the page.
            models.Index(fields=["merchant", "-created_at", "-id"], name="task_merchant_list_idx"),
            models.Index(fields=["creator", "-created_at", "-id"], name="task_creator_list_idx"),
            # Beat jobs: invitations by age, live reports by age.
            models.Index(fields=["state", "created_at"], name="task_state_created_idx"),
            models.Index(fields=["state", "live_reported_at"], name="task_state_live_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.merchant} → {self.creator}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_tone(self) -> str:
        return STATE_TONE.get(self.state, "")

    @property
    def respond_by(self):
        """When an unanswered invitation expires."""
        return self.created_at + INVITATION_TTL if self.created_at else None

    @property
    def autocompletes_at(self):
        """When a reported live session completes by itself."""
        return self.live_reported_at + AUTOCOMPLETE_AFTER if self.live_reported_at else None

    def party_of(self, user) -> str | None:
        """Party.MERCHANT / Party.CREATOR for the task's two sides, else None."""
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        if user.pk == self.merchant_id:
            return Party.MERCHANT
        if user.pk == self.creator_id:
            return Party.CREATOR
        return None


class TaskProduct(models.Model):
    """A product in a task, with its service-fee rate (and title, price) copied at creation."""

    task = models.ForeignKey(
        Task, verbose_name=_("合作任务"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        "cooperation.Product",
        verbose_name=_("商品"),
        on_delete=models.PROTECT,
        related_name="task_items",
    )
    sku = models.CharField(_("商品编码"), max_length=64)
    title = models.CharField(_("商品名称"), max_length=120)
    price = models.DecimalField(_("价格"), max_digits=14, decimal_places=2)
    service_fee_rate = models.DecimalField(_("服务费率"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("任务商品")
        verbose_name_plural = _("任务商品")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "product"], name="task_product_once"),
            models.CheckConstraint(
                condition=Q(service_fee_rate__gte=MIN_RATE) & Q(service_fee_rate__lte=MAX_RATE),
                name="task_product_rate_1_80",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.sku})"


class TaskTransition(models.Model):
    """One move of a task: who (None for the platform's clock), when, from which state to which."""

    task = models.ForeignKey(
        Task, verbose_name=_("合作任务"), on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("操作"), max_length=24, choices=TaskAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    from_state = models.CharField(_("原状态"), max_length=16, choices=TaskState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=TaskState.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("任务流转记录")
        verbose_name_plural = _("任务流转记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["task", "at"], name="task_transition_task_idx")]

    def __str__(self) -> str:
        return f"#{self.task_id} {self.from_state or '∅'} → {self.to_state}"


__all__ = [
    "AUTOCOMPLETE_AFTER",
    "CLOSED_STATES",
    "INVITATION_TTL",
    "OPEN_STATES",
    "STATE_TIMESTAMP",
    "STATE_TONE",
    "TRANSITIONS",
    "Party",
    "Task",
    "TaskAction",
    "TaskProduct",
    "TaskState",
    "TaskTransition",
    "Transition",
    "allowed_actions",
]
