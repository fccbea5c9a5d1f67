"""Project-level forms: the wording every form speaks, and the login form.

Django's stock messages ("这个字段是必填项。", "确保该值大于或等于0.01。",
"Ensure that there are no more than 14 digits in total.") are written for
developers. Every form of ours derives from :class:`Form` (or mixes in
:class:`OurWording`), which replaces each stock message a field would show
with ours, in both languages; a message a field declares itself always wins.
``tests/hotwave/test_form_wording.py`` walks every form with bad input.
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceField, ModelMultipleChoiceField
from django.forms.utils import pretty_name
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# Our words for each field class's messages; a subclass's entry refines its parent's.
# "required" is built per field from its label (see OurWording.use_our_wording).
WORDING: dict[type, dict[str, object]] = {
    forms.Field: {
        "null_characters_not_allowed": _("内容里有无法保存的空字符，请删掉后再提交。"),
    },
    forms.CharField: {
        "max_length": _("最多 %(limit_value)d 个字，现在是 %(show_value)d 个。"),
        "min_length": _("至少 %(limit_value)d 个字，现在是 %(show_value)d 个。"),
    },
    forms.IntegerField: {
        "invalid": _("请输入整数，例如 1000。"),
        "min_value": _("不能小于 %(limit_value)s。"),
        "max_value": _("不能大于 %(limit_value)s。"),
        "step_size": _("请输入 %(limit_value)s 的整数倍。"),
    },
    forms.DecimalField: {
        "invalid": _("请输入数字，只用数字和小数点，例如 15 或 12.5。"),
        "max_digits": _("数字过大。"),
        "max_whole_digits": _("数字过大。"),
        "max_decimal_places": _("最多 %(max)s 位小数。"),
    },
    forms.DateField: {"invalid": _("请输入有效的日期，例如 2026-11-01。")},
    forms.DateTimeField: {"invalid": _("请输入有效的日期和时间，例如 2026-11-01 20:00。")},
    forms.URLField: {"invalid": _("请输入有效的链接，例如 https://example.com/replay。")},
    forms.EmailField: {"invalid": _("请输入有效的邮箱地址，例如 name@example.com。")},
    forms.ChoiceField: {"invalid_choice": _("这个选项不可用，请重新选择。")},
    forms.MultipleChoiceField: {"invalid_list": _("请从列表中选择。")},
    ModelChoiceField: {"invalid_choice": _("这个选项不可用，请刷新后重新选择。")},
    ModelMultipleChoiceField: {
        "invalid_list": _("请从列表中选择。"),
        "invalid_pk_value": _("这个选项不可用，请刷新后重新选择。"),
    },
    forms.FileField: {
        "required": _("请选择要上传的文件。"),
        "invalid": _("没有收到文件，请重新选择。"),
        "missing": _("没有收到文件，请重新选择。"),
        "empty": _("上传的文件是空的，请重新选择。"),
        "max_length": _("文件名最多 %(max)d 个字符，现在是 %(length)d 个。"),
        "contradiction": _("请选择上传新文件或勾选清除，不要同时进行。"),
        "invalid_extension": _("不支持“%(extension)s”格式，请上传 %(allowed_extensions)s 文件。"),
    },
    forms.ImageField: {"invalid_image": _("这不是有效的图片文件。")},
}


def _required_message(field: forms.Field, label: object):
    if isinstance(field.widget, forms.HiddenInput):
        return _("页面已过期，请刷新后重试。")
    if isinstance(field, forms.BooleanField):
        return format_lazy(_("请勾选{label}。"), label=label)
    if isinstance(field, forms.ChoiceField):  # also the model choice fields
        return format_lazy(_("请选择{label}。"), label=label)
    return format_lazy(_("请填写{label}。"), label=label)


def _stock_messages(field: forms.Field) -> dict[str, object]:
    """The messages Django (or django-filter) gives this field class by default."""
    stock: dict[str, object] = {}
    for cls in reversed(type(field).__mro__):
        if cls.__module__.startswith(("django.", "django_filters.")):
            stock.update(cls.__dict__.get("default_error_messages", {}))
    return stock


def use_our_wording(field: forms.Field, name: str) -> None:
    """Replace every stock message of ``field`` with ours; messages it declares stay."""
    stock = _stock_messages(field)
    ours: dict[str, object] = {}
    for cls in reversed(type(field).__mro__):
        ours.update(WORDING.get(cls, {}))
    ours.setdefault("required", _required_message(field, field.label or pretty_name(name)))
    for code, message in ours.items():
        current = field.error_messages.get(code)
        # Validator codes (max_length, invalid_extension…) are absent until set here.
        if current is None or current is stock.get(code):
            field.error_messages[code] = message
    if isinstance(field, ModelChoiceField):
        # Django raises this one with the validator's own words, not error_messages.
        field.validate_no_null_characters = partial(_no_nul, field.error_messages)


def _no_nul(error_messages: dict, value) -> None:
    if "\x00" in str(value):
        code = "null_characters_not_allowed"
        raise ValidationError(error_messages[code], code=code)


class OurWording:
    """Mix into any Django form (before the form class) to speak our wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            use_our_wording(field, name)

    def full_clean(self):
        super().full_clean()
        # Two validators may say the same thing (max_value and max_digits: "不能高于 80%").
        for errors in list((getattr(self, "_errors", None) or {}).values()):
            unique, seen = [], set()
            for error in errors.as_data():
                text = " ".join(error.messages)
                if text not in seen:
                    seen.add(text)
                    unique.append(error)
            if len(unique) < len(errors):
                errors.data = unique


