"""reconcile: verify the ledger is whole; exits 1 on any drift."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from settlement.services.reconcile import reconcile


class Command(BaseCommand):
    help = "Check that postings sum to zero, journals balance and orders, payouts and escrow agree."

    def handle(self, *args, **options):
        problems = reconcile()
        for p in problems:
            self.stdout.write(f"DRIFT: {p}")
        if problems:
            self.stdout.write(f"{len(problems)} problem(s) found")
            sys.exit(1)
        self.stdout.write("ledger reconciled: no drift")
