"""Operators: admin limited to staff with per-model permissions (issue #8, item 13).

Operators are staff in the 运营 group (``workbench/migrations/0003_operator_group``, 0004),
not superusers. Checked here, over every model registered in the admin:

* anonymous and non-staff users are sent to the admin login;
* a staff user outside the group gets 403 on every model page (and the
  reconcile button);
* a group member views every money row but can't add, change or delete any;
  it views accounts but can't edit them (no self-promotion to superuser);
  what it may change is exactly the group's permissions;
* a view-only staff user gets no qualification-changing actions;
* the demo operator is such a member.

The operators' workflows themselves (verify flags, assessments, permissions,
reconcile, tasks, help) run again as a group member in
``test_operator_group_workflows.py``.
"""

from __future__ import annotations

import importlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from admission.models import Creator, Role, User
from settlement.models import Journal, JournalKind, Order, Posting
from settlement.services.events import ingest_objects
from settlement.services.settle import settle_through
from tests.admission.factories import CreatorFactory, OperatorFactory
from tests.hotwave.operators import make_group_operator
from tests.settlement.admin_checks import MODELS as MONEY_MODELS
from tests.settlement.factories import confirmed, paid

pytestmark = pytest.mark.django_db

_migration = importlib.import_module("workbench.operator_group")
OPERATORS = _migration.OPERATORS
GRANTED = _migration.OPERATOR_PERMISSIONS
MONEY = MONEY_MODELS  # settlement's money models, as the kernel's admin test lists them


@pytest.fixture
def member():
    return make_group_operator()


@pytest.fixture
def staff_outside():
    return OperatorFactory(username="stan_staff", is_superuser=False)


@pytest.fixture
def settled(merchant, creator):
    ingest_objects(
        [
            paid("OPS-1", merchant, creator, "100.00", "0.20", "2026-10-01T10:00:00+08:00"),
            confirmed("OPS-1", "2026-10-02T10:00:00+08:00"),
        ]
    )
    settle_through(business_date=date(2026, 10, 31))


def registered() -> list[tuple[str, str]]:
    return sorted((m._meta.app_label, m._meta.model_name) for m in admin.site._registry)


def changelist(app: str, model: str) -> str:
    return reverse(f"admin:{app}_{model}_changelist")


def test_the_migration_makes_the_group_with_view_only_money_and_no_auth_rights():
    Group.objects.filter(name=OPERATORS).delete()
    # Run the migration's function with the models as they were at that migration.
    state = MigrationLoader(connection).project_state(
        ("workbench", "0004_operator_payout_accounts"), at_end=False
    )
    # The function uses only the schema editor's connection (no DDL).
    _migration.ensure_operator_group(state.apps, SimpleNamespace(connection=connection))
    group = Group.objects.get(name=OPERATORS)
    perms = set(group.permissions.values_list("content_type__app_label", "codename"))
    for model in MONEY:
        assert ("settlement", f"view_{model}") in perms
        for action in ("add", "change", "delete"):
            assert ("settlement", f"{action}_{model}") not in perms
    assert ("admission", "view_user") in perms
    assert not {("admission", f"{a}_user") for a in ("add", "change", "delete")} & perms
    assert not {p for p in perms if p[0] in ("auth", "contenttypes", "sessions", "axes")}
    assert ("admission", "change_creator") in perms and ("cooperation", "change_product") in perms
    expected = {
        (app, f"{action}_{model}")
        for app, models in GRANTED.items()
        for model, actions in models.items()
        for action in actions
    }
    assert perms == expected


@pytest.mark.parametrize("who", ["anonymous", "non_staff"])
def test_anonymous_and_non_staff_are_sent_to_login(who, anonymous, client_for, merchant):
    c = anonymous if who == "anonymous" else client_for(merchant)
    for app, model in [("admin", "index"), *registered()]:
        url = reverse("admin:index") if app == "admin" else changelist(app, model)
        response = c.get(url)
        assert response.status_code == 302, url
        # The admin's login, or the site's (LoginRequiredMiddleware) for anonymous.
        assert response["Location"].startswith(("/admin/login/", "/accounts/login/")), url
    response = c.post(reverse("admin:settlement_settlementrun_reconcile"))
    assert response.status_code == 302
    assert response["Location"].startswith(("/admin/login/", "/accounts/login/"))


def test_staff_without_the_group_gets_403_on_every_model_page(client_for, staff_outside, settled):
    c = client_for(staff_outside)
    index = c.get(reverse("admin:index"))
    assert index.status_code == 200  # the empty index: "no permission to view or edit anything"
    assert not index.context["app_list"]
    order = Order.objects.get()
    for app, model in registered():
        assert c.get(changelist(app, model)).status_code == 403, (app, model)
        assert c.get(reverse(f"admin:{app}_{model}_add")).status_code == 403, (app, model)
    assert c.get(reverse("admin:settlement_order_change", args=[order.pk])).status_code == 403
    assert c.post(reverse("admin:settlement_settlementrun_reconcile")).status_code == 403
    creator = CreatorFactory(alipay_verified=False)
    response = c.post(
        changelist("admission", "creator"),
        {"action": "set_alipay_verified_True", "_selected_action": [creator.pk], "index": 0},
    )
    assert response.status_code == 403
    assert Creator.objects.get(pk=creator.pk).alipay_verified is False


