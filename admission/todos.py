"""Admission to-do sources (SPEC §5 待办事项).

* 准入待完善 (every party): unmet conditions the party can fix itself — the
  agreement, a Tmall operating account, an assessment request. Links to the
  准入中心 filtered to exactly those items (``?show=todo``).
* 运营账户授权待确认 (merchants): Tmall shops asking this account to be their
  operating account; the 准入中心 lists them.
* Operators: assessments and restricted-product permission requests to decide
  (links into admin, filtered).
"""

from __future__ import annotations

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from admission import selectors
from admission.models import (
    Assessment,
    AssessmentStatus,
    DesignationStatus,
    OperatingAccountRequest,
    PermissionStatus,
    ProductPermission,
    Role,
    User,
)
from hotwave.todos import STREAM_CHUNK, TodoBatch, TodoSource, count_of, register, register_batch

# Conditions a party can fix itself, per role (rules.SELF conditions).
SELF_FIXABLE = {
    Role.MERCHANT: (
        "agreement_signed",
        "operating_account_designated",
        "operating_account_agreement_signed",
    ),
    Role.CREATOR: ("agreement_signed",),
    Role.AGENCY: ("agreement_signed",),
    Role.PROVIDER: ("agreement_signed", "assessment_requestable"),
}


def _unmet_self_q(role: str, code: str) -> Q:
    if code == "assessment_requestable":
        # No pending or approved assessment: asking for one is the party's move.
        return ~Q(
            Exists(
                Assessment.objects.filter(
                    user=OuterRef("user"),
                    status__in=[AssessmentStatus.PENDING, AssessmentStatus.APPROVED],
                )
            )
        )
    return selectors.unmet_q(role, code)


