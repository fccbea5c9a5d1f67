from django.apps import AppConfig


class HotwaveConfig(AppConfig):
    """Registers project-wide template tags, system checks and the rate counters."""

    name = "hotwave"
    verbose_name = "Hotwave"

    def ready(self) -> None:
        from hotwave import checks  # noqa: F401 - registers the checks
