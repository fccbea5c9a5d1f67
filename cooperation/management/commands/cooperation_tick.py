"""``python manage.py cooperation_tick [--at ISO-8601]``: every time-driven cooperation rule (SPEC §7)."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cooperation.services.clock import cooperation_tick


class Command(BaseCommand):
    help = (
        "Apply every time-driven cooperation rule as of a moment (default now): expiry, "
        "auto-receipt, auto-completion, reminders, breaches, disputes past their answer time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO 8601 moment, e.g. 2026-12-01T09:00:00+08:00")

    def handle(self, *args, at=None, **options):
        now = None
        if at:
            try:
                now = datetime.fromisoformat(at)
            except ValueError as exc:
                raise CommandError(f"--at is not an ISO 8601 moment: {at}") from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        report = cooperation_tick(now=now)
        for line in report.lines():
            self.stdout.write(line)