def _incomplete_rows(role: str):
    """The role's profiles with unmet self-fixable conditions, annotated with ``n`` of them."""
    model = selectors.PROFILE_MODELS[role]
    codes = SELF_FIXABLE[role]
    if len(codes) == 1:
        # One condition (creators, agencies: the agreement): a plain anti-join, which
        # Postgres runs as a hashed subplan; at 100k creators a CASE sum costs ~10×.
        return (
            model.objects.filter(user__is_active=True)
            .filter(_unmet_self_q(role, codes[0]))
            .annotate(n=Value(1))
        )
    total = sum(
        (
            Case(
                When(_unmet_self_q(role, code), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for code in SELF_FIXABLE[role]
        ),
        Value(0),
    )
    # No need to exclude admitted parties: each of these conditions is required, so a
    # party missing one is not admitted (tests/admission/test_todos.py checks the rules agree).
    return model.objects.filter(user__is_active=True).annotate(n=total).filter(n__gt=0)


def _incomplete_qs(role: str):
    return _incomplete_rows(role).values_list("user_id", "n")


def _incomplete_union():
    roles = list(SELF_FIXABLE)
    qs = _incomplete_qs(roles[0]).order_by()
    for role in roles[1:]:
        qs = qs.union(_incomplete_qs(role).order_by(), all=True)
    return qs


def incomplete_count_all() -> dict[int, int]:
    """One SQL statement (a UNION over the four profile tables)."""
    return dict(_incomplete_union())


def _incomplete_rows_all():
    """The same statement ordered by user and streamed (the recount's batch)."""
    for user_id, n in _incomplete_union().order_by("user_id").iterator(chunk_size=STREAM_CHUNK):
        yield user_id, {"admission.incomplete": n}


def _incomplete_expr(role: str):
    """The count for the user at ``OuterRef("pk")``: the same filter, as a scalar subquery."""
    if role not in SELF_FIXABLE:
        return Value(0)
    return Subquery(
        _incomplete_rows(role).filter(user_id=OuterRef("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def incomplete_count_for(user: User) -> int:
    """One indexed query: the same filter as ``incomplete_count_all``, for one party."""
    if user.role not in SELF_FIXABLE:
        return 0
    row = _incomplete_qs(user.role).filter(user_id=user.pk).first()
    return row[1] if row else 0


def _center_todo_url(user: User) -> str:
    return reverse("admission:center") + "?show=todo"


register(
    TodoSource(
        key="admission.incomplete",
        roles=(Role.MERCHANT, Role.CREATOR, Role.AGENCY, Role.PROVIDER),
        title=_("准入待完善"),
        url=_center_todo_url,
        count_all=incomplete_count_all,
        count_for=incomplete_count_for,
        order=10,
        description=_("完成这些条件后即可通过准入"),
        count_expr=_incomplete_expr,
    )
)
register_batch(
    TodoBatch(
        key="admission.incomplete",
        source_keys=("admission.incomplete",),
        rows=_incomplete_rows_all,
    )
)


def _operating_count_all() -> dict[int, int]:
    return dict(
        OperatingAccountRequest.objects.filter(
            status=DesignationStatus.PENDING, account__isnull=False
        )
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )


def _operating_count_for(user: User) -> int:
    return OperatingAccountRequest.objects.filter(
        account=user, status=DesignationStatus.PENDING
    ).count()


def _operating_rows_all():
    rows = (
        OperatingAccountRequest.objects.filter(
            status=DesignationStatus.PENDING, account__isnull=False
        )
        .values("account_id")
        .annotate(n=Count("pk"))
        .order_by("account_id")
        .values_list("account_id", "n")
    )
    for user_id, n in rows.iterator(chunk_size=STREAM_CHUNK):
        yield user_id, {"admission.operating_requests": n}


def _operating_expr(role: str):
    return count_of(
        OperatingAccountRequest.objects.filter(
            account=OuterRef("pk"), status=DesignationStatus.PENDING
        )
    )


register(
    TodoSource(
        key="admission.operating_requests",
        roles=(Role.MERCHANT,),
        title=_("运营账户授权待确认"),
        url=lambda user: reverse("admission:center") + "#operating-requests",
        count_all=_operating_count_all,
        count_for=_operating_count_for,
        order=11,
        count_expr=_operating_expr,
    )
)
register_batch(
    TodoBatch(
        key="admission.operating_requests",
        source_keys=("admission.operating_requests",),
        rows=_operating_rows_all,
    )
)


def _operators_count_all(pending_qs) -> dict[int, int]:
    """Every operator sees the same queue: one query, the count as a subquery."""
    count = (
        pending_qs.order_by().annotate(g=Value(1)).values("g").annotate(n=Count("pk")).values("n")
    )
    rows = (
        User.objects.filter(role=Role.OPERATOR, is_active=True)
        .annotate(n=Coalesce(Subquery(count[:1]), 0))
        .filter(n__gt=0)
        .values_list("pk", "n")
    )
    return dict(rows)


def _pending_assessments():
    return Assessment.objects.filter(status=AssessmentStatus.PENDING)


def _pending_permissions():
    return ProductPermission.objects.filter(status=PermissionStatus.REQUESTED)


def _operator_queue_expr(pending):
    # Every operator sees the same queue (the source applies to operators only).
    return lambda role: count_of(pending()) if role == Role.OPERATOR else Value(0)


def _operators_rows_all():
    """Both operator queues in one statement (two scalar counts), ordered by operator."""
    rows = (
        User.objects.filter(role=Role.OPERATOR, is_active=True)
        .annotate(a=count_of(_pending_assessments()), p=count_of(_pending_permissions()))
        .order_by("pk")
        .values_list("pk", "a", "p")
    )
    for user_id, a, p in rows.iterator(chunk_size=STREAM_CHUNK):
        yield user_id, {"admission.assessments_pending": a, "admission.permissions_pending": p}


register(
    TodoSource(
        key="admission.assessments_pending",
        roles=(Role.OPERATOR,),
        title=_("准入考核待审核"),
        url=lambda user: (
            reverse("admin:admission_assessment_changelist") + "?status__exact=pending"
        ),
        count_all=lambda: _operators_count_all(_pending_assessments()),
        count_for=lambda user: _pending_assessments().count() if user.is_operator else 0,
        order=12,
        count_expr=_operator_queue_expr(_pending_assessments),
    )
)

register(
    TodoSource(
        key="admission.permissions_pending",
        roles=(Role.OPERATOR,),
        title=_("推广权限申请待审批"),
        url=lambda user: (
            reverse("admin:admission_productpermission_changelist") + "?status__exact=requested"
        ),
        count_all=lambda: _operators_count_all(_pending_permissions()),
        count_for=lambda user: _pending_permissions().count() if user.is_operator else 0,
        order=13,
        count_expr=_operator_queue_expr(_pending_permissions),
    )
)
register_batch(
    TodoBatch(
        key="admission.operator_queues",
        source_keys=("admission.assessments_pending", "admission.permissions_pending"),
        rows=_operators_rows_all,
    )
)
