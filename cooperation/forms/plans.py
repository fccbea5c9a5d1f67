"""推广计划 forms: rates are entered as percentages (1–80), thresholds as whole numbers."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import Creator
from cooperation.models import PlanKind
from cooperation.models.plans import MAX_LEVEL
from hotwave.fields import DecimalTextField
from hotwave.forms import Form

RATE_MESSAGES = {
    "min_value": _("服务费率不能低于 1%%。"),
    "max_value": _("服务费率不能高于 80%%（平台上限）。"),
    "max_decimal_places": _("服务费率最多两位小数。"),
    "max_digits": _("服务费率不能高于 80%%（平台上限）。"),
    "max_whole_digits": _("服务费率不能高于 80%%（平台上限）。"),
    "invalid": _("请输入数字，例如 15 或 12.5。"),
    "negative": _("服务费率不能低于 1%%。"),
}


def rate_field(label) -> DecimalTextField:
    return DecimalTextField(
        label=label,
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("1"),
        max_value=Decimal("80"),
        help_text=_("1%–80%（平台上限 80%）。"),
        error_messages=RATE_MESSAGES,
    )


FULFILMENT_MESSAGES = {
    "invalid": _("最低履约率请输入 0 到 100 之间的数字，例如 90。"),
    "negative": _("最低履约率不能是负数。"),
    "max_value": _("最低履约率最高是 100%%。"),
    "max_digits": _("最低履约率最高是 100%%。"),
    "max_whole_digits": _("最低履约率最高是 100%%。"),
    "max_decimal_places": _("最低履约率最多一位小数。"),
}


def fulfilment_field(label) -> DecimalTextField:
    """最低履约率 typed as a percentage (0–100); empty is no threshold."""
    return DecimalTextField(
        label=label,
        required=False,
        max_digits=4,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(100),
        help_text=_("0–100，例如 90；新达人还没有履约率，不满足这个条件。留空为不限。"),
        error_messages=FULFILMENT_MESSAGES,
    )


def fulfilment_fraction(percent: Decimal | None) -> Decimal:
    return (percent or Decimal(0)) / Decimal(100)


class ThresholdFields(forms.Form):
    """最低主播等级, 最低粉丝数 and 最低履约率: who may apply to a 定向计划 or ask for a sample.

    The same fields and messages on both forms; ``threshold_labels`` names them
    for each (level, fans, fulfilment).
    """

    threshold_labels: tuple  # (level, fans, fulfilment), set by each form

    min_level = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_LEVEL,
        help_text=_("0–6，即 V0–V6；留空为不限。"),
        error_messages={
            "invalid": _("最低等级请输入 0 到 6 的整数。"),
            "min_value": _("最低等级不能是负数。"),
            "max_value": _("最低等级最高是 6（V6）。"),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    min_fans = forms.IntegerField(
        required=False,
        min_value=0,
        help_text=_("例如 10000；留空为不限。"),
        error_messages={
            "invalid": _("最低粉丝数请输入不小于 0 的整数。"),
            "min_value": _("最低粉丝数不能是负数。"),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    min_fulfilment_percent = fulfilment_field(None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in zip(
            ("min_level", "min_fans", "min_fulfilment_percent"), self.threshold_labels, strict=True
        ):
            self.fields[name].label = label


class PlanForm(ThresholdFields, Form):
    field_order = [
        "kind",
        "rate_percent",
        "min_level",
        "min_fans",
        "min_fulfilment_percent",
        "creator",
        "note",
    ]
    threshold_labels = (
        _("最低主播等级（定向计划）"),
        _("最低粉丝数（定向计划）"),
        _("最低履约率（%，定向计划）"),
    )

    kind = forms.ChoiceField(label=_("计划类型"), choices=PlanKind.choices, initial=PlanKind.OPEN)
    rate_percent = rate_field(_("服务费率（%）"))
    creator = forms.CharField(
        label=_("专属达人的账户名（专属）"),
        required=False,
        max_length=150,
        help_text=_("只有专属计划需要填写。"),
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        username = (data.get("creator") or "").strip()
        data["creator_profile"] = None
        if kind == PlanKind.EXCLUSIVE:
            if not username:
                self.add_error("creator", _("专属计划须指定一位达人。"))
            else:
                profile = Creator.objects.filter(user__username=username).first()
                if profile is None:
                    self.add_error("creator", _("没有找到这个达人账户。"))
                data["creator_profile"] = profile
        return data

    @property
    def rate(self) -> Decimal:
        return self.cleaned_data["rate_percent"] / Decimal(100)


class RateForm(Form):
    rate_percent = rate_field(_("新服务费率（%）"))

    @property
    def rate(self) -> Decimal:
        return self.cleaned_data["rate_percent"] / Decimal(100)


class ChosenCreatorForm(Form):
    """指定达人: add a creator to a 定向计划 by its account name."""

    handle = forms.CharField(
        label=_("达人账户名"),
        max_length=150,
        help_text=_("达人的登录账户名；可以先在上方按昵称或账户名搜索。"),
        error_messages={"required": _("请填写达人的账户名。")},
    )


class ApplyForm(Form):
    message = forms.CharField(label=_("申请说明（可选）"), required=False, max_length=200)


class DecisionForm(Form):
    decision = forms.ChoiceField(
        label=_("处理"), choices=[("approve", _("通过")), ("decline", _("拒绝"))]
    )
    reason = forms.CharField(label=_("拒绝理由"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("拒绝时请写明理由。"))
        return data


class SampleQuotaForm(ThresholdFields, Form):
    field_order = ["quota", "min_level", "min_fans", "min_fulfilment_percent"]
    threshold_labels = (_("申样最低主播等级"), _("申样最低粉丝数"), _("申样最低履约率（%）"))

    quota = forms.IntegerField(
        label=_("样品名额"),
        min_value=0,
        max_value=10_000,
        help_text=_("共送出多少份免费样品；0 为不再提供。"),
        error_messages={
            "invalid": _("样品名额请输入不小于 0 的整数。"),
            "min_value": _("样品名额不能是负数。"),
            "max_value": _("样品名额最多 10000。"),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class SampleRequestForm(Form):
    planned_live_date = forms.DateField(
        label=_("计划直播日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("请输入有效的日期。")},
    )
    note = forms.CharField(label=_("申样说明（可选）"), required=False, max_length=200)
