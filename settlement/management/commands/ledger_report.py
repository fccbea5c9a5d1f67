"""ledger_report --json: accounts, orders and the total of all postings (SPEC §6)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from settlement.services import report


class Command(BaseCommand):
    help = (
        "Print the ledger: every account's earned/paid_out/balance, every order's split, the total."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the SPEC §6 JSON document")

    def handle(self, *args, **options):
        if options["json"]:
            report.write_json(self.stdout._out)
            return
        for name, f in report.account_figures().items():
            self.stdout.write(
                f"{name:40} earned {f['earned']:>14} paid_out {f['paid_out']:>14} "
                f"balance {f['balance']:>14}"
            )
        self.stdout.write(f"total {report.total():.2f}")
