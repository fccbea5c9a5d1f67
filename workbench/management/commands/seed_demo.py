"""seed_demo: demo users and a believable world (SPEC §6). Idempotent."""

from __future__ import annotations

import importlib
import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app contributes a ``<app>/demo.py`` with ``seed(*, users_only, context)``,
# run in dependency order; ``context`` carries what earlier steps created. An app's
# ``summary()`` (optional) gives the lines it adds to the short report at the end.
APPS_IN_ORDER = (
    "admission",
    "notifications",
    "settlement",
    "cooperation",
    "conversations",
    "workbench",
)
# What the seed's services log as they go (each nightly run of the history): shown
# with -v 2 only; the default output is the short summary.
CHATTY_LOGGERS = ("settlement", "cooperation", "admission", "workbench")


@contextmanager
def _quiet(loggers, quiet: bool):
    if not quiet:
        yield
        return
    saved = [(name, logging.getLogger(name).level) for name in loggers]
    for name, _level in saved:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in saved:
            logging.getLogger(name).setLevel(level)


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
        verbose = options.get("verbosity", 1) >= 2
        context: dict = {}
        modules = []
        with _quiet(CHATTY_LOGGERS, quiet=not verbose):
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
                modules.append(module)
                if verbose:
                    self.stdout.write(f"  {app}: done")
        what = "demo users" if users_only else "demo users and data"
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {what} in {time.monotonic() - started:.1f}s.")
        )
        for module in modules:
            summary = getattr(module, "summary", None)
            for line in summary(users_only=users_only) if summary else ():
                self.stdout.write(f"  {line}")
