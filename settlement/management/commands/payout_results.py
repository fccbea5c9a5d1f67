"""payout_results FILE: import the provider's payout results (SPEC §7)."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from settlement.services.payouts import payout_results_import


class Command(BaseCommand):
    help = (
        "Import the provider's result file (CSV item_id,status,reason; 成功 or 失败). "
        "Prints each rejected line, then 'accepted N, duplicates N, rejected N'; exit 1 if "
        "anything was rejected. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the result CSV")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, "rb") as f:
                content = f.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        tally = payout_results_import(content=content, file_name=os.path.basename(file))
        for line in tally.lines:
            self.stdout.write(line)
        self.stdout.write(tally.summary)
        if tally.rejected:
            sys.exit(1)
