"""seed_demo: demo users and a believable world (SPEC §6). Idempotent."""

from __future__ import annotations

import importlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app contributes a ``<app>/demo.py`` with ``seed(*, users_only, context)``,
# run in dependency order; ``context`` carries what earlier steps created.
APPS_IN_ORDER = ("admission", "settlement", "cooperation", "workbench")


class Command(BaseCommand):
    help = "Create the demo users (password hotwave-demo) and, unless --users-only, demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--users-only",
            action="store_true",
            help="Only the seven demo users and their admission data: no products, tasks, orders or bindings.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (never on production data).",
        )

    def handle(self, *args, users_only: bool = False, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off; pass --force if you really mean it."
            )
        started = time.monotonic()
        context: dict = {}
        for app in APPS_IN_ORDER:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            seed = getattr(module, "seed", None)
            if seed is None:
                continue
            seed(users_only=users_only, context=context)
            self.stdout.write(f"  {app}: done")
        what = "demo users" if users_only else "demo users and data"
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {what} in {time.monotonic() - started:.1f}s.")
        )
