"""Django admin as operators use it: one brand, and inputs a screen reader can name.

Django's admin leaves some inputs without a label (WCAG 1.3.1 / 4.1.2): the
``list_editable`` cells of a change list and the cells of a tabular inline sit
under a column header, not a ``<label>``, and widgets drawn as a fieldset (a file
input with its "clear" box) get a ``<legend>`` instead. The mixins below give each
such input the field's label as ``aria-label``; the admin classes that have these
inputs use them.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

SITE_HEADER = _("Hotwave 运营后台")


def brand_admin_site(site: admin.AdminSite = admin.site) -> None:
    site.site_header = SITE_HEADER
    site.site_title = SITE_HEADER
    site.index_title = _("运营工作台")


def label_inputs(form, names=None) -> None:
    """Put each field's label on its widget as ``aria-label`` (all, or ``names``)."""
    for name, field in form.fields.items():
        if names is None or name in names:
            field.widget.attrs.setdefault("aria-label", str(field.label or name))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look: records that move only through their services (or are an audit).

    Every model field is read only, plus the admin's own ``readonly_fields`` (computed
    columns); nothing can be added, changed or deleted here.
    """

    def get_readonly_fields(self, request, obj=None):
        own = [f.name for f in self.model._meta.fields]
        return [*own, *(name for name in self.readonly_fields if name not in own)]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LabelledInputsAdmin:
    """For a ModelAdmin: list-editable cells and fieldset-drawn widgets carry their label."""

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class LabelledChangeListForm(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                label_inputs(self)

        return LabelledChangeListForm

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class LabelledForm(base):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                label_inputs(
                    self,
                    [n for n, f in self.fields.items() if getattr(f.widget, "use_fieldset", False)],
                )

        return LabelledForm


class LabelledInputsInline:
    """For a TabularInline: every cell's input (and the delete box) carries its label."""

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(base):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                label_inputs(form)

        return LabelledFormSet
