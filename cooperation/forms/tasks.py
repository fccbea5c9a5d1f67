"""Forms of cooperation tasks: 我要合作 (start a task) and the inputs of its transitions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from admission.models import Activity, Creator, Merchant
from cooperation.models import (
    COUNTER_FEE_MAX,
    DEADLINE_BOUNDS,
    LINKS_MAX,
    STATEMENT_MAX,
    DisputeOutcome,
    DisputeReason,
    Product,
    SlotFeeMode,
)
from cooperation.selectors.products import cooperate_choices
from hotwave.fields import MoneyField
from hotwave.forms import Form
from hotwave.money import format_cny
from settlement.selectors.merchant_funds import funds_of


class ProductCheckboxes(forms.CheckboxSelectMultiple):
    """A blocked product (restricted, no permission) is a disabled box; the template says why."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        product = getattr(value, "instance", None)
        if getattr(product, "is_blocked", False):
            option["attrs"]["disabled"] = True
            option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_why"
            option["blocked"] = product
        return option


class ProductChoices(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # Ids beyond a 64-bit integer overflow SQLite's driver (a 500): refuse them first.
        for pk in value or ():
            text = str(pk).strip()
            if text.isascii() and text.isdigit() and int(text) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)

    def label_from_instance(self, obj: Product) -> str:
        pct = f"{(obj.rate_in_force() * 100).normalize():f}%"
        # The title is the merchant's own words (marked as such); the rest is ours.
        return format_html(
            "<span data-user-content>{}</span> · {} · {} {}",
            obj.title,
            format_cny(obj.price),
            _("服务费率"),
            pct,
        )


# --- the terms an invitation and a counter-offer share (坑位费, 合作模式, 目标, 直播日期) ---

SLOT_FEE_MESSAGES = {
    "invalid": _("请输入金额，例如 3000 或 2999.50。"),
    "min_value": _("坑位费不能为负数。"),
    "negative": _("坑位费不能为负数。"),
    "max_decimal_places": _("坑位费最多两位小数。"),
}


def gmv_target_field(help_text) -> MoneyField:
    """目标成交额 (保底 only): empty for the other modes."""
    return MoneyField(
        label=_("目标成交额（元）"),
        required=False,
        help_text=help_text,
        error_messages={
            "invalid": _("目标成交额请输入金额，例如 50000。"),
            "negative": _("目标成交额须大于 0。"),
            "max_decimal_places": _("目标成交额最多两位小数。"),
            "max_digits": _("目标成交额过大。"),
            "max_whole_digits": _("目标成交额过大。"),
        },
    )


def planned_live_date_field() -> forms.DateField:
    return forms.DateField(
        label=_("计划直播日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请选择计划直播日期。")},
    )


class TermsMixin:
    """The checks of the terms both forms take: a live date not in the past, and the
    合作模式 rules (纯佣 no fee; 保底 a fee and a positive target; only 保底 has a target)."""

    def clean_planned_live_date(self):
        value = self.cleaned_data["planned_live_date"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("计划直播日期不能早于今天。"), code="past")
        return value

    def clean_terms(self, data: dict) -> dict:
        mode, fee, target = data.get("mode"), data.get("slot_fee"), data.get("gmv_target")
        if mode == SlotFeeMode.COMMISSION and fee:
            self.add_error("slot_fee", _("纯佣合作不收坑位费，请将坑位费设为 0。"))
        if mode == SlotFeeMode.GUARANTEE:
            if fee is not None and fee <= 0:
                self.add_error("slot_fee", _("保底合作须有大于 0 的坑位费。"))
            if "gmv_target" not in self.errors and (target is None or target <= 0):
                self.add_error("gmv_target", _("保底合作请填写大于 0 的目标成交额。"))
        elif "gmv_target" in data:
            data["gmv_target"] = None  # only 保底 has a target
        return data


