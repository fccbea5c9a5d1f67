from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("合作")

    def ready(self) -> None:
        # Settlement's order pages and admission's refusals name products by title:
        # they ask us (they may not import us).
        from admission import product_titles
        from cooperation.selectors.products import titles_by_sku
        from settlement.catalog import register_title_lookup

        register_title_lookup(titles_by_sku)
        product_titles.register(titles_by_sku)
