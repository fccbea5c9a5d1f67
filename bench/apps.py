from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks and the load generator (``manage.py generate_load``).

    Installed only by ``bench.settings`` and the test settings: the product does not
    ship a command that writes straight into its tables.
    """

    name = "bench"
    verbose_name = "benchmarks"