class TaskCreateForm(TermsMixin, Form):
    """我要合作: pick the merchant's active products, slot fee, planned live date, note."""

    products = ProductChoices(
        label=_("合作商品"),
        queryset=Product.objects.none(),
        widget=ProductCheckboxes,
        error_messages={
            "required": _("请至少选择一个商品。"),
            "invalid_choice": _("所选商品不可用，请刷新后重新选择。"),
            "invalid_pk_value": _("所选商品不可用，请刷新后重新选择。"),
        },
        help_text=_("可多选；服务费率按发起时的设置写入任务。"),
    )
    slot_fee = MoneyField(
        label=_("坑位费（元）"),
        min_value=Decimal("0"),
        help_text=_("默认为达人报价；达人接受后由平台托管，完成后结算给达人。"),
        error_messages={
            **SLOT_FEE_MESSAGES,
            "required": _("请填写坑位费。"),
            "max_digits": _("坑位费金额过大。"),
            "max_whole_digits": _("坑位费金额过大。"),
        },
    )
    mode = forms.ChoiceField(
        label=_("合作模式"),
        choices=SlotFeeMode.choices,
        initial=SlotFeeMode.FIXED,
        required=False,  # an older form without it is 一口价
        widget=forms.RadioSelect,
        help_text=_(
            "一口价：坑位费全额结算给达人；纯佣：只按成交付服务费，不收坑位费；"
            "保底：按归因成交额达成目标的比例结算坑位费，其余退回。"
        ),
        error_messages={"required": _("请选择合作模式。"), "invalid_choice": _("请选择合作模式。")},
    )
    gmv_target = gmv_target_field(
        _("仅保底模式：直播归因订单的实际成交额达到该目标时，坑位费全额结算。")
    )
    planned_live_date = planned_live_date_field()
    activity = forms.ModelChoiceField(
        label=_("官方活动"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("不参加官方活动"),
        # Activities are named by operators: the English check leaves their names be.
        widget=forms.Select(attrs={"data-user-options": ""}),
        help_text=_("参加官方活动的合作，双方须在活动期间营销规范合规。"),
    )
    note = forms.CharField(
        label=_("合作说明"),
        required=False,
        max_length=1000,
        # Pre-filled by 再次合作 with the merchant's own words: marked as theirs.
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("直播要求、讲解重点、样品说明等"),
                "data-user-content": "",
            }
        ),
        error_messages={"max_length": _("合作说明最多 %(limit_value)d 个字。")},
    )

    ship_days = forms.IntegerField(
        label=_("寄样期限（天）"),
        required=False,  # empty: the default
        min_value=DEADLINE_BOUNDS["ship_days"]["min"],
        max_value=DEADLINE_BOUNDS["ship_days"]["max"],
        initial=DEADLINE_BOUNDS["ship_days"]["default"],
        help_text=_("达人接受后，商家须在这些天内寄出样品；逾期达人可取消。"),
        error_messages={
            "required": _("请填写寄样期限。"),
            "invalid": _("寄样期限须为整数天。"),
            "min_value": _("寄样期限至少 %(limit_value)s 天。"),
            "max_value": _("寄样期限最多 %(limit_value)s 天。"),
        },
    )
    receipt_days = forms.IntegerField(
        label=_("自动签收（天）"),
        required=False,  # empty: the default
        min_value=DEADLINE_BOUNDS["receipt_days"]["min"],
        max_value=DEADLINE_BOUNDS["receipt_days"]["max"],
        initial=DEADLINE_BOUNDS["receipt_days"]["default"],
        help_text=_("寄出后这些天内达人未确认签收，系统自动签收（有争议除外）。"),
        error_messages={
            "required": _("请填写自动签收天数。"),
            "invalid": _("自动签收天数须为整数。"),
            "min_value": _("自动签收至少 %(limit_value)s 天。"),
            "max_value": _("自动签收最多 %(limit_value)s 天。"),
        },
    )
    live_grace_days = forms.IntegerField(
        label=_("直播宽限（天）"),
        required=False,  # empty: the default
        min_value=DEADLINE_BOUNDS["live_grace_days"]["min"],
        max_value=DEADLINE_BOUNDS["live_grace_days"]["max"],
        initial=DEADLINE_BOUNDS["live_grace_days"]["default"],
        help_text=_("达人须在计划直播日期后这些天内完成直播；逾期商家可取消。"),
        error_messages={
            "required": _("请填写直播宽限天数。"),
            "invalid": _("直播宽限天数须为整数。"),
            "min_value": _("直播宽限不能少于 %(limit_value)s 天。"),
            "max_value": _("直播宽限最多 %(limit_value)s 天。"),
        },
    )

    def __init__(self, *args, merchant: Merchant, creator: Creator, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.creator = creator
        self.fields["products"].queryset = cooperate_choices(merchant=merchant)
        self.fields["slot_fee"].initial = creator.quote
        self.fields["slot_fee"].help_text = _(
            "默认为达人报价，不超过 %(limit)s；达人接受时从你的可用资金托管，完成后结算给达人。"
        ) % {"limit": format_cny(settings.HOTWAVE_MAX_SLOT_FEE)}
        today = timezone.localdate()
        self.fields["planned_live_date"].widget.attrs["min"] = today.isoformat()
        self.fields["activity"].queryset = Activity.objects.filter(
            ends_at__gt=timezone.now()
        ).order_by("starts_at")

    def clean_slot_fee(self):
        value = self.cleaned_data["slot_fee"]
        limit = settings.HOTWAVE_MAX_SLOT_FEE
        if value is not None and value > limit:
            raise forms.ValidationError(
                _("坑位费不能高于 %(limit)s。") % {"limit": format_cny(limit)}, code="above_limit"
            )
        return value

    def clean(self):
        data = super().clean()
        if not data.get("mode") and "mode" not in self.errors:
            data["mode"] = SlotFeeMode.FIXED
        for name in ("ship_days", "receipt_days", "live_grace_days"):
            if data.get(name) is None and name not in self.errors:
                data[name] = DEADLINE_BOUNDS[name]["default"]
        return self.clean_terms(data)


class ReasonForm(Form):
    """Decline or cancel, with an optional reason."""

    reason = forms.CharField(
        label=_("原因（选填）"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("让对方知道原因")}),
        error_messages={"max_length": _("原因最多 %(limit_value)d 个字。")},
    )


