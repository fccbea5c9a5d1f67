from django.apps import AppConfig


class HotwaveConfig(AppConfig):
    """Registers project-wide template tags, system checks and the rate counters; brands the admin."""

    name = "hotwave"
    verbose_name = "Hotwave"

    def ready(self) -> None:
        from hotwave import checks  # noqa: F401 - registers the checks
        from hotwave.admin import brand_admin_site

        brand_admin_site()
        strict_decimals_in_admin()


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
