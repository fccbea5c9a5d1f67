"""The operators' group (运营): per-model admin permissions for platform staff.

Operators are staff, not superusers (issue #8, item 13). This group gives them
what the admin workflows need and nothing more:

* money rows (settlement: orders, events, bindings, accounts, journals,
  postings, payouts, escrow, settlement runs) — view only; the admin classes
  refuse add/change/delete for everyone anyway, and reconcile is an action on
  the settlement-run list;
* parties and qualifications — view and change (verify flags, shop status,
  assessments, operating accounts); accounts (users) view only, so an operator
  can't grant itself staff or superuser rights;
* activities, compliance, restricted products and permissions, agreement
  versions, categories — view, add, change (restricted products also delete:
  lifting a restriction); simple-history keeps every change;
* products — view and change; carts and tasks — view (tasks move only
  through their services);
* help center and success cases — full editing.

Permissions are created here first (``create_permissions``), since on a fresh
database the post-migrate signal that normally creates them runs only after
every migration. Migration ``0003_operator_group`` runs ``ensure_operator_group``
and the demo seed runs it again: a flushed test database loses the group with
the rest of the data. Each migration applies the map frozen for it here
(``PERMISSIONS_0003``, ``PERMISSIONS_0004``, …), which names only models whose
tables exist by then; a later model gets a new map built from the previous one
and its own migration (depending on that model's). ``OPERATOR_PERMISSIONS`` is
the newest map: what the demo seed applies and the tests check.
"""

from __future__ import annotations

OPERATORS = "运营"

VIEW = ("view",)
VIEW_CHANGE = ("view", "change")
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

Permissions = dict[str, dict[str, tuple[str, ...]]]

PERMISSIONS_0003: Permissions = {
    "admission": {
        "user": VIEW,
        "category": EDIT,
        "merchant": VIEW_CHANGE,
        "creator": VIEW_CHANGE,
        "agency": VIEW_CHANGE,
        "provider": VIEW_CHANGE,
        "agreement": EDIT,
        "agreementsignature": VIEW,
        "assessment": VIEW_CHANGE,
        "operatingaccountrequest": VIEW_CHANGE,
        "activity": EDIT,
        "marketingcompliance": EDIT,
        "restrictedproduct": ALL,
        "productpermission": EDIT,
    },
    "settlement": {
        model: VIEW
        for model in (
            "order",
            "orderevent",
            "binding",
            "account",
            "journal",
            "posting",
            "payout",
            "escrowhold",
            "settlementrun",
        )
    },
    "cooperation": {
        "product": VIEW_CHANGE,
        "cartitem": VIEW,
        "task": VIEW,
        "taskproduct": VIEW,
        "tasktransition": VIEW,
    },
    "workbench": {
        "helpcategory": ALL,
        "helparticle": ALL,
        "successcase": ALL,
        "casefigure": ALL,
    },
}


def extended(base: Permissions, **additions: dict[str, tuple[str, ...]]) -> Permissions:
    """``base`` with more models per app label (a new map; ``base`` is unchanged)."""
    out = {app: dict(models) for app, models in base.items()}
    for app, models in additions.items():
        out.setdefault(app, {}).update(models)
    return out


# 0004: operators verify payout accounts (收款账户).
PERMISSIONS_0004 = extended(PERMISSIONS_0003, settlement={"payoutaccount": VIEW_CHANGE})

# 0005: disputes (争议) — operators see them and decide them; task timelines view only.
PERMISSIONS_0005 = extended(
    PERMISSIONS_0004,
    cooperation={"dispute": ("view", "decide"), "taskevent": VIEW},
)

# 0006: money in and out — operators grant credit (授信额度), see top-ups and shortfalls,
# export payout batches and upload their results (打款批次), see the result imports.
PERMISSIONS_0006 = extended(
    PERMISSIONS_0005,
    settlement={
        "merchantfunds": VIEW_CHANGE,
        "topup": VIEW,
        "fundsshortfall": VIEW,
        "payoutbatch": VIEW,
        "payoutresultimport": VIEW,
    },
)

# 0007: the email outbox of 通知 (view only: what was sent, what waits, what failed).
PERMISSIONS_0007 = extended(PERMISSIONS_0006, notifications={"outboxemail": VIEW})

# 0008: ratings (评价) — operators read them and hide an abusive text (never the stars);
# scorecards view only (the recompute writes them).
PERMISSIONS_0008 = extended(
    PERMISSIONS_0007,
    cooperation={
        "rating": ("view", "change", "moderate"),
        "creatorscorecard": VIEW,
        "merchantscorecard": VIEW,
    },
)

# 0009: promotion plans (推广计划) and samples (申样) — operators see plans, their rates and
# applications, sample quotas and requests, and the rate reconciliation (an admin page of
# the plans, behind view_promotionplan).
PERMISSIONS_0009 = extended(
    PERMISSIONS_0008,
    cooperation={
        "promotionplan": VIEW,
        "planrate": VIEW,
        "planapplication": VIEW,
        "samplequota": VIEW,
        "samplerequest": VIEW,
    },
)

# 0010: the report queue of 消息 — operators see reports, read a reported thread through
# its report (each opening recorded: ReportAccess, view only) and decide with a note.
PERMISSIONS_0010 = extended(
    PERMISSIONS_0009,
    conversations={"report": ("view", "decide"), "reportaccess": VIEW},
)

# 0011: the audit of operators reading a dispute's task thread (read only).
PERMISSIONS_0011 = extended(PERMISSIONS_0010, conversations={"disputeaccess": VIEW})
OPERATOR_PERMISSIONS = PERMISSIONS_0011  # the newest map


def ensure_operator_group(apps, schema_editor, permissions: Permissions | None = None):
    """Create (or reset) the 运营 group with exactly ``permissions`` (default: the newest)."""
    from django.contrib.auth.management import create_permissions

    permissions = permissions or OPERATOR_PERMISSIONS
    using = schema_editor.connection.alias if schema_editor is not None else "default"
    for app_config in apps.get_app_configs():
        if app_config.label not in permissions:
            continue
        # Historical app configs have no models module; create_permissions skips those.
        saved = getattr(app_config, "models_module", None)
        app_config.models_module = True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = saved

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = {
        (app_label, f"{action}_{model}")
        for app_label, models in permissions.items()
        for model, actions in models.items()
        for action in actions
    }
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.using(using)
        .select_related("content_type")
        .filter(content_type__app_label__in=permissions)
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise RuntimeError(f"operator group: permissions not found: {missing}")
    group, _ = Group.objects.using(using).get_or_create(name=OPERATORS)
    group.permissions.set([found[key] for key in sorted(wanted)])


def remove_operator_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=OPERATORS).delete()
