"""Operators as the product has them: staff in the 运营 group, not superusers."""

from __future__ import annotations

import importlib

from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from admission.models import User
from tests.admission.factories import OperatorFactory

_operator_group = importlib.import_module("workbench.operator_group")
OPERATORS = _operator_group.OPERATORS


def make_group_operator(username: str = "olivia_ops") -> User:
    """A staff operator, not a superuser, in the 运营 group (as the demo operator is)."""
    # A transactional test earlier in this process may have flushed the migration's
    # group away; put it back exactly as the migration (and the demo seed) does.
    _operator_group.ensure_operator_group(django_apps, None)
    user = OperatorFactory(username=username, is_superuser=False)
    user.groups.add(Group.objects.get(name=OPERATORS))
    return user
