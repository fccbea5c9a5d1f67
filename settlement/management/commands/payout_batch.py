"""payout_batch [--date YYYY-MM-DD] --out FILE: export one business date's payout batch (SPEC §7)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from settlement.services.payouts import payout_batch_export


class Command(BaseCommand):
    help = (
        "Export the payout items 待打款 of a business date (default yesterday) as the "
        "provider's batch-transfer CSV and mark them 已提交; again: the same file, no change."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="day", help="business date YYYY-MM-DD (default yesterday)"
        )
        parser.add_argument("--out", required=True, help="where to write the CSV file")

    def handle(self, *args, day: str | None = None, out: str, **options):
        try:
            business_date = (
                date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
            )
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {day!r}") from exc
        batch = payout_batch_export(business_date=business_date)
        try:
            with open(out, "w", encoding="utf-8", newline="") as f:
                f.write(batch.content)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(
            f"batch {batch.business_date}: {batch.item_count} items, {batch.total:.2f} → {out}"
        )
