"""Cooperation tasks (合作任务), SPEC §3: one live session a merchant asks of a creator.

The life of a task is the explicit transition table :data:`TRANSITIONS`: for each
action, the party who may take it, the states it may start from and the state it
leads to. Services (``cooperation.services.tasks``) are the only writers; they
consult this table, lock the row and record a :class:`TaskTransition` for every
move (who, when, from, to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from settlement.commission import MAX_RATE, MIN_RATE

SHANGHAI = ZoneInfo("Asia/Shanghai")
# An invitation unanswered this long expires (``cooperation_tick``).
INVITATION_TTL = timedelta(hours=72)
# A reported live session completes by itself this long after the report.
AUTOCOMPLETE_AFTER = timedelta(days=settings.COOPERATION_CONFIRM_DAYS)
REMIND_BEFORE = timedelta(hours=settings.COOPERATION_REMIND_HOURS)
BREACH_AUTOCANCEL_AFTER = timedelta(days=settings.COOPERATION_BREACH_AUTOCANCEL_DAYS)
DISPUTE_ANSWER_WITHIN = timedelta(days=settings.COOPERATION_DISPUTE_ANSWER_DAYS)
ATTRIBUTION_WINDOW = timedelta(hours=settings.COOPERATION_ATTRIBUTION_HOURS)
DEADLINE_BOUNDS: dict[str, dict[str, int]] = settings.COOPERATION_DEADLINES
REFERENCE_PREFIX = "HW-T-"


def task_reference(pk: int) -> str:
    """HW-T-000123: the public reference of task 123 (SPEC §7)."""
    return f"{REFERENCE_PREFIX}{pk:06d}"


def task_pk_of(reference: str) -> int | None:
    """The task id in a reference, or None if it is not one."""
    if not isinstance(reference, str) or not reference.startswith(REFERENCE_PREFIX):
        return None
    digits = reference[len(REFERENCE_PREFIX) :]
    if not (6 <= len(digits) <= 12 and digits.isascii() and digits.isdigit()):
        return None
    return int(digits)


class TaskState(models.TextChoices):
    INVITED = "invited", _("待达人确认")
    ACCEPTED = "accepted", _("待寄样")
    SHIPPED = "shipped", _("待签收")
    RECEIVED = "received", _("待直播")
    LIVE_REPORTED = "live_reported", _("待确认")
    DISPUTED = "disputed", _("争议中")
    COMPLETED = "completed", _("已完成")
    RESOLVED = "resolved", _("已裁决")
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
        TaskState.DISPUTED,
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
    AUTO_RECEIPT = "auto_receipt", _("自动签收")
    CANCEL_LATE_SHIPPING = "cancel_late_shipping", _("逾期未寄样，取消合作")
    CANCEL_LATE_LIVE = "cancel_late_live", _("逾期未直播，取消合作")
    AUTO_CANCEL = "auto_cancel", _("逾期未处理，自动取消")
    OPEN_DISPUTE = "open_dispute", _("发起争议")
    DECIDE_DISPUTE = "decide_dispute", _("争议裁决")
    # 议价: the creator counters an invitation once (not a move: the task stays invited);
    # the merchant accepts (the task proceeds on the new terms) or declines (it ends).
    COUNTER_OFFER = "counter_offer", _("议价")
    ACCEPT_COUNTER = "accept_counter", _("接受议价")
    DECLINE_COUNTER = "decline_counter", _("拒绝议价")


class SlotFeeMode(models.TextChoices):
    """合作模式 (SPEC §7): how the slot fee is paid."""

    FIXED = "fixed", _("一口价")
    COMMISSION = "commission", _("纯佣")
    GUARANTEE = "guarantee", _("保底")


class Party(models.TextChoices):
    """Who may take an action: the task's merchant, its creator, or the platform's clock."""

    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人")
    SYSTEM = "system", _("系统")
    OPERATOR = "operator", _("运营")


@dataclass(frozen=True)
class Transition:
    action: str
    parties: frozenset[str]
    sources: frozenset[str]
    target: str

    @property
    def party(self) -> str:
        """The first party named (most actions have exactly one)."""
        return sorted(self.parties)[0] if len(self.parties) > 1 else next(iter(self.parties))


def _t(action: str, party: str | set[str], sources: set[str], target: str) -> Transition:
    parties = frozenset({party} if isinstance(party, str) else party)
    return Transition(action, parties, frozenset(sources), target)


# The stages a dispute can be opened from (待签收 through 待确认).
DISPUTABLE_STATES = frozenset({TaskState.SHIPPED, TaskState.RECEIVED, TaskState.LIVE_REPORTED})


# The whole state machine of SPEC §3. Anything not listed here is refused.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(TaskAction.ACCEPT, Party.CREATOR, {TaskState.INVITED}, TaskState.ACCEPTED),
        _t(TaskAction.DECLINE, Party.CREATOR, {TaskState.INVITED}, TaskState.DECLINED),
        # Only while a counter-offer waits for the merchant (the services check it).
        _t(TaskAction.ACCEPT_COUNTER, Party.MERCHANT, {TaskState.INVITED}, TaskState.ACCEPTED),
        _t(TaskAction.DECLINE_COUNTER, Party.MERCHANT, {TaskState.INVITED}, TaskState.DECLINED),
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
        # SPEC §7 deadlines: receipt is confirmed by itself 10 days after shipping; a missed
        # shipping deadline lets the creator leave, a missed live deadline the merchant;
        # a missed deadline nobody acts on closes the task by itself.
        _t(TaskAction.AUTO_RECEIPT, Party.SYSTEM, {TaskState.SHIPPED}, TaskState.RECEIVED),
        _t(
            TaskAction.CANCEL_LATE_SHIPPING,
            Party.CREATOR,
            {TaskState.ACCEPTED},
            TaskState.CANCELLED,
        ),
        _t(TaskAction.CANCEL_LATE_LIVE, Party.MERCHANT, {TaskState.RECEIVED}, TaskState.CANCELLED),
        _t(
            TaskAction.AUTO_CANCEL,
            Party.SYSTEM,
            {TaskState.ACCEPTED, TaskState.RECEIVED},
            TaskState.CANCELLED,
        ),
        _t(
            TaskAction.OPEN_DISPUTE,
            {Party.MERCHANT, Party.CREATOR},
            set(DISPUTABLE_STATES),
            TaskState.DISPUTED,
        ),
        # An operator decides; the clock does when the other side never answered.
        _t(
            TaskAction.DECIDE_DISPUTE,
            {Party.OPERATOR, Party.SYSTEM},
            {TaskState.DISPUTED},
            TaskState.RESOLVED,
        ),
    )
}

# Actions open only once a deadline has passed (the service checks it again).
AFTER_DEADLINE = frozenset({TaskAction.CANCEL_LATE_SHIPPING, TaskAction.CANCEL_LATE_LIVE})

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
    TaskState.DISPUTED: "disputed_at",
    TaskState.RESOLVED: "resolved_at",
}


# Badge tone of each state on pages (badge--<tone>).
STATE_TONE = {
    TaskState.INVITED: "info",
    TaskState.ACCEPTED: "warn",
    TaskState.SHIPPED: "warn",
    TaskState.RECEIVED: "warn",
    TaskState.LIVE_REPORTED: "warn",
    TaskState.DISPUTED: "err",
    TaskState.COMPLETED: "ok",
    TaskState.RESOLVED: "ok",
    TaskState.DECLINED: "",
    TaskState.CANCELLED: "",
    TaskState.EXPIRED: "",
}


def allowed_actions(state: str, party: str) -> list[str]:
    """Actions ``party`` may take on a task in ``state`` (in table order)."""
    return [t.action for t in TRANSITIONS.values() if party in t.parties and state in t.sources]


@dataclass(frozen=True)
class Deadline:
    """The deadline of a task's current stage: what is due, by whom, when."""

    kind: str  # DeadlineKind
    state: str  # the stage it belongs to
    due_at: datetime
    party: str  # who must act (Party), or SYSTEM for an automatic step
    automatic: bool  # the clock acts at due_at (expiry, auto-receipt, auto-completion)