def test_the_member_opens_exactly_the_granted_model_pages(client_for, member):
    c = client_for(member)
    for app, model in registered():
        granted = "view" in GRANTED.get(app, {}).get(model, ())
        status = c.get(changelist(app, model)).status_code
        assert status == (200 if granted else 403), (app, model, status)
        can_add = "add" in GRANTED.get(app, {}).get(model, ())
        add = c.get(reverse(f"admin:{app}_{model}_add")).status_code
        # Some admins refuse "add" to everyone (money rows, signatures, tasks).
        assert add == 403 if not can_add else add in (200, 403), (app, model, add)


def test_the_member_views_money_rows_but_cannot_add_change_or_delete(client_for, member, settled):
    c = client_for(member)
    order = Order.objects.get()
    journal = Journal.objects.get(kind=JournalKind.SETTLEMENT)
    posting = Posting.objects.filter(journal=journal).first()
    before = (Order.objects.count(), Journal.objects.count(), Posting.objects.count())
    for model in MONEY:
        listing = c.get(changelist("settlement", model))
        assert listing.status_code == 200, model
        assert b"delete_selected" not in listing.content
        add_url = reverse(f"admin:settlement_{model}_add")
        assert f'href="{add_url}"'.encode() not in listing.content
        assert c.get(add_url).status_code == 403
    page = c.get(reverse("admin:settlement_order_change", args=[order.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert "OPS-1" in page.content.decode()
    assert c.get(reverse("admin:settlement_journal_change", args=[journal.pk])).status_code == 200
    # Writes are refused, whatever is posted.
    change = c.post(
        reverse("admin:settlement_order_change", args=[order.pk]), {"order_id": "CHANGED"}
    )
    assert change.status_code == 403
    delete = reverse("admin:settlement_posting_delete", args=[posting.pk])
    assert c.get(delete).status_code == 403
    assert c.post(delete, {"post": "yes"}).status_code == 403
    bulk = c.post(
        changelist("settlement", "posting"),
        {"action": "delete_selected", "_selected_action": [posting.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)  # "no action selected": the action doesn't exist
    add = c.post(reverse("admin:settlement_order_add"), {"order_id": "NEW"})
    assert add.status_code == 403
    assert (Order.objects.count(), Journal.objects.count(), Posting.objects.count()) == before
    assert Order.objects.get().order_id == "OPS-1"


def test_the_member_can_reconcile(client_for, member, settled):
    c = client_for(member)
    response = c.post(reverse("admin:settlement_settlementrun_reconcile"), follow=True)
    assert response.status_code == 200 and "对账完成" in response.content.decode()


def test_the_member_cannot_promote_anyone(client_for, member, creator):
    c = client_for(member)
    assert c.get(changelist("admission", "user")).status_code == 200
    page = c.get(reverse("admin:admission_user_change", args=[member.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content  # view only
    for target in (member, creator):
        response = c.post(
            reverse("admin:admission_user_change", args=[target.pk]),
            {
                "username": target.username,
                "is_active": "on",
                "is_staff": "on",
                "is_superuser": "on",
                "role": target.role,
            },
        )
        assert response.status_code == 403
    assert c.get(reverse("admin:auth_group_changelist")).status_code == 403
    member.refresh_from_db()
    creator.refresh_from_db()
    assert not member.is_superuser and not creator.is_staff
    assert list(member.user_permissions.all()) == []


def test_a_view_only_staff_user_gets_no_changing_actions(client_for, staff_outside):
    staff_outside.user_permissions.add(
        Permission.objects.get(content_type__app_label="admission", codename="view_creator")
    )
    creator = CreatorFactory(alipay_verified=False)
    c = client_for(staff_outside)
    listing = c.get(changelist("admission", "creator"))
    assert listing.status_code == 200
    assert b"set_alipay_verified_True" not in listing.content
    c.post(
        changelist("admission", "creator"),
        {"action": "set_alipay_verified_True", "_selected_action": [creator.pk], "index": 0},
    )
    assert Creator.objects.get(pk=creator.pk).alipay_verified is False
    assert not creator.history.filter(history_user=staff_outside).exists()


def test_the_demo_operator_is_a_staff_member_of_the_group_not_a_superuser():
    call_command("seed_demo", "--users-only", "--force", verbosity=0)
    operator = User.objects.get(username="demo_operator")
    assert operator.role == Role.OPERATOR
    assert operator.is_staff and not operator.is_superuser
    assert list(operator.groups.values_list("name", flat=True)) == [OPERATORS]
    assert operator.has_perm("settlement.view_order")
    assert not operator.has_perm("settlement.change_order")
    assert operator.has_perm("admission.change_creator")
    # An older demo database had it as superuser: seeding again demotes it.
    User.objects.filter(pk=operator.pk).update(is_superuser=True)
    call_command("seed_demo", "--users-only", "--force", verbosity=0)
    operator.refresh_from_db()
    assert not operator.is_superuser
    assert Group.objects.filter(name=OPERATORS).count() == 1


def test_seeding_recreates_the_group_after_a_flush():
    Group.objects.all().delete()
    call_command("seed_demo", "--users-only", "--force", verbosity=0)
    operator = User.objects.get(username="demo_operator")
    assert operator.has_perm("settlement.view_payout")
    assert operator.groups.get().permissions.count() == sum(
        len(actions) for models in GRANTED.values() for actions in models.values()
    )
