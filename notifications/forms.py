from django import forms

from notifications.kinds import KINDS, Delivery, Kind


class PreferencesForm(forms.Form):
    """One choice per kind: 仅站内 / 即时邮件 / 每日摘要."""

    def __init__(self, *args, initial_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        current = {row.kind: row.delivery for row in initial_rows}
        for kind in KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=Kind(kind).label,
                choices=Delivery.choices,
                initial=current.get(kind, KINDS[kind].default),
                widget=forms.RadioSelect,
            )