class DisputeForm(Form):
    """发起争议: a reason from the list, what happened, and links to evidence."""

    reason = forms.ChoiceField(
        label=_("争议原因"),
        choices=[("", _("请选择")), *DisputeReason.choices],
        error_messages={"required": _("请选择争议原因。"), "invalid_choice": _("请选择争议原因。")},
    )
    statement = forms.CharField(
        label=_("争议说明"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("请填写争议说明。"),
            "max_length": _("争议说明最多 %(limit_value)d 个字。"),
        },
    )
    links = forms.CharField(
        label=_("证据链接（选填）"),
        required=False,
        max_length=LINKS_MAX * 510,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://"}),
        help_text=_("每行一个链接，最多 5 个，例如直播回放、聊天截图、物流记录。"),
        error_messages={"max_length": _("证据链接过长。")},
    )


class DisputeAnswerForm(Form):
    """回应争议: the other side's account."""

    answer = forms.CharField(
        label=_("回应内容"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("请填写回应内容。"),
            "max_length": _("回应内容最多 %(limit_value)d 个字。"),
        },
    )
    answer_links = forms.CharField(
        label=_("证据链接（选填）"),
        required=False,
        max_length=LINKS_MAX * 510,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://"}),
        help_text=_("每行一个链接，最多 5 个。"),
        error_messages={"max_length": _("证据链接过长。")},
    )


