from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("合作")

    def ready(self):
        # Admission names restricted products by title without importing upward.
        from admission import product_titles
        from cooperation.selectors.products import titles_by_sku

        product_titles.register(titles_by_sku)
