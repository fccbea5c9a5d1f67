"""Settlement (SPEC §4): orders and their events, agency bindings, the ledger, payouts.

Money rules kept by the database, not only by Python:

* a binding's interval [valid_from, valid_to) never overlaps another binding of the
  same creator (a Postgres exclusion constraint; on SQLite, triggers — see the
  migrations);
* postings are append-only (triggers refuse UPDATE and DELETE);
* every journal has a unique idempotency ``key`` and at most one journal per
  (order, kind, sequence), so nothing posts twice;
* one payout per account per business day; one settlement run per business day.

Amounts are signed from the account holder's side: positive is money the
platform owes the holder (a credit), negative is money the holder owes
(a debit). The sum of all postings is always zero.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from hotwave.money import ZERO
from settlement.commission import MAX_RATE, MIN_RATE


def _money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def _share(verbose_name, **kwargs):
    # Rates and shares: 0.3300 = 33%; four places so 12.5% is exact.
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=4, **kwargs)


class Rule(models.TextChoices):
    AGENCY = "agency", _("机构主播")
    INDIVIDUAL = "individual", _("个人主播")


# --- Bindings -------------------------------------------------------------------


class BindingStatus(models.TextChoices):
    INVITED = "invited", _("待确认")
    ACTIVE = "active", _("生效中")
    DECLINED = "declined", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    ENDED = "ended", _("已结束")


class BindingSource(models.TextChoices):
    INVITATION = "invitation", _("机构邀请")
    IMPORT = "import", _("机构后台迁移")


class Binding(models.Model):
    """机构绑定: one agreement between a creator and an agency, from invitation to end.

    An invitation is a row with status ``invited`` and no interval. Consent
    makes it ``active`` with ``valid_from``; ending it sets ``valid_to``.
    The agreement covers [valid_from, valid_to); ``valid_to`` NULL means open.
    A new agency share is a new row (a new agreement needing new consent).
    """

    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.PROTECT,
        related_name="bindings",
    )
    agency = models.ForeignKey(
        "admission.Agency",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="bindings",
    )
    agency_share = _share(_("机构分成比例"))
    status = models.CharField(
        _("状态"), max_length=16, choices=BindingStatus.choices, default=BindingStatus.INVITED
    )
    source = models.CharField(
        _("来源"), max_length=16, choices=BindingSource.choices, default=BindingSource.INVITATION
    )
    message = models.TextField(_("留言"), blank=True)
    invited_at = models.DateTimeField(_("邀请时间"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    consented_at = models.DateTimeField(_("同意时间"), null=True, blank=True)
    valid_from = models.DateTimeField(_("生效时间"), null=True, blank=True)
    valid_to = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机构绑定")
        verbose_name_plural = _("机构绑定")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agency_share__gte=0, agency_share__lte=1),
                name="binding_share_0_1",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__lt=F("valid_to")),
                name="binding_interval_ordered",
            ),
            # Invited/declined/withdrawn rows have no interval; active and ended rows have one.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["invited", "declined", "withdrawn"], valid_from__isnull=True)
                    | Q(status="active", valid_from__isnull=False)
                    | Q(status="ended", valid_from__isnull=False, valid_to__isnull=False)
                ),
                name="binding_status_interval",
            ),
            # At most one open-ended agreement per creator (also the SQLite guarantee
            # together with the overlap triggers; Postgres adds an exclusion constraint).
            models.UniqueConstraint(
                fields=["creator"],
                condition=Q(valid_from__isnull=False, valid_to__isnull=True),
                name="binding_one_open_per_creator",
            ),
            # At most one pending invitation per (creator, agency).
            models.UniqueConstraint(
                fields=["creator", "agency"],
                condition=Q(status="invited"),
                name="binding_one_invitation_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["creator", "valid_from"], name="binding_creator_from_idx"),
            models.Index(fields=["agency", "status"], name="binding_agency_status_idx"),
            models.Index(fields=["creator", "status"], name="binding_creator_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.creator} ↔ {self.agency} ({self.agency_share:%})"

    def covers(self, at) -> bool:
        """True if the agreement is in force at ``at`` ([valid_from, valid_to))."""
        if self.valid_from is None or at < self.valid_from:
            return False
        return self.valid_to is None or at < self.valid_to


# --- Orders and events ---------------------------------------------------------


class OrderStatus(models.TextChoices):
    PAID = "paid", _("已支付")
    CONFIRMED = "confirmed", _("已确认收货")
    SETTLED = "settled", _("已结算")


class Order(models.Model):
    """An order placed on the trade system, as told by its events.

    The commission rule is decided at payment and frozen here (``rule``,
    ``binding``, ``agency``, ``agency_share``): later binding changes never
    change an order's split.
    """

    # Unique through Meta.constraints, not unique=True: on Postgres that would add a
    # second, varchar_pattern_ops index (nothing searches by prefix), written per import.
    order_id = models.CharField(_("订单号"), max_length=64)
    # FK indexes are left out where a composite index below starts with the column.
    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    product_sku = models.CharField(_("商品"), max_length=64)
    amount = _money(_("支付金额"))
    refunded = _money(_("已退款金额"), default=ZERO)
    service_fee_rate = _share(_("服务费率"))
    paid_at = models.DateTimeField(_("支付时间"))
    confirmed_at = models.DateTimeField(_("确认收货时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PAID
    )
    # The rule frozen at payment.
    rule = models.CharField(_("分成规则"), max_length=16, choices=Rule.choices)
    binding = models.ForeignKey(
        Binding,
        verbose_name=_("支付时生效的绑定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,  # looked up with the creator: order_creator_paid_idx
    )
    agency = models.ForeignKey(
        "admission.Agency",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    agency_share = _share(_("机构分成比例"), null=True, blank=True)
    # What the ledger reflects: set when settled, moved by each clawback.
    settled_at = models.DateTimeField(_("结算时间"), null=True, blank=True)
    settled_on = models.DateField(_("结算日"), null=True, blank=True)
    settled_refunded = _money(_("已结算的退款金额"), default=ZERO)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order_id"], name="order_id_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount")),
                name="order_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(settled_refunded__gte=0, settled_refunded__lte=F("refunded")),
                name="order_settled_refunded_within_refunded",
            ),
            models.CheckConstraint(
                condition=Q(service_fee_rate__gte=MIN_RATE, service_fee_rate__lte=MAX_RATE),
                name="order_rate_1_80",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        rule="agency",
                        agency__isnull=False,
                        agency_share__isnull=False,
                        agency_share__gte=0,
                        agency_share__lte=1,
                    )
                    | Q(rule="individual", agency__isnull=True, agency_share__isnull=True)
                ),
                name="order_rule_frozen",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", confirmed_at__isnull=True, settled_at__isnull=True)
                | Q(status="confirmed", confirmed_at__isnull=False, settled_at__isnull=True)
                | Q(status="settled", confirmed_at__isnull=False, settled_at__isnull=False),
                name="order_status_consistent",
            ),
        ]
        indexes = [
            # The nightly work queues, walked in id order: confirmed orders to settle,
            # settled orders refunded since (tiny partial indexes, never a full scan).
            models.Index(
                fields=["id"], condition=Q(status="confirmed"), name="order_to_settle_idx"
            ),
            models.Index(
                fields=["id"],
                condition=Q(status="settled", refunded__gt=F("settled_refunded")),
                name="order_to_claw_back_idx",
            ),
            models.Index(fields=["creator", "-paid_at"], name="order_creator_paid_idx"),
            models.Index(fields=["merchant", "-paid_at"], name="order_merchant_paid_idx"),
            # Partial: most orders have no agency, and an agency's queries (agency = X)
            # imply the condition.
            models.Index(
                fields=["agency", "-paid_at"],
                condition=Q(agency__isnull=False),
                name="order_agency_paid_idx",
            ),
            # 热销商品's ranking: every order of the last 7 days, an index-only range scan
            # (key columns rather than INCLUDE, which SQLite does not have).
            models.Index(
                fields=["paid_at", "merchant", "product_sku", "amount", "refunded"],
                name="order_paid_hot_idx",
            ),
            # 资金账户 per party: settled orders of a period newest first (list and count
            # are range scans), unsettled orders (status in paid, confirmed) for the estimate:
            # its signature (count, sum of ids, sum of refunds) is an index-only scan, hence
            # ``refunded`` last (a key column: SQLite has no INCLUDE).
            models.Index(
                fields=["creator", "status", "-settled_on", "-id", "refunded"],
                name="order_creator_status_idx",
            ),
            models.Index(
                fields=["merchant", "status", "-settled_on", "-id", "refunded"],
                name="order_merchant_status_idx",
            ),
            models.Index(
                fields=["agency", "status", "-settled_on", "-id", "refunded"],
                condition=Q(agency__isnull=False),
                name="order_agency_status_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.order_id

    @property
    def price(self) -> Decimal:
        """Actual transaction price = paid − refunded."""
        return self.amount - self.refunded

    @property
    def remaining_refundable(self) -> Decimal:
        return self.amount - self.refunded

    @property
    def is_settled(self) -> bool:
        return self.status == OrderStatus.SETTLED


class EventType(models.TextChoices):
    ORDER_PAID = "order.paid", _("订单支付")
    ORDER_CONFIRMED = "order.confirmed", _("确认收货")
    ORDER_REFUNDED = "order.refunded", _("订单退款")
    BINDING_STARTED = "binding.started", _("绑定开始")
    BINDING_ENDED = "binding.ended", _("绑定结束")


class EventSource(models.TextChoices):
    FILE = "file", _("文件导入")
    API = "api", _("接口")


class OrderEvent(models.Model):
    """One applied event (order or binding), kept forever as the order's history.

    ``key`` is the event's idempotency identity: a hash of its normalised
    content. Replaying an event finds the key and is a duplicate.

    The key is unique per order (and among the events without one, the binding
    events): an order event's key hashes its order id, so two events of different
    orders never share one, and (order, key) is unique exactly when the key is. The
    index on (order, key) is written where the order's events are, next to each
    other, instead of at a random place among millions of keys; it also serves an
    order's events (``order.events``, a few rows sorted in memory).
    """

    key = models.CharField(_("幂等键"), max_length=64)  # unique: Meta.constraints
    type = models.CharField(_("类型"), max_length=32, choices=EventType.choices)
    # On Postgres the database keeps this reference with a per-statement check and
    # orders that can never be deleted, not a per-row foreign key; so are the order's
    # parties and binding (migration 0007_references_per_statement).
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,  # covered by event_order_key_unique
    )
    binding = models.ForeignKey(
        Binding,
        verbose_name=_("机构绑定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,  # partial index in Meta: most events have no binding
    )
    amount = _money(_("金额"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    payload = models.JSONField(_("原始内容"))
    source = models.CharField(_("来源"), max_length=8, choices=EventSource.choices)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("订单事件")
        verbose_name_plural = _("订单事件")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "key"],
                condition=Q(order__isnull=False),
                name="event_order_key_unique",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(order__isnull=True), name="event_unordered_key_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["binding"], condition=Q(binding__isnull=False), name="event_binding_idx"
            ),
            # Orders that name their cooperation task ("task": "HW-T-…", SPEC §7): few rows,
            # looked up by reference on the task page.
            models.Index(
                KeyTextTransform("task", "payload"),
                condition=Q(type="order.paid", payload__has_key="task"),
                name="event_task_ref_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at:%Y-%m-%d %H:%M}"


# --- Ledger ------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人")
    AGENCY = "agency", _("机构")
    PLATFORM = "platform", _("平台")
    ESCROW = "escrow", _("坑位费托管")
    PAYOUTS = "payouts", _("提现清算")
    # Money merchants paid in (充值) through the payment provider, owed back to them.
    TOP_UPS = "topups", _("充值清算")


PARTY_KINDS = (AccountKind.MERCHANT, AccountKind.CREATOR, AccountKind.AGENCY)


class Account(models.Model):
    """A ledger account: one per party (merchant, creator, agency) and one per system role.

    Its balance is the sum of its postings (see ``settlement.services.ledger``).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户持有人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        # The ledger account of a party (its 资金账户); admission's User is 登录账户.
        verbose_name = _("资金账户")
        verbose_name_plural = _("资金账户")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="account_one_per_party",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(user__isnull=True), name="account_one_per_system_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["merchant", "creator", "agency"], user__isnull=False)
                | Q(kind__in=["platform", "escrow", "payouts", "topups"], user__isnull=True),
                name="account_party_iff_user",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """``<role>:<username>`` for parties, the kind for system accounts (``platform``)."""
        if self.user_id is None:
            return self.kind
        return f"{self.kind}:{self.user.username}"


