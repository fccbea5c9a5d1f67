"""Demo tasks: every state for the demo parties, idempotent, nothing with --users-only."""

import os

import pytest
from django.core.management import call_command

from admission.models import Creator
from cooperation.demo_tasks import DEMO_TASKS
from cooperation.models import Task, TaskState, TaskTransition
from cooperation.services import tasks as services
from settlement.models import EscrowHold

pytestmark = pytest.mark.django_db


def _seed(*args):
    call_command("seed_demo", "--force", *args, stdout=open(os.devnull, "w"))  # noqa: SIM115


def _completed() -> dict[str, int]:
    creators = Creator.objects.filter(user__username__in=["demo_creator", "demo_streamer"])
    return {c.user.username: c.completed_tasks for c in creators.select_related("user")}


def test_users_only_creates_no_tasks():
    _seed("--users-only")
    assert not Task.objects.exists()


def test_demo_has_tasks_in_every_state_for_both_sides_and_is_idempotent():
    _seed()
    demo = Task.objects.filter(merchant__user__username__in=["demo_merchant", "demo_tmall"])
    # none was refused and skipped; the demo's approved sample request (申样) adds its own
    assert demo.filter(sample_request__isnull=True).count() == len(DEMO_TASKS)
    assert demo.filter(sample_request__isnull=False).count() == 1
    assert set(demo.values_list("state", flat=True)) == set(TaskState.values)
    for creator in ("demo_creator", "demo_streamer"):
        assert demo.filter(creator__user__username=creator, state=TaskState.INVITED).exists()
    for merchant in ("demo_merchant", "demo_tmall"):
        states = set(demo.filter(merchant__user__username=merchant).values_list("state", flat=True))
        assert {TaskState.INVITED, TaskState.ACCEPTED, TaskState.COMPLETED} <= states
    counts = (Task.objects.count(), TaskTransition.objects.count(), EscrowHold.objects.count())
    completed = _completed()
    _seed()
    assert (
        Task.objects.count(),
        TaskTransition.objects.count(),
        EscrowHold.objects.count(),
    ) == counts
    assert _completed() == completed
    # The beat jobs find nothing due right after seeding: the demo stays as seeded.
    assert services.tasks_expire_due() == 0
    assert services.tasks_autocomplete_due() == 0
    # Every task's history is in order and its timestamps agree with its transitions.
    for task in demo.prefetch_related("transitions"):
        ats = [t.at for t in task.transitions.all()]
        assert ats == sorted(ats)
        assert task.transitions.all()[0].at == task.created_at


def test_tick_120_days_ahead_on_the_demo_world_leaves_only_disputed_escrow(db):
    """Done-when of issue 16: nothing is held except by tasks in dispute."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from cooperation.models import Task, TaskState
    from cooperation.selectors.escrow import escrow_summary
    from tests.demo_snapshot import seed_demo_world

    seed_demo_world()  # the seeded world (this process's copy of it when it has one)
    assert {TaskState.DISPUTED, TaskState.RESOLVED} <= set(
        Task.objects.values_list("state", flat=True)
    )
    assert {"commission", "guarantee", "fixed"} <= set(Task.objects.values_list("mode", flat=True))
    call_command("cooperation_tick", "--at", (timezone.now() + timedelta(days=120)).isoformat())
    s = escrow_summary()
    assert s.held_tasks == s.disputed_tasks >= 1
    assert s.held == s.disputed
