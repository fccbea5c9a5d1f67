"""Forms of the 准入中心. None of them carries a verification flag: those are operators' only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotwave.forms import Form


class AgreementSignForm(Form):
    version = forms.CharField(widget=forms.HiddenInput, max_length=32)
    agree = forms.BooleanField(
        label=_("我已阅读并同意《Hotwave 热浪平台合作授权协议》"),
        error_messages={"required": _("请先勾选同意协议再签署。")},
    )


class OperatingAccountForm(Form):
    username = forms.CharField(
        label=_("运营账户用户名"),
        max_length=150,
        help_text=_("填写本商家名下另一个已通过支付宝实名认证、已签署授权协议的商家账户。"),
        error_messages={"required": _("请填写运营账户的用户名。")},
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


class AssessmentRequestForm(Form):
    note = forms.CharField(
        label=_("申请说明"),
        max_length=1000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明公司主体、关联机构或公司、服务内容，至少 10 个字。"),
        error_messages={
            "required": _("请填写申请说明。"),
            "min_length": _("申请说明至少需要 %(limit_value)d 个字。"),
        },
    )


class PermissionRequestForm(Form):
    note = forms.CharField(
        label=_("申请理由"),
        max_length=500,
        min_length=5,
        help_text=_("说明推广该商品的资质或依据，至少 5 个字。"),
        error_messages={
            "required": _("请填写申请理由。"),
            "min_length": _("申请理由至少需要 %(limit_value)d 个字。"),
        },
    )
