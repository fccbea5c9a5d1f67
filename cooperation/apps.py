from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("合作")

    def ready(self) -> None:
        # Settlement's order pages name products by title: it asks us (it may not import us).
        from cooperation.selectors.products import titles_by_sku
        from settlement.catalog import register_title_lookup

        register_title_lookup(titles_by_sku)
