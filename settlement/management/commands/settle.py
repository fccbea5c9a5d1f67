"""settle --through YYYY-MM-DD: settle, claw back and pay out up to the end of that day."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError
from django.utils import timezone

from settlement.services.settle import CHUNK_SIZE, KERNELS, settle_spread, settle_through


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--through must be a date YYYY-MM-DD, got {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Settle everything that can be settled up to the end of a day (Asia/Shanghai). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--through", type=_day, help="business date YYYY-MM-DD (default: yesterday)"
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument(
            "--kernel",
            choices=KERNELS,
            default="auto",
            help="auto: set-based SQL on PostgreSQL, Python elsewhere; python: the reference",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="PostgreSQL: share the run's id ranges among N threads (as the nightly Celery "
            "run shares them among workers); 1: one process, one connection",
        )

    def handle(
        self, *args, through: date | None, chunk_size: int, kernel: str, workers: int, **options
    ):
        through = through or timezone.localdate() - timedelta(days=1)
        if workers < 1:
            raise CommandError(f"--workers must be at least 1, got {workers}")
        if workers > 1 and kernel == "python":
            raise CommandError("--workers needs the SQL kernel (PostgreSQL)")
        if workers > 1:
            self.stdout.write(
                str(settle_spread(business_date=through, workers=workers, chunk_size=chunk_size))
            )
            return
        try:
            summary = settle_through(business_date=through, chunk_size=chunk_size, kernel=kernel)
        except ValueError as exc:
            if "kernel" not in str(exc):
                raise
            raise CommandError(str(exc)) from exc
        except OperationalError as exc:
            # SQLite: a writer waits up to its busy timeout for the lock; past it, say so
            # plainly. Every chunk done is committed, so running again finishes the day.
            if "locked" not in str(exc):
                raise
            raise CommandError(
                "the database stayed locked by another writer (another settlement run for "
                f"this date may be in progress): nothing half-done was kept; run settle --through "
                f"{through} again"
            ) from exc
        self.stdout.write(str(summary))
