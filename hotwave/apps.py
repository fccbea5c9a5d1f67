from django.apps import AppConfig


class HotwaveConfig(AppConfig):
    """Registers project-wide template tags, system checks and the rate counters; brands the admin."""

    name = "hotwave"
    verbose_name = "Hotwave"

    def ready(self) -> None:
        from hotwave import checks  # noqa: F401 - registers the checks
        from hotwave.admin import brand_admin_site

        brand_admin_site()
