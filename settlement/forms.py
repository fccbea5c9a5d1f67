"""Forms for the settlement pages: binding invitations and fund-account filters.

Shares are typed as percentages (30 or 12.5) and handed to services as
fractions (0.3000, 0.1250), the unit the models and the commission rule use.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotwave.fields import DecimalTextField, MoneyField
from hotwave.forms import Form
from hotwave.money import format_cny

PERCENT = Decimal(100)


class SharePercentField(DecimalTextField):
    """0–100 with at most two decimals, cleaned to a fraction (30 → Decimal('0.3000'))."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("机构分成比例（%）"))
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", PERCENT)
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        # Messages that carry parameters are %-formatted by Django, so "%%" is one "%".
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("请填写机构分成比例。"),
                "invalid": _("请输入 0 到 100 之间的数字，例如 30 或 12.5。"),
                "min_value": _("分成比例不能小于 0%%。"),
                "max_value": _("分成比例不能超过 100%%。"),
                "max_decimal_places": _("分成比例最多保留两位小数。"),
                "max_digits": _("分成比例不能超过 100%%。"),
                "max_whole_digits": _("分成比例不能超过 100%%。"),
                "negative": _("分成比例不能小于 0%%。"),
            },
        )
        super().__init__(**kwargs)

    def clean(self, value):
        percent = super().clean(value)
        if percent is None:
            return None
        return (percent / PERCENT).quantize(Decimal("0.0001"))


class BindingInviteForm(Form):
    """An agency proposes a binding (or a new share) to a creator."""

    creator = forms.CharField(
        label=_("达人"),
        max_length=150,
        help_text=_("填写达人的用户名或昵称。"),
        error_messages={"required": _("请填写要邀请的达人的用户名或昵称。")},
    )
    agency_share = SharePercentField(
        help_text=_("达人所得佣金（平台收取 30% 后的 70%）中归机构的比例，0–100。")
    )
    message = forms.CharField(
        label=_("留言（选填）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, resolve_creator=None, **kwargs):
        # resolve_creator(text) -> Creator, raising DomainError when not found/ambiguous.
        super().__init__(*args, **kwargs)
        self._resolve_creator = resolve_creator

    def clean_creator(self):
        text = self.cleaned_data["creator"].strip()
        if not text:
            raise forms.ValidationError(_("请填写要邀请的达人的用户名或昵称。"))
        if self._resolve_creator is None:
            return text
        from hotwave.exceptions import DomainError

        try:
            return self._resolve_creator(text)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class ShareChangeForm(Form):
    """An agency proposes a new share for an active binding (a new agreement)."""

    agency_share = SharePercentField(help_text=_("新的分成比例需要达人重新确认后才生效。"))


class CreatorSearchForm(Form):
    q = forms.CharField(label=_("搜索达人"), max_length=64, required=False)


class BindingFilterForm(Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", _("全部")),
            ("invited", _("待确认")),
            ("active", _("生效中")),
            ("history", _("历史记录")),
        ],
    )


class FundFilterForm(Form):
    """资金账户 filters: a date range (Asia/Shanghai days) and the section shown."""

    date_from = forms.DateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("请输入有效的日期，例如 2026-11-01。")},
    )
    date_to = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("请输入有效的日期，例如 2026-11-30。")},
    )

    MAX_DAYS = 366
    DEFAULT_DAYS = 30

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        # Dates at the ends of the calendar would step past date.min/max.
        for name, day in (("date_from", start), ("date_to", end)):
            if day and not (date(2000, 1, 1) <= day <= date(2100, 12, 31)):
                self.add_error(name, _("请选择 2000 年至 2100 年之间的日期。"))
                cleaned[name] = None
                start = None if name == "date_from" else start
                end = None if name == "date_to" else end
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        elif start and end and (end - start).days >= self.MAX_DAYS:
            self.add_error("date_to", _("一次最多查询 366 天。"))
        return cleaned

    def period(self) -> tuple[date, date]:
        """The chosen [from, to] days, defaulting to the last 30 days up to today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("date_to") or today
        start = data.get("date_from") or (end - timedelta(days=self.DEFAULT_DAYS - 1))
        if not data.get("date_to") and data.get("date_from"):
            end = max(start, min(today, start + timedelta(days=self.MAX_DAYS - 1)))
        return start, end


class PayoutAccountForm(Form):
    """收款账户: Alipay or a bank account; the service checks the name and the number."""

    method = forms.ChoiceField(
        label=_("收款方式"),
        choices=[("alipay", _("支付宝")), ("bank", _("银行账户"))],
        initial="alipay",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择收款方式。"),
            "invalid_choice": _("请选择收款方式。"),
        },
    )
    holder_name = forms.CharField(
        label=_("户名"),
        max_length=100,
        help_text=_(
            "须与平台登记的实名信息一致（达人：支付宝实名认证的姓名；机构：营业执照上的公司名称）。"
        ),
        error_messages={
            "required": _("请填写户名。"),
            "max_length": _("户名最多 %(limit_value)d 个字。"),
        },
    )
    account_number = forms.CharField(
        label=_("账号"),
        max_length=64,
        help_text=_("支付宝：手机号或邮箱；银行账户：银行卡号。"),
        error_messages={
            "required": _("请填写收款账号。"),
            "max_length": _("账号最多 %(limit_value)d 个字符。"),
        },
    )
    bank_name = forms.CharField(
        label=_("开户银行"),
        max_length=100,
        required=False,
        help_text=_("仅银行账户需要，例如：招商银行杭州分行。"),
        error_messages={"max_length": _("开户银行最多 %(limit_value)d 个字。")},
    )


class TopUpForm(Form):
    """充值: an amount in yuan within the configured single top-up bounds."""

    amount = MoneyField(
        label=_("充值金额（元）"),
        error_messages={"required": _("请填写充值金额。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = settings.HOTWAVE_TOP_UP_MIN, settings.HOTWAVE_TOP_UP_MAX
        self.fields["amount"].help_text = _(
            "单笔 %(low)s 至 %(high)s；到账后计入可用资金，可用于托管坑位费。"
        ) % {"low": format_cny(low), "high": format_cny(high)}
        self.fields["amount"].widget.attrs["inputmode"] = "decimal"

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        low, high = settings.HOTWAVE_TOP_UP_MIN, settings.HOTWAVE_TOP_UP_MAX
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                _("单笔充值金额须在 %(low)s 到 %(high)s 之间。")
                % {"low": format_cny(low), "high": format_cny(high)},
                code="out_of_bounds",
            )
        return value
