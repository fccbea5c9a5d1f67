"""import_events FILE: apply order and binding events, one JSON object per line (SPEC §6)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from settlement.services.events import ingest_file


class Command(BaseCommand):
    help = "Import order and binding events from a JSON Lines file ('-' for stdin)."
    # A data command: the system checks (which import every URLconf and view) belong
    # to deploys and CI (`manage.py check`), not to each nightly file (0.2 s of start-up).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of a JSON Lines file, or - for standard input")

    def handle(self, *args, file: str, **options):
        def rejected(outcome):
            self.stdout.write(f"line {outcome.line}: rejected: {outcome.reason}")

        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        with stream:
            tally = ingest_file(stream, on_rejected=rejected)
        self.stdout.write(tally.summary)
        if tally.rejected:
            sys.exit(1)
