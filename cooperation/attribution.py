"""Who a task reference belongs to, for settlement's order events (settings.HOTWAVE_TASK_REFERENCE_OWNERS)."""

from __future__ import annotations

from collections.abc import Iterable

from cooperation.models import Task, task_pk_of, task_reference


def task_reference_creators(refs: Iterable[str]) -> dict[str, str]:
    """{reference: the task's creator's username} for the references of existing tasks."""
    pks = {pk for pk in (task_pk_of(r) for r in refs) if pk is not None}
    rows = Task.objects.filter(pk__in=pks).values_list("pk", "creator__user__username")
    return {task_reference(pk): username for pk, username in rows}
