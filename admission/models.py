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
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
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
        User, on_delete=models.CASCADE, primary_key=True, related_name="merchant"
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
        User, on_delete=models.CASCADE, primary_key=True, related_name="creator"
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
        User, on_delete=models.CASCADE, primary_key=True, related_name="agency"
    )
    name = models.CharField(_("机构名称"), max_length=100)
    registered_verified = models.BooleanField(_("机构后台注册已核实"), default=False)
    licence_verified = models.BooleanField(_("营业执照已核实"), default=False)
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
        User, on_delete=models.CASCADE, primary_key=True, related_name="provider"
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
