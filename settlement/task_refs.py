"""Task references on order events (SPEC §7): ``"task": "HW-T-000123"`` on ``order.paid``.

Settlement knows nothing of tasks; the app that owns them answers who a
reference's creator is through the callable named by
``settings.HOTWAVE_TASK_REFERENCE_OWNERS`` (a dotted path, resolved when an
event carries a reference), so the dependency stays one-way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.module_loading import import_string

TASK_REFERENCE = re.compile(r"^HW-T-\d{6,12}$")


def is_task_reference(value: object) -> bool:
    return isinstance(value, str) and TASK_REFERENCE.match(value) is not None


def task_reference_creators(refs: Iterable[str]) -> dict[str, str]:
    """{reference: creator username} of the known references among ``refs``."""
    refs = {r for r in refs if is_task_reference(r)}
    path = getattr(settings, "HOTWAVE_TASK_REFERENCE_OWNERS", "")
    if not refs or not path:
        return {}
    return import_string(path)(refs)