class DeadlineKind(models.TextChoices):
    RESPOND = "respond", _("答复邀请")
    SHIP = "ship", _("寄出样品")
    RECEIPT = "receipt", _("确认签收")
    LIVE = "live", _("完成直播")
    CONFIRM = "confirm", _("确认完成")
    ANSWER = "answer", _("回应争议")


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
    mode = models.CharField(
        _("合作模式"), max_length=16, choices=SlotFeeMode.choices, default=SlotFeeMode.FIXED
    )
    gmv_target = models.DecimalField(
        _("目标成交额"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    planned_live_date = models.DateField(_("计划直播日期"))
    # Deadlines chosen on the invitation (defaults and bounds: settings.COOPERATION_DEADLINES).
    ship_days = models.PositiveSmallIntegerField(
        _("寄样期限（天）"), default=DEADLINE_BOUNDS["ship_days"]["default"]
    )
    receipt_days = models.PositiveSmallIntegerField(
        _("自动签收（天）"), default=DEADLINE_BOUNDS["receipt_days"]["default"]
    )
    live_grace_days = models.PositiveSmallIntegerField(
        _("直播宽限（天）"), default=DEADLINE_BOUNDS["live_grace_days"]["default"]
    )
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
    disputed_at = models.DateTimeField(_("争议时间"), null=True, blank=True)
    # When the creator countered the invitation (议价, at most once): it now waits for the
    # merchant (the CounterOffer row holds the terms).
    countered_at = models.DateTimeField(_("议价时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    # What the escrowed slot fee became when the task closed (the ledger is the truth).
    escrow_released = models.DecimalField(
        _("已结算坑位费"), max_digits=14, decimal_places=2, default=0
    )
    escrow_returned = models.DecimalField(
        _("已退回坑位费"), max_digits=14, decimal_places=2, default=0
    )
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
            # 纯佣 holds nothing; 保底 has a positive slot fee and a positive target.
            models.CheckConstraint(
                condition=Q(mode="fixed", gmv_target__isnull=True)
                | Q(mode="commission", slot_fee=0, gmv_target__isnull=True)
                | Q(mode="guarantee", slot_fee__gt=0, gmv_target__gt=0),
                name="task_mode_terms",
            ),
            models.CheckConstraint(
                condition=Q(escrow_released__gte=0, escrow_returned__gte=0),
                name="task_escrow_parts_nonneg",
            ),
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
            # cooperation_tick: accepted tasks by acceptance, shipped by shipping, received
            # by planned date.
            models.Index(fields=["state", "accepted_at"], name="task_state_accepted_idx"),
            models.Index(fields=["state", "shipped_at"], name="task_state_shipped_idx"),
            models.Index(fields=["state", "planned_live_date"], name="task_state_planned_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.merchant} → {self.creator}"

    @property
    def reference(self) -> str:
        return task_reference(self.pk) if self.pk else ""

    @property
    def holds_escrow(self) -> bool:
        """Whether a slot fee is held once accepted (纯佣 and a zero fee hold nothing)."""
        return self.slot_fee > 0

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

    @property
    def ship_by(self):
        return self.accepted_at + timedelta(days=self.ship_days) if self.accepted_at else None

    @property
    def auto_receipt_at(self):
        return self.shipped_at + timedelta(days=self.receipt_days) if self.shipped_at else None

    @property
    def live_by(self):
        """The end of the planned live date + the grace days, Asia/Shanghai.

        A sample received after the planned date moves the start to the day of
        receipt: a late shipment never puts the creator in breach.
        """
        start = self.planned_live_date
        if self.received_at is not None:
            start = max(start, self.received_at.astimezone(SHANGHAI).date())
        last_day = start + timedelta(days=self.live_grace_days + 1)
        return datetime.combine(last_day, time.min, tzinfo=SHANGHAI)

    @property
    def attribution_window(self):
        """[live start, live start + 48 h): when an order of its products belongs to it."""
        if self.live_at is None:
            return None, None
        return self.live_at, self.live_at + ATTRIBUTION_WINDOW

    def missed_deadline(self, now: datetime) -> Deadline | None:
        """The current stage's deadline if a party missed it (not the clock's own steps)."""
        d = self.deadline()
        if d is None or d.automatic or d.due_at > now:
            return None
        return d

    def deadline(self) -> Deadline | None:
        """The current stage's deadline; None when closed or in dispute (deadlines pause)."""
        s = self.state
        if s == TaskState.INVITED:
            # A counter-offer hands the answer to the merchant, within the same 72 h.
            party = Party.MERCHANT if self.countered_at else Party.CREATOR
            return Deadline(DeadlineKind.RESPOND, s, self.respond_by, party, automatic=True)
        if s == TaskState.ACCEPTED:
            return Deadline(DeadlineKind.SHIP, s, self.ship_by, Party.MERCHANT, automatic=False)
        if s == TaskState.SHIPPED:
            return Deadline(
                DeadlineKind.RECEIPT, s, self.auto_receipt_at, Party.CREATOR, automatic=True
            )
        if s == TaskState.RECEIVED:
            return Deadline(DeadlineKind.LIVE, s, self.live_by, Party.CREATOR, automatic=False)
        if s == TaskState.LIVE_REPORTED:
            return Deadline(
                DeadlineKind.CONFIRM, s, self.autocompletes_at, Party.MERCHANT, automatic=True
            )
        return None

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


class TaskEventKind(models.TextChoices):
    DEADLINE_SET = "deadline_set", _("设定期限")
    DEADLINE_REMINDED = "deadline_reminded", _("期限提醒")
    DEADLINE_MET = "deadline_met", _("按期完成")
    DEADLINE_BREACHED = "deadline_breached", _("逾期")
    ESCROW_HELD = "escrow_held", _("坑位费托管")
    ESCROW_RELEASED = "escrow_released", _("坑位费结算")
    ESCROW_RETURNED = "escrow_returned", _("坑位费退回")
    ESCROW_FROZEN = "escrow_frozen", _("坑位费冻结")
    DISPUTE_OPENED = "dispute_opened", _("发起争议")
    DISPUTE_ANSWERED = "dispute_answered", _("回应争议")
    DISPUTE_LAPSED = "dispute_lapsed", _("逾期未回应")
    DISPUTE_DECIDED = "dispute_decided", _("争议裁决")
    COUNTER_OFFERED = "counter_offered", _("达人议价")


# Written at most once per task and stage: the clock's reminders and breaches are
# idempotent by this constraint (a second tick, or two at once, inserts nothing).
ONCE_PER_STAGE = (TaskEventKind.DEADLINE_REMINDED, TaskEventKind.DEADLINE_BREACHED)


class TaskEvent(models.Model):
    """A line of a task's timeline that is not a state move: deadlines, escrow, disputes."""

    task = models.ForeignKey(
        Task, verbose_name=_("合作任务"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("事件"), max_length=24, choices=TaskEventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The party it concerns: who must meet a deadline, who breached it, who disputes.
    party = models.CharField(_("相关方"), max_length=16, choices=Party.choices, blank=True)
    stage = models.CharField(_("阶段"), max_length=16, choices=TaskState.choices, blank=True)
    deadline = models.CharField(_("期限"), max_length=16, choices=DeadlineKind.choices, blank=True)
    due_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("任务事件")
        verbose_name_plural = _("任务事件")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "stage"],
                condition=Q(kind__in=["deadline_reminded", "deadline_breached"]),
                name="task_event_once_per_stage",
            ),
        ]
        indexes = [
            models.Index(fields=["task", "at"], name="task_event_task_idx"),
            models.Index(
                fields=["party", "kind"],
                condition=Q(kind="deadline_breached"),
                name="task_event_breach_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


__all__ = [
    "AFTER_DEADLINE",
    "ATTRIBUTION_WINDOW",
    "BREACH_AUTOCANCEL_AFTER",
    "DEADLINE_BOUNDS",
    "DISPUTABLE_STATES",
    "DISPUTE_ANSWER_WITHIN",
    "ONCE_PER_STAGE",
    "REFERENCE_PREFIX",
    "REMIND_BEFORE",
    "SHANGHAI",
    "Deadline",
    "DeadlineKind",
    "SlotFeeMode",
    "TaskEvent",
    "TaskEventKind",
    "task_pk_of",
    "task_reference",
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
