"""The load generator behind ``manage.py generate_load`` (benchmarks, see docs/PERFORMANCE.md)."""
