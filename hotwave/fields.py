"""Form fields for numbers people type: money and rates, parsed as strictly as the events.

Every money field of every form is a :class:`MoneyField`; percentages are
:class:`DecimalTextField`. Both accept plain decimal text only, through the
one parser the events import uses (``hotwave.money.parse_decimal``): digits
with an optional point and at most ``decimal_places`` decimals; no exponent
(``1e3``), no sign (a minus only when ``signed=True``), no spaces or thousands separators
inside, no full-width digits, no NaN/Infinity. A text input (``inputmode=
decimal``), not ``type=number``: a browser's number input takes ``1e3`` and
sends an empty value for what it cannot parse, hiding what was typed.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotwave.money import MoneyError, parse_decimal


class DecimalTextField(forms.DecimalField):
    """A decimal typed as plain text; cleaned to a Decimal, or refused with our wording."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("请输入数字，只用数字和小数点，例如 15 或 12.5。"),
        "negative": _("不能是负数。"),
        "max_decimal_places": _("最多 %(max)s 位小数。"),
    }

    def __init__(self, *, signed: bool = False, **kwargs):
        self.signed = signed
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):  # an initial value, not typed text
            return value
        text = str(value).strip()
        if not text:
            return None  # only spaces: "required" says it better than "invalid"
        # Messages are %-formatted (params given), so a declared "%%" reads as "%".
        params = {"value": text}
        if text[0] == "-" and not self.signed:
            raise ValidationError(self.error_messages["negative"], code="negative", params=params)
        try:
            number = parse_decimal(text, places=None, signed=self.signed)
        except MoneyError:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params=params
            ) from None
        places = -number.as_tuple().exponent
        if self.decimal_places is not None and places > self.decimal_places:
            raise ValidationError(
                self.error_messages["max_decimal_places"],
                code="max_decimal_places",
                params={"max": self.decimal_places},
            )
        return number

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        return attrs


class MoneyField(DecimalTextField):
    """An amount in yuan to the fen (two places, up to 14 digits), never negative by default."""

    default_error_messages = {
        "invalid": _("请输入金额，只用数字和小数点，例如 3000 或 2999.50。"),
        "negative": _("金额不能为负数。"),
        "max_decimal_places": _("金额最多两位小数（精确到分）。"),
        "max_digits": _("金额过大，最多 12 位整数。"),
        "max_whole_digits": _("金额过大，最多 12 位整数。"),
        "min_value": _("金额不能小于 %(limit_value)s 元。"),
        "max_value": _("金额不能大于 %(limit_value)s 元。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)


class MoneyFilter(django_filters.NumberFilter):
    """A money bound in a FilterSet (主播广场's 报价 ≥ / ≤), parsed like every money field."""

    field_class = MoneyField