class JournalKind(models.TextChoices):
    SETTLEMENT = "settlement", _("结算")
    CLAWBACK = "clawback", _("退款冲回")
    PAYOUT = "payout", _("打款")
    ESCROW_HOLD = "escrow_hold", _("坑位费托管")
    ESCROW_RELEASE = "escrow_release", _("坑位费结算")
    ESCROW_RETURN = "escrow_return", _("坑位费退回")
    TOP_UP = "top_up", _("充值")
    PAYOUT_REVERSAL = "payout_reversal", _("打款退回")


class Journal(models.Model):
    """A balanced set of postings. ``key`` makes every money movement idempotent.

    Keys: ``settle:<order pk>``, ``clawback:<order pk>:<refunded fen>``,
    ``payout:<account pk>:<YYYY-MM-DD>``, ``escrow:<hold|release|return>:<key>``,
    ``topup:<top-up pk>``, ``payout:reverse:<payout pk>``.
    """

    key = models.CharField(_("幂等键"), max_length=160)  # unique: Meta.constraints
    kind = models.CharField(_("类型"), max_length=16, choices=JournalKind.choices)
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journals",
        db_index=False,  # covered by journal_one_per_order_kind_seq
    )
    sequence = models.PositiveIntegerField(_("序号"), default=0)
    business_date = models.DateField(_("业务日期"))
    # The transaction price this journal brings the order's postings to (orders only).
    basis_price = _money(_("结算价格"), null=True, blank=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("凭证")
        verbose_name_plural = _("凭证")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="journal_key_unique"),
            models.UniqueConstraint(
                fields=["order", "kind", "sequence"],
                condition=Q(order__isnull=False),
                name="journal_one_per_order_kind_seq",
            ),
        ]
        indexes = [
            models.Index(fields=["business_date", "kind"], name="journal_date_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def shown_memo(self) -> str:
        """The memo in the reader's language.

        Memos are stored as written when posted (Chinese, e.g. "坑位费托管 task:12"); the
        ones the kernel writes itself are its kind's name plus a reference, so they are
        shown as the kind's translated name and the same reference.
        """
        label = str(JournalKind(self.kind).label) if self.kind in JournalKind.values else ""
        for written in ("打款退回", "打款", "坑位费托管", "坑位费结算", "坑位费退回", "充值"):
            if self.memo == written or self.memo.startswith(written + " "):
                return (label + self.memo[len(written) :]).strip()
        return self.memo


class Posting(models.Model):
    """One line of a journal. Append-only: the database refuses UPDATE and DELETE."""

    # Both FK indexes are covered by the composite index and unique constraint below.
    journal = models.ForeignKey(
        Journal,
        verbose_name=_("凭证"),
        on_delete=models.PROTECT,
        related_name="postings",
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        related_name="postings",
        db_index=False,
    )
    amount = _money(_("金额"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_nonzero"),
            models.UniqueConstraint(fields=["journal", "account"], name="posting_one_per_account"),
        ]
        indexes = [
            models.Index(fields=["account", "journal"], name="posting_account_journal_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


# --- Settlement runs and payouts ------------------------------------------------------


class RunStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class SettlementRun(models.Model):
    """The record of the settlement for one business day (Asia/Shanghai)."""

    business_date = models.DateField(_("业务日期"), unique=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    attempts = models.PositiveIntegerField(_("执行次数"), default=0)
    orders_settled = models.PositiveIntegerField(_("结算订单数"), default=0)
    clawbacks = models.PositiveIntegerField(_("退款冲回数"), default=0)
    payouts = models.PositiveIntegerField(_("打款笔数"), default=0)
    payout_total = _money(_("打款总额"), default=ZERO)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = _("结算批次")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"{self.business_date} {self.get_status_display()}"


class PayoutStatus(models.TextChoices):
    PENDING = "pending", _("待打款")
    SUBMITTED = "submitted", _("已提交")
    PAID = "paid", _("已到账")
    FAILED = "failed", _("失败")


class PayoutBatch(models.Model):
    """打款批次: the payout items 待打款 of one business date, exported once to the provider.

    The file is stored as exported: exporting again writes the same bytes and
    changes nothing, and no item joins or leaves a batch after its export.
    """

    business_date = models.DateField(_("业务日期"), unique=True)
    exported_at = models.DateTimeField(_("导出时间"))
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导出人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    item_count = models.PositiveIntegerField(_("笔数"))
    total = _money(_("总额"))
    content = models.TextField(_("批量打款文件"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)

    class Meta:
        verbose_name = _("打款批次")
        verbose_name_plural = _("打款批次")
        ordering = ["-business_date"]

    def __str__(self) -> str:
        return f"{self.business_date} ({self.item_count})"

    @property
    def file_name(self) -> str:
        return f"payouts-{self.business_date.isoformat()}.csv"


class PayoutResultImport(models.Model):
    """One import of the provider's result file (payout_results or admin): who, when, what."""

    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted = models.PositiveIntegerField(_("接受"), default=0)
    duplicates = models.PositiveIntegerField(_("重复"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    report = models.TextField(_("导入报告"), blank=True)

    class Meta:
        verbose_name = _("打款结果导入")
        verbose_name_plural = _("打款结果导入")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.imported_at:%Y-%m-%d %H:%M}"


class Payout(models.Model):
    """打款 (a payout item): a creator's or agency's positive balance paid out on a business day.

    Created by the nightly run with its journal (account → payouts clearing) as
    待打款; exported in that date's batch (已提交); the provider's result makes it
    已到账, or 失败 — then a reversal journal (clearing → account) returns the amount
    to the balance, never editing the payout's own postings.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("账户"), on_delete=models.PROTECT, related_name="payouts"
    )
    business_date = models.DateField(_("业务日期"))
    amount = _money(_("金额"))
    journal = models.OneToOneField(
        Journal, verbose_name=_("凭证"), on_delete=models.PROTECT, related_name="payout"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The nightly run inserts rows set-based naming only the columns above: the rest
    # have database defaults.
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=PayoutStatus.choices,
        default=PayoutStatus.PENDING,
        db_default=PayoutStatus.PENDING,
    )
    batch = models.ForeignKey(
        PayoutBatch,
        verbose_name=_("打款批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    # Where it was sent, as exported (the account may change later).
    account_name = models.CharField(_("户名"), max_length=100, blank=True, db_default="")
    account_number = models.CharField(_("账号"), max_length=64, blank=True, db_default="")
    result_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True, db_default="")
    reversal = models.OneToOneField(
        Journal,
        verbose_name=_("退回凭证"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_payout",
    )

    class Meta:
        verbose_name = _("打款")
        verbose_name_plural = _("打款")
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "business_date"], name="payout_one_per_account_day"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_positive"),
            models.CheckConstraint(
                condition=Q(status="pending", batch__isnull=True, reversal__isnull=True)
                | Q(status__in=["submitted", "paid"], batch__isnull=False, reversal__isnull=True)
                | Q(status="failed", batch__isnull=False, reversal__isnull=False),
                name="payout_status_consistent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["business_date"], condition=Q(status="pending"), name="payout_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.business_date} {self.amount}"

    @property
    def expected_on(self):
        """When a payout not yet answered should arrive: its business date plus the
        provider's usual delay (``HOTWAVE_PAYOUT_ARRIVAL_DAYS``); None once answered."""
        if self.status not in (PayoutStatus.PENDING, PayoutStatus.SUBMITTED):
            return None
        return self.business_date + timedelta(days=settings.HOTWAVE_PAYOUT_ARRIVAL_DAYS)


# --- Slot-fee escrow --------------------------------------------------------------------


class EscrowStatus(models.TextChoices):
    HELD = "held", _("托管中")
    RELEASED = "released", _("已结算")
    RETURNED = "returned", _("已退回")
    # Part released to the creator's side, the rest returned (a dispute split, a 保底 shortfall).
    SPLIT = "split", _("已分账")


class EscrowHold(models.Model):
    """坑位费托管: a slot fee held from the merchant until completion or cancellation.

    ``key`` is the caller's identity for it (e.g. ``task:42``). On release the
    creator's rule at that moment is frozen here like an order's.
    """

    key = models.CharField(_("业务键"), max_length=120, unique=True)
    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="escrows",
    )
    creator = models.ForeignKey(
        "admission.Creator",
        verbose_name=_("达人"),
        on_delete=models.PROTECT,
        related_name="escrows",
    )
    amount = _money(_("坑位费"))
    status = models.CharField(
        _("状态"), max_length=16, choices=EscrowStatus.choices, default=EscrowStatus.HELD
    )
    held_at = models.DateTimeField(_("托管时间"))
    closed_at = models.DateTimeField(_("完结时间"), null=True, blank=True)
    rule = models.CharField(_("分成规则"), max_length=16, choices=Rule.choices, blank=True)
    binding = models.ForeignKey(
        Binding,
        verbose_name=_("结算时生效的绑定"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escrows",
    )
    agency = models.ForeignKey(
        "admission.Agency",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escrows",
    )
    agency_share = _share(_("机构分成比例"), null=True, blank=True)
    # What went to the creator's side when closed (all of it when released, none when
    # returned); the rest went back to the merchant.
    released_amount = _money(_("结算金额"), null=True, blank=True)

    class Meta:
        verbose_name = _("坑位费托管")
        verbose_name_plural = _("坑位费托管")
        ordering = ["-held_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="held", closed_at__isnull=True)
                | Q(status__in=["released", "returned", "split"], closed_at__isnull=False),
                name="escrow_status_closed",
            ),
            models.CheckConstraint(
                condition=Q(released_amount__isnull=True)
                | Q(released_amount__gte=0, released_amount__lte=F("amount")),
                name="escrow_released_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.amount}"


# --- Payout accounts (收款账户) --------------------------------------------------------------


class PayoutMethod(models.TextChoices):
    ALIPAY = "alipay", _("支付宝")
    BANK = "bank", _("银行账户")


class PayoutAccountStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    VERIFIED = "verified", _("已核实")
    REJECTED = "rejected", _("未通过")
    REPLACED = "replaced", _("已更换")


CURRENT_PAYOUT_ACCOUNT = (PayoutAccountStatus.PENDING, PayoutAccountStatus.VERIFIED)


class PayoutAccount(models.Model):
    """收款账户: where a creator's or agency's payouts go, verified by an operator.

    One current account (待核实 or 已核实) per party at a time; a new one replaces
    it and needs verifying again, payouts being held until then
    (``settlement.holds``). Rows are never deleted: replaced and rejected accounts
    stay as the party's history, and every change is audited (django-simple-history:
    who, when, old, new).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户持有人"),
        on_delete=models.PROTECT,
        related_name="payout_accounts",
    )
    method = models.CharField(_("收款方式"), max_length=16, choices=PayoutMethod.choices)
    holder_name = models.CharField(_("户名"), max_length=100)
    # An Alipay login (mobile number or e-mail) or a bank card number, as the party typed it.
    account_number = models.CharField(_("账号"), max_length=64)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=PayoutAccountStatus.choices,
        default=PayoutAccountStatus.PENDING,
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.CharField(_("核实说明"), max_length=200, blank=True)
    replaced_at = models.DateTimeField(_("更换时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收款账户")
        verbose_name_plural = _("收款账户")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["pending", "verified"]),
                name="payout_account_one_current",
            ),
            models.CheckConstraint(
                condition=Q(method="alipay", bank_name="") | (Q(method="bank") & ~Q(bank_name="")),
                name="payout_account_bank_named",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | Q(status__in=["verified", "rejected"], decided_at__isnull=False)
                | Q(status="replaced", replaced_at__isnull=False),
                name="payout_account_status_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        """The number as pages show it: enough to recognise, not enough to reuse."""
        number = self.account_number
        if self.method == PayoutMethod.ALIPAY and "@" in number:
            name, _at, domain = number.partition("@")
            return f"{name[:2]}***@{domain}"
        if len(number) <= 4:
            return "*" * len(number)
        if self.method == PayoutMethod.ALIPAY:
            return f"{number[:3]}****{number[-4:]}"
        return f"**** {number[-4:]}"


# --- Merchant funds: top-ups (充值) and credit (授信额度) ------------------------------------


class MerchantFunds(models.Model):
    """A merchant's funding terms: the credit limit (授信额度) an operator grants.

    The prepaid balance is not stored here: it is the merchant's ledger balance
    (top-ups in, commission and held slot fees out). This row is also what an
    acceptance locks (``FOR UPDATE``) while it checks that the slot fee is funded,
    so two acceptances for one merchant check one after the other. Every change
    of the credit limit is audited (django-simple-history: who, when, old, new).
    """

    merchant = models.OneToOneField(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="funds",
    )
    credit_limit = _money(_("授信额度"), default=ZERO)
    note = models.CharField(_("授信说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("商家资金")
        verbose_name_plural = _("商家资金")
        ordering = ["merchant_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="merchant_funds_credit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(self.merchant)


class TopUpStatus(models.TextChoices):
    PENDING = "pending", _("待到账")
    CONFIRMED = "confirmed", _("已到账")
    FAILED = "failed", _("失败")


class TopUp(models.Model):
    """充值: money a merchant pays in through the payment provider.

    Created 待到账 when the merchant asks; the provider's confirmation (at once for
    the instant provider of the demo and the tests, later for a real one) posts
    journal ``topup:<pk>`` exactly once: the top-ups clearing account → the merchant.
    """

    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="top_ups",
    )
    amount = _money(_("金额"))
    provider = models.CharField(_("支付渠道"), max_length=32)
    # The provider's reference for the payment; unique per provider once known.
    reference = models.CharField(_("渠道流水号"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=TopUpStatus.choices, default=TopUpStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    confirmed_at = models.DateTimeField(_("到账时间"), null=True, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    journal = models.OneToOneField(
        Journal,
        verbose_name=_("凭证"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="top_up",
    )

    class Meta:
        verbose_name = _("充值")
        verbose_name_plural = _("充值")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_positive"),
            models.UniqueConstraint(
                fields=["provider", "reference"],
                condition=~Q(reference=""),
                name="top_up_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", confirmed_at__isnull=True, journal__isnull=True)
                | Q(status="confirmed", confirmed_at__isnull=False, journal__isnull=False)
                | Q(status="failed", journal__isnull=True),
                name="top_up_status_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-requested_at"], name="top_up_merchant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.amount}"


class FundsShortfall(models.Model):
    """An acceptance refused because the merchant's available funds did not cover the slot fee.

    Written after the refused acceptance rolled back (it changed nothing else), so
    the merchant hears of it on 资金账户 and the task page: who tried, what was
    needed, what was available.
    """

    merchant = models.ForeignKey(
        "admission.Merchant",
        verbose_name=_("商家"),
        on_delete=models.PROTECT,
        related_name="funds_shortfalls",
    )
    # The escrow key the hold was asked under (task:<pk>).
    key = models.CharField(_("业务键"), max_length=120)
    # What the parties call it (a task's HW-T-… reference), given by the caller.
    reference = models.CharField(_("业务编号"), max_length=40, blank=True)
    needed = _money(_("所需金额"))
    available = _money(_("可用资金"))
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("资金不足记录")
        verbose_name_plural = _("资金不足记录")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "-at"], name="funds_shortfall_merchant_idx"),
            models.Index(fields=["key", "-at"], name="funds_shortfall_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.needed}"
