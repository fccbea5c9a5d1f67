from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("合作")

    def ready(self) -> None:
        # Settlement's order pages (title, thumbnail) and admission's refusals (title) name products:
        # they ask us (they may not import us).
        from admission import product_titles
        from cooperation.selectors.products import facts_by_sku, titles_by_sku
        from settlement.catalog import register_product_lookup

        register_product_lookup(facts_by_sku)
        product_titles.register(titles_by_sku)
