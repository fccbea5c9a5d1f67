"""Template filters for forms: where an error summary's link should land. Formatting only."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.forms.widgets import ChoiceWidget

register = template.Library()


@register.filter
def anchor(field: BoundField) -> str:
    """The id of the field's first input: the label's target, or the first box of a group."""
    widget = field.field.widget
    if isinstance(widget, ChoiceWidget) and widget.input_type in ("checkbox", "radio"):
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id