class DisputeDecisionForm(Form):
    """The operator's decision in admin: outcome, the creator's percentage for a split, why."""

    outcome = forms.ChoiceField(
        label=_("裁决结果"),
        choices=DisputeOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择裁决结果。")},
    )
    percent = forms.CharField(
        label=_("达人所得比例（%）"),
        required=False,
        max_length=8,
        help_text=_("仅按比例分配：0 到 100，例如 60 表示达人得 60%，其余退回商家。"),
    )
    note = forms.CharField(
        label=_("裁决理由"),
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写裁决理由。")},
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == DisputeOutcome.SPLIT and not (data.get("percent") or "").strip():
            self.add_error("percent", _("按比例分配请填写达人所得比例。"))
        return data


CARRIERS = (
    "顺丰速运",
    "中通快递",
    "圆通速递",
    "申通快递",
    "韵达快递",
    "京东物流",
    "EMS",
    "极兔速递",
)


class ShipSampleForm(Form):
    carrier = forms.CharField(
        label=_("快递公司"),
        max_length=32,
        widget=forms.TextInput(attrs={"list": "carriers", "autocomplete": "off"}),
        error_messages={"required": _("请填写快递公司。")},
    )
    tracking_no = forms.CharField(
        label=_("快递单号"),
        max_length=64,
        min_length=6,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9-]+$", _("快递单号只能包含字母、数字和短横线。"), code="tracking"
            )
        ],
        error_messages={
            "required": _("请填写快递单号。"),
            "min_length": _("快递单号至少 %(limit_value)d 位。"),
            "max_length": _("快递单号最多 %(limit_value)d 位。"),
        },
    )

    def clean_tracking_no(self):
        return self.cleaned_data["tracking_no"].strip().upper()


class ReportLiveForm(Form):
    live_at = forms.DateTimeField(
        label=_("直播时间"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("请填写直播时间。"),
            "invalid": _("请输入有效的日期和时间。"),
        },
    )
    replay_url = forms.URLField(
        label=_("直播回放链接"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        error_messages={
            "required": _("请填写直播回放链接。"),
            "invalid": _("请输入有效的链接，例如 https://…"),
        },
    )

    def clean_live_at(self):
        value = self.cleaned_data["live_at"]
        if value > timezone.now():
            raise forms.ValidationError(
                _("直播时间不能晚于现在：请在直播结束后提交。"), code="future"
            )
        return value


def cooperate_form_context(
    *, merchant: Merchant, creator: Creator, data=None, initial: dict | None = None
) -> dict:
    """The context ``cooperation/tasks/_cooperate_form.html`` needs (the 达人主页 includes it).

    ``initial`` pre-fills the form (再次合作: the terms of a completed task).
    """
    return {
        "cooperate_form": TaskCreateForm(
            data, merchant=merchant, creator=creator, initial=initial or {}
        ),
        "cooperate_creator": creator,
        # What an acceptance can hold (balance + credit): shown beside the slot fee.
        "cooperate_funds": funds_of(merchant.pk),
    }


class CounterOfferForm(TermsMixin, Form):
    """议价: the creator's other terms for an invitation (fee, 合作模式, target, live date)."""

    takes_task = True  # built with the invitation's terms as its initial values

    slot_fee = MoneyField(
        label=_("期望坑位费（元）"),
        min_value=Decimal("0"),
        max_value=COUNTER_FEE_MAX,
        error_messages={
            **SLOT_FEE_MESSAGES,
            "required": _("请填写期望坑位费。"),
            "max_value": _("议价的坑位费不能超过 ¥1,000,000.00。"),
            "max_digits": _("议价的坑位费不能超过 ¥1,000,000.00。"),
            "max_whole_digits": _("议价的坑位费不能超过 ¥1,000,000.00。"),
        },
    )
    mode = forms.ChoiceField(
        label=_("合作模式"),
        choices=SlotFeeMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择合作模式。"), "invalid_choice": _("请选择合作模式。")},
    )
    gmv_target = gmv_target_field(_("仅保底模式。"))
    planned_live_date = planned_live_date_field()
    note = forms.CharField(
        label=_("议价说明（选填）"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("例如：档期紧张，希望改到下周")}),
        error_messages={"max_length": _("议价说明最多 %(limit_value)d 个字。")},
    )

    def __init__(self, *args, task=None, **kwargs):
        if task is not None and not args and "data" not in kwargs:
            kwargs.setdefault(
                "initial",
                {
                    "slot_fee": task.slot_fee,
                    "mode": task.mode,
                    "gmv_target": task.gmv_target,
                    "planned_live_date": task.planned_live_date,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["planned_live_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        return self.clean_terms(data)
