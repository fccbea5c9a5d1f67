"""The rating form (评价): 1–5 stars and an optional text."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation.models import RATING_TEXT_MAX
from hotwave.forms import Form

STAR_CHOICES = [
    ("5", _("5 星 · 非常满意")),
    ("4", _("4 星 · 满意")),
    ("3", _("3 星 · 一般")),
    ("2", _("2 星 · 不满意")),
    ("1", _("1 星 · 非常不满意")),
]


class RatingForm(Form):
    stars = forms.TypedChoiceField(
        label=_("评分"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择 1 到 5 星。"),
            "invalid_choice": _("请选择 1 到 5 星。"),
        },
    )
    text = forms.CharField(
        label=_("评价内容（选填）"),
        required=False,
        max_length=RATING_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("评价内容最多 %(limit_value)d 个字。")},
    )