class Form(OurWording, forms.Form):
    """The base of every form in Hotwave."""


class LoginForm(OurWording, AuthenticationForm):
    """Django's login form with our wording: never says which half was wrong."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("该账户已停用，请联系平台运营。"),
    }


# --- Passwords (django.contrib.auth's forms in our words) -----------------------------


class OurSetPasswordForm(OurWording, SetPasswordForm):
    """A new password, twice; Django's validators in our words (hotwave.passwords)."""

    error_messages = {"password_mismatch": _("两次输入的新密码不一致，请重新输入。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = _("新密码")
        first.help_text = " ".join(password_validation.password_validators_help_texts())
        second.label = _("再次输入新密码")
        second.help_text = _("再输入一遍，确认没有打错。")
        for field in (first, second):  # the labels changed: so does "请填写…"
            field.error_messages["required"] = _required_message(field, field.label)


class OurPasswordChangeForm(OurSetPasswordForm, PasswordChangeForm):
    """修改密码: the current password first. Wrong guesses count toward axes' lockout.

    A wrong current password is reported to axes as a failed login of this user
    from this client (``user_login_failed``), and while axes locks that pair out
    the form refuses without checking: a stolen session can't try passwords
    faster than the login page allows.
    """

    error_messages = {
        **OurSetPasswordForm.error_messages,
        "password_incorrect": _("当前密码不正确，请重新输入。"),
        "locked_out": _("尝试次数过多，已暂时锁定：请 15 分钟后再试。"),
    }

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)
        old = self.fields["old_password"]
        old.label = _("当前密码")
        old.error_messages["required"] = _("请填写当前密码。")
        if self.is_bound:  # after a failed submit the focus goes to the error summary
            old.widget.attrs.pop("autofocus", None)

    def clean_old_password(self):
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {"username": self.user.get_username()}
        if self.request is not None and AxesProxyHandler.is_locked(self.request, credentials):
            raise ValidationError(self.error_messages["locked_out"], code="locked_out")
        try:
            return super().clean_old_password()
        except ValidationError:
            if self.request is not None:
                auth_signals.user_login_failed.send(
                    sender=type(self), credentials=credentials, request=self.request
                )
            raise


class OurPasswordResetForm(OurWording, PasswordResetForm):
    """忘记密码: an email address. The answer never says whether it belongs to an account.

    ``save`` only queues one email per matching account (hotwave.tasks), after
    the request's transaction: known and unknown addresses take the same time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = _("注册邮箱")
        field.error_messages["required"] = _("请填写注册邮箱。")

    def save(self, *, request=None, use_https=False, **kwargs):
        from django.db import transaction
        from django.utils.translation import get_language

        from hotwave.tasks import send_password_reset

        domain = request.get_host() if request is not None else "localhost"
        language = get_language()
        for user in self.get_users(self.cleaned_data["email"]):
            args = (user.pk, domain, use_https, language)
            # robust: a broker that is down costs this email (logged), never the page.
            transaction.on_commit(lambda args=args: send_password_reset.delay(*args), robust=True)
