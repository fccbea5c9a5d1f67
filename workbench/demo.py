"""Demo data for the workbench (used by ``seed_demo``). Idempotent: safe to run again.

The help center's starter tutorials also exist on a fresh install (data
migration ``0002_starter_help``, from ``workbench.starter_content`` like here);
the demo makes sure they are there. Success
cases are demo content, created only for the full demo (not ``--users-only``,
which creates nothing but the SPEC §6 users and their admission data).
"""

from __future__ import annotations

import logging

from workbench import services
from workbench.operator_group import OPERATORS, ensure_operator_group

logger = logging.getLogger(__name__)


def seed_operators(context: dict) -> None:
    """The 运营 group (as the newest of its migrations leaves it) with demo_operator in it.

    A flushed database (transactional tests) loses the group with the rest of
    the migration data; seeding puts it back.
    """
    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    ensure_operator_group(django_apps, None)
    operator = context.get("users", {}).get("demo_operator")
    if operator is not None:
        operator.groups.add(Group.objects.get(name=OPERATORS))


def seed(*, users_only: bool, context: dict) -> None:
    seed_operators(context)
    services.help_seed_starter()
    if users_only:
        return
    services.cases_seed_starter()
    # The demo world was just written in bulk: count everyone's to-dos now so
    # the first page view reads them from the cache.
    try:
        services.todos_recount_all()
    except Exception:  # noqa: BLE001 - no cache is fine: pages compute directly
        logger.warning("to-do recount after seeding failed; pages will compute directly")
