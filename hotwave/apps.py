from django.apps import AppConfig


class HotwaveConfig(AppConfig):
    """Registers project-wide template tags and checks (no models)."""

    name = "hotwave"
    verbose_name = "Hotwave"
