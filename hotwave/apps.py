from django.apps import AppConfig


class HotwaveConfig(AppConfig):
    """Registers project-wide template tags, system checks and the rate counters; brands the
    admin; makes ``get_FOO_display()`` a dictionary lookup; observes statements for the
    page cache."""

    name = "hotwave"
    verbose_name = "Hotwave"

    def ready(self) -> None:
        from hotwave import checks  # noqa: F401 - registers the checks
        from hotwave.admin import brand_admin_site

        brand_admin_site()
        strict_decimals_in_admin()
        quick_choice_labels()
        observe_statements()


def observe_statements() -> None:
    """Every statement of every connection passes ``hotwave.pagecache``: writes move the
    versions of the tables they touch, reads tell a cached page what it depends on."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    from hotwave import pagecache

    connection_created.connect(pagecache.install, dispatch_uid="hotwave.pagecache")
    for conn in connections.all(initialized_only=True):
        pagecache.install(connection=conn)


def strict_decimals_in_admin() -> None:
    """Every decimal an operator types in admin (a creator's 报价, shares, rates) is parsed
    like every money field of the product: plain decimal text, no ``1e3`` (hotwave.fields).

    The sign is left to each model's own validators, as before. Admin classes are
    already registered when this runs (admin's autodiscover comes first); inlines
    are made per request from the defaults.
    """
    from django.contrib import admin
    from django.contrib.admin import options
    from django.db import models

    from hotwave.fields import DecimalTextField

    strict = {"form_class": DecimalTextField, "signed": True}
    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DecimalField] = strict
    for model_admin in admin.site._registry.values():
        model_admin.formfield_overrides.setdefault(models.DecimalField, {}).setdefault(
            "form_class", DecimalTextField
        )
        model_admin.formfield_overrides[models.DecimalField].setdefault("signed", True)


def quick_choice_labels() -> None:
    """``get_FOO_display()`` of every model looks its label up in a dictionary built once
    per field, instead of Django's, which per call rebuilds a hashable copy of all the
    field's choices and so translates every label (one gettext each) to find one.

    The notification center's 84 label lookups (two per notice) made ~1,200 gettext calls.
    The labels stay lazy in the dictionary, so each call still answers in the active
    language; a method a model defines itself is left alone. Fields whose choices are
    a callable (evaluated anew each time) keep Django's lookup.
    """
    from functools import partialmethod

    from django.apps import apps
    from django.db.models import Model

    django_lookup = Model._get_FIELD_display
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            name = f"get_{field.name}_display"
            method = model.__dict__.get(name)
            if not isinstance(method, partialmethod) or method.func is not django_lookup:
                continue
            if not isinstance(field.choices, list | tuple):
                continue
            setattr(model, name, partialmethod(_choice_label, field=field))


def _choice_label(self, field):
    from django.utils.encoding import force_str
    from django.utils.hashable import make_hashable

    labels = field.__dict__.get("_choice_labels")
    if labels is None:
        labels = {make_hashable(value): label for value, label in field.flatchoices}
        field.__dict__["_choice_labels"] = labels
    value = getattr(self, field.attname)
    return force_str(labels.get(make_hashable(value), value), strings_only=True)
