"""Parties and roles (SPEC §1).

Every account is an :class:`User` with exactly one ``role``. Merchants,
creators, agencies and providers each have a profile row keyed by the user;
operators are staff users without a profile. Verification flags come from
outside systems and are set by operators; every change is kept by
django-simple-history (who, when, old, new).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


class Role(models.TextChoices):
    MERCHANT = "merchant", _("商家")
    CREATOR = "creator", _("达人/主播")
    AGENCY = "agency", _("机构")
    PROVIDER = "provider", _("TP 服务商")
    OPERATOR = "operator", _("运营")


class User(AbstractUser):
    """An account. One role per account, fixed at creation."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        # Not just 账户: settlement's ledger accounts are 资金账户 (two names in admin).
        verbose_name = _("登录账户")
        verbose_name_plural = _("登录账户")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            # Operators are staff; nobody else is.
            models.CheckConstraint(
                condition=Q(role=Role.OPERATOR, is_staff=True)
                | (~Q(role=Role.OPERATOR) & Q(is_staff=False)),
                name="user_operator_iff_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_merchant(self) -> bool:
        return self.role == Role.MERCHANT

    @property
    def is_creator(self) -> bool:
        return self.role == Role.CREATOR

    @property
    def is_agency(self) -> bool:
        return self.role == Role.AGENCY

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def profile(self) -> models.Model | None:
        """The role's profile row (Merchant, Creator, Agency, Provider) or None."""
        attr = {
            Role.MERCHANT: "merchant",
            Role.CREATOR: "creator",
            Role.AGENCY: "agency",
            Role.PROVIDER: "provider",
        }.get(self.role)
        return getattr(self, attr, None) if attr else None

    @property
    def display_name(self) -> str:
        profile = self.profile
        return str(profile) if profile is not None else (self.get_full_name() or self.username)


class Category(models.Model):
    """A product/content category shared by creators and products (seeded by migration)."""

    code = models.SlugField(_("代码"), max_length=32, primary_key=True)
    name_zh = models.CharField(_("中文名"), max_length=32)
    name_en = models.CharField(_("英文名"), max_length=64)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("类目")
        verbose_name_plural = _("类目")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = (get_language() or "zh-hans").lower()
        return self.name_en if lang.startswith("en") else self.name_zh


class SellerType(models.TextChoices):
    TAOBAO = "taobao", _("淘宝卖家")
    TMALL = "tmall", _("天猫商家")


class ShopStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    RESTRICTED = "restricted", _("受限")
    CLOSED = "closed", _("关闭")


class Merchant(models.Model):
    """商家 (需求方): a Taobao seller or a Tmall merchant."""

    user = models.OneToOneField(
        User,
        verbose_name=_("登录账户"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="merchant",
    )
    shop_name = models.CharField(_("店铺名称"), max_length=100)
    seller_type = models.CharField(_("卖家类型"), max_length=16, choices=SellerType.choices)
    shop_status = models.CharField(
        _("店铺状态"), max_length=16, choices=ShopStatus.choices, default=ShopStatus.NORMAL
    )
    alipay_verified = models.BooleanField(_("支付宝实名认证"), default=False)
    # Tmall: the designated operating account (运营账户), another Taobao-seller
    # account of ours that is itself verified and has signed the agreement.
    operating_account = models.ForeignKey(
        User,
        verbose_name=_("运营账户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="operated_shops",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("商家")
        verbose_name_plural = _("商家")
        constraints = [
            models.CheckConstraint(
                condition=~Q(operating_account=models.F("user")), name="merchant_not_own_operator"
            ),
        ]
        indexes = [
            models.Index(fields=["seller_type", "shop_status"], name="merchant_type_status_idx")
        ]

    def __str__(self) -> str:
        return self.shop_name


class Creator(models.Model):
    """达人/主播 (服务方): a live-stream creator, individual or bound to an agency."""

    user = models.OneToOneField(
        User,
        verbose_name=_("登录账户"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="creator",
    )
    nickname = models.CharField(_("昵称"), max_length=64, db_index=True)
    bio = models.TextField(_("简介"), blank=True)
    categories = models.ManyToManyField(
        Category, verbose_name=_("类目"), blank=True, related_name="creators"
    )
    fans = models.PositiveBigIntegerField(_("粉丝数"), default=0)
    avg_viewers = models.PositiveBigIntegerField(_("场均观看"), default=0)
    quote = models.DecimalField(_("报价"), max_digits=14, decimal_places=2, default=0)
    level = models.PositiveSmallIntegerField(
        _("主播等级"), default=0, choices=[(i, f"V{i}") for i in range(7)]
    )
    alipay_verified = models.BooleanField(_("支付宝实名认证"), default=False)
    # The real-name record: the name Alipay's real-name verification returned, entered
    # by operators in admin (audited). A 收款账户's holder name must match it.
    real_name = models.CharField(
        _("实名姓名"),
        max_length=100,
        blank=True,
        help_text=_("支付宝实名认证返回的姓名，由运营登记；收款账户的户名须与之一致。"),
    )
    guangguang_eligible = models.BooleanField(_("逛逛商单资格"), default=False)
    # Completed cooperation tasks (合作任务数): maintained by cooperation's
    # task-completion service in the same transaction, so it is real data and
    # the plaza can sort on an indexed column at 100k creators.
    completed_tasks = models.PositiveIntegerField(_("合作任务数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["completed_tasks"])

    class Meta:
        verbose_name = _("达人")
        verbose_name_plural = _("达人")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=0, level__lte=6), name="creator_level_0_6"
            ),
            models.CheckConstraint(condition=Q(quote__gte=0), name="creator_quote_nonneg"),
        ]
        indexes = [
            models.Index(fields=["-avg_viewers", "user"], name="creator_viewers_idx"),
            models.Index(fields=["-fans", "user"], name="creator_fans_idx"),
            models.Index(fields=["-completed_tasks", "user"], name="creator_tasks_idx"),
            models.Index(fields=["quote", "user"], name="creator_quote_idx"),
        ]

    def __str__(self) -> str:
        return self.nickname

    @property
    def level_label(self) -> str:
        return f"V{self.level}"


class Agency(models.Model):
    """机构 (MCN, 服务方): registered in the agency back office."""

    user = models.OneToOneField(
        User,
        verbose_name=_("登录账户"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="agency",
    )
    name = models.CharField(_("机构名称"), max_length=100)
    registered_verified = models.BooleanField(_("机构后台注册已核实"), default=False)
    licence_verified = models.BooleanField(_("营业执照已核实"), default=False)
    # The real-name record of an agency: the company name on its business licence,
    # entered by operators in admin (audited). A 收款账户's holder name must match it.
    real_name = models.CharField(
        _("营业执照主体名称"),
        max_length=100,
        blank=True,
        help_text=_("营业执照上的公司名称，由运营核实后登记；收款账户的户名须与之一致。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """TP 服务商 (服务方): a third-party service company."""

    user = models.OneToOneField(
        User,
        verbose_name=_("登录账户"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="provider",
    )
    company_name = models.CharField(_("公司名称"), max_length=100)
    licence_verified = models.BooleanField(_("关联主体营业执照已核实"), default=False)
    linked_agency = models.ForeignKey(
        Agency,
        verbose_name=_("关联机构"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="providers",
    )
    linked_company = models.CharField(_("关联公司"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("TP 服务商")
        verbose_name_plural = _("TP 服务商")

    def __str__(self) -> str:
        return self.company_name


# --- Admission: agreement, assessments, operating accounts ---------------------


class Agreement(models.Model):
    """A version of the authorization agreement (授权协议). The newest published one is current.

    Publishing a new version makes every earlier signature stale: parties must
    sign again before they are admitted (admission.rules).
    """

    version = models.CharField(_("版本号"), max_length=32, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("协议正文"))
    # The same version in English: signing it in either language signs this version.
    title_en = models.CharField(_("英文标题"), max_length=100, blank=True)
    body_en = models.TextField(_("英文正文"), blank=True)
    published_at = models.DateTimeField(_("生效时间"), db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        verbose_name = _("授权协议")
        verbose_name_plural = _("授权协议")

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    @property
    def shown_title(self) -> str:
        """The title in the reader's language (English when there is an English text)."""
        return self.title_en if _english() and self.body_en else self.title

    @property
    def shown_body(self) -> str:
        return self.body_en if _english() and self.body_en else self.body


class AgreementSignature(models.Model):
    """One party's signature of one agreement version: version and time are kept."""

    user = models.ForeignKey(
        User, verbose_name=_("账户"), on_delete=models.CASCADE, related_name="agreement_signatures"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("协议版本"), on_delete=models.PROTECT, related_name="signatures"
    )
    signed_at = models.DateTimeField(_("签署时间"))
    ip_address = models.GenericIPAddressField(_("签署 IP"), null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("协议签署记录")
        verbose_name_plural = _("协议签署记录")
        constraints = [
            # Signing twice is harmless: one row per party and version.
            models.UniqueConstraint(fields=["user", "agreement"], name="signature_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agreement.version}"


class AssessmentStatus(models.TextChoices):
    PENDING = "pending", _("待考核")
    APPROVED = "approved", _("考核通过")
    REJECTED = "rejected", _("考核未通过")


class Assessment(models.Model):
    """An operator assessment (考核) a special account type needs before admission."""

    user = models.ForeignKey(
        User, verbose_name=_("账户"), on_delete=models.CASCADE, related_name="assessments"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.PENDING
    )
    note = models.TextField(_("申请说明"), blank=True)
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(_("处理意见"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("准入考核")
        verbose_name_plural = _("准入考核")
        constraints = [
            # At most one open request per account: asking twice changes nothing.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="assessment_one_pending_per_user",
            )
        ]
        indexes = [models.Index(fields=["user", "status"], name="assessment_user_status_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_status_display()}"


class DesignationStatus(models.TextChoices):
    PENDING = "pending", _("待运营账户确认")
    ACCEPTED = "accepted", _("已确认")
    DECLINED = "declined", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class OperatingAccountRequest(models.Model):
    """A Tmall shop asks another of its accounts to act as its operating account (运营账户).

    The named account confirms from its own login, which proves it belongs to the
    same merchant; only then does ``Merchant.operating_account`` change.
    """

    shop = models.ForeignKey(
        Merchant,
        verbose_name=_("天猫店铺"),
        on_delete=models.CASCADE,
        related_name="operating_requests",
    )
    # What the shop typed, and the account it names if that is a possible operating
    # account (a Taobao-seller login). The shop is told the same whatever the name is;
    # only the named account, confirming, learns what it still lacks.
    username = models.CharField(_("指定的用户名"), max_length=150)
    account = models.ForeignKey(
        User,
        verbose_name=_("运营账户"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="operating_requests_received",
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=DesignationStatus.choices,
        default=DesignationStatus.PENDING,
    )
    created_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("运营账户指定")
        verbose_name_plural = _("运营账户指定")
        constraints = [
            models.UniqueConstraint(
                fields=["shop"],
                condition=Q(status="pending"),
                name="operating_request_one_pending_per_shop",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop} → {self.username}"


# --- Special admission: activities and marketing compliance --------------------


class Activity(models.Model):
    """官方活动: a special activity with a period; may require marketing compliance (营销规范)."""

    name = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动说明"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    requires_marketing_compliance = models.BooleanField(_("要求营销规范"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("官方活动")
        verbose_name_plural = _("官方活动")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activity_period_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MarketingCompliance(models.Model):
    """A party's marketing-rules compliance (营销规范) flag, valid for [valid_from, valid_until)."""

    user = models.ForeignKey(
        User,
        verbose_name=_("账户"),
        on_delete=models.CASCADE,
        related_name="marketing_compliances",
    )
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("营销规范合规")
        verbose_name_plural = _("营销规范合规")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="compliance_period_valid",
            )
        ]
        indexes = [
            models.Index(fields=["user", "valid_from", "valid_until"], name="compliance_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.valid_from:%Y-%m-%d}–{self.valid_until:%Y-%m-%d}"


# --- Special admission: restricted products --------------------------------------


class RestrictedProduct(models.Model):
    """限制推广商品: an operator marks a merchant's product (by SKU) restricted, with a reason."""

    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("商家"),
        on_delete=models.CASCADE,
        related_name="restricted_products",
    )
    sku = models.CharField(_("商品编码"), max_length=64)
    reason = models.CharField(_("限制原因"), max_length=200)
    created_at = models.DateTimeField(_("标记时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["merchant", "sku"]
        verbose_name = _("限制推广商品")
        verbose_name_plural = _("限制推广商品")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "sku"], name="restricted_product_once")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.sku}"


class PermissionStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    GRANTED = "granted", _("已授权")
    REFUSED = "refused", _("已拒绝")
    REVOKED = "revoked", _("已撤销")


class ProductPermission(models.Model):
    """Permission to promote one restricted product of one merchant; one row per (merchant, SKU).

    Merchants request it, operators grant, refuse or revoke it; history keeps every change.
    """

    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("商家"),
        on_delete=models.CASCADE,
        related_name="product_permissions",
    )
    sku = models.CharField(_("商品编码"), max_length=64)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=PermissionStatus.choices,
        default=PermissionStatus.REQUESTED,
    )
    request_note = models.TextField(_("申请说明"), blank=True)
    requested_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("处理人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.CharField(_("处理意见"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["merchant", "sku"]
        verbose_name = _("限制商品推广权限")
        verbose_name_plural = _("限制商品推广权限")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "sku"], name="product_permission_once")
        ]
        indexes = [models.Index(fields=["status"], name="permission_status_idx")]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.sku} · {self.get_status_display()}"
