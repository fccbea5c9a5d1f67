"""generate_load: fill the database with a large, realistic, reproducible world (benchmarks).

    DJANGO_SETTINGS_MODULE=bench.settings python manage.py generate_load \\
        --creators 100000 --merchants 2000 --products 20000 --orders 1000000 \\
        [--seed 1] [--jsonl orders.jsonl]

Only ``bench.settings`` and the test settings install the ``bench`` app: the
product does not ship it. See ``bench.loadgen.generate`` for what the world looks
like. Generated accounts are named ``lg_…`` with the password ``hotwave-load``.
Never run it on production data.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from bench.loadgen.generate import LoadError, LoadGenerator, Sizes


class Progress:
    """A one-line progress bar on a terminal, a line every ~10% otherwise."""

    def __init__(self, stream, tty: bool):
        self.stream = stream
        self.tty = tty
        self.started = time.monotonic()
        self.stage = None
        self.last_decile = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            if self.tty and self.stage is not None:
                self.stream.write("\n")
            self.stage, self.last_decile, self.started = stage, -1, time.monotonic()
        total = max(total, 1)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        pct = min(100, done * 100 // total)
        eta = (total - done) / rate if rate else 0
        width = 30
        bar = "#" * (pct * width // 100) + "-" * (width - pct * width // 100)
        line = f"{stage:>9} [{bar}] {done:>10,}/{total:,} {pct:3d}% {rate:,.0f}/s eta {eta:,.0f}s"
        if self.tty:
            self.stream.write("\r" + line)
            self.stream.flush()
        elif pct // 10 != self.last_decile:
            self.last_decile = pct // 10
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.stage is not None:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Generate a realistic, reproducible load world (parties, products, bindings, orders) "
        "with COPY on PostgreSQL; --jsonl writes the orders as import_events lines instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--creators", type=int, default=1000)
        parser.add_argument("--merchants", type=int, default=100)
        parser.add_argument("--products", type=int, default=1000)
        parser.add_argument("--orders", type=int, default=10000)
        parser.add_argument(
            "--tasks",
            type=int,
            default=None,
            help="Cooperation tasks (invited, declined, cancelled, expired); default creators / 2.",
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed and sizes, same world.")
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=None,
            help="Orders are paid in the --days days before this date (Asia/Shanghai; default today).",
        )
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument(
            "--order-prefix",
            default="LG",
            help="Order ids are <prefix><9 digits>; use another prefix to add a second set.",
        )
        parser.add_argument("--batch-size", type=int, default=10000)
        parser.add_argument(
            "--no-events",
            action="store_true",
            help="Do not write OrderEvent rows next to the orders (faster, less realistic).",
        )
        parser.add_argument(
            "--jsonl",
            metavar="FILE",
            help="Write the orders as SPEC §6 import_events lines to FILE instead of inserting them.",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress output.")

    def handle(self, *args, **o):
        sizes = Sizes(
            creators=o["creators"],
            merchants=o["merchants"],
            products=o["products"],
            orders=o["orders"],
        )
        tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        progress = None if o["quiet"] else Progress(sys.stderr, tty)
        try:
            gen = LoadGenerator(
                sizes,
                seed=o["seed"],
                until=o["until"],
                days=o["days"],
                order_prefix=o["order_prefix"],
                batch_size=o["batch_size"],
                events=not o["no_events"],
                progress=progress,
            )
            if o["jsonl"]:
                with open(o["jsonl"], "w", encoding="utf-8") as fh:
                    stats = gen.run(jsonl=fh)
            else:
                stats = gen.run()
        except (LoadError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if progress is not None:
                progress.close()
        reused = " (parties reused)" if stats.parties_reused else ""
        where = f" as {stats.jsonl_lines:,} lines in {o['jsonl']}" if o["jsonl"] else ""
        self.stdout.write(
            f"generated{reused}: {stats.users:,} users ({stats.merchants:,} merchants, "
            f"{stats.agencies:,} agencies, {stats.creators:,} creators), {stats.products:,} products, "
            f"{stats.bindings:,} bindings, {stats.tasks:,} tasks, {stats.orders:,} orders{where} "
            f"({stats.confirmed:,} confirmed, {stats.refunded:,} with refunds, "
            f"{stats.agency_rule:,} under an agency binding), {stats.events:,} order events "
            f"in {stats.seconds.get('total', 0):.1f}s"
        )
