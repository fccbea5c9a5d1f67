"""To-do sources of agency binding (SPEC §5 待办事项).

Each counts exactly the invitations the linked page (机构绑定 filtered by
``?status=invited``) lists for that user: the creator's invitations awaiting
its consent, and the agency's invitations awaiting the creators' answers.
(Bindings have no planned end date, so there is no "ending soon" source.)
"""

from __future__ import annotations

from django.db.models import Count, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotwave.todos import STREAM_CHUNK, TodoBatch, TodoSource, count_of, register, register_batch
from settlement.models import Binding, BindingStatus


def _source(key: str, role: str, side: str, title, description, order: int) -> TodoSource:
    field = f"{side}_id"

    def count_all() -> dict[int, int]:
        rows = (
            Binding.objects.filter(status=BindingStatus.INVITED)
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
        )
        return {user_id: n for user_id, n in rows if n}

    def count_for(user) -> int:
        return Binding.objects.filter(**{field: user.pk, "status": BindingStatus.INVITED}).count()

    def count_expr(role: str):
        return count_of(
            Binding.objects.filter(**{field: OuterRef("pk")}, status=BindingStatus.INVITED)
        )

    def rows_all():
        rows = (
            Binding.objects.filter(status=BindingStatus.INVITED)
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk"))
            .order_by(field)
        )
        for user_id, n in rows.iterator(chunk_size=STREAM_CHUNK):
            yield user_id, {key: n}

    def url(user=None) -> str:
        return f"{reverse('settlement:binding_list')}?status=invited"

    source = register(
        TodoSource(
            key=key,
            roles=(role,),
            title=title,
            url=url,
            count_all=count_all,
            count_for=count_for,
            order=order,
            description=description,
            count_expr=count_expr,
        )
    )
    register_batch(TodoBatch(key=key, source_keys=(key,), rows=rows_all))
    return source


CREATOR_INVITATIONS = _source(
    "settlement.creator_binding_invitations",
    "creator",
    "creator",
    _("机构邀约待确认"),
    _("机构发来的绑定邀请，等待你查看分成预览并确认"),
    15,
)
AGENCY_INVITATIONS = _source(
    "settlement.agency_binding_invitations",
    "agency",
    "agency",
    _("待达人确认的邀约"),
    _("已发出、等待达人确认的绑定邀请"),
    15,
)


# --- Payouts held (settlement.holds) ------------------------------------------------------


def _held_expr_any_role():
    from django.db.models import Case, IntegerField, Value, When

    from settlement.holds import PAYEE_ROLES, hold_count_expr

    return Case(
        *[When(role=role, then=hold_count_expr(role)) for role in PAYEE_ROLES],
        default=Value(0),
        output_field=IntegerField(),
    )


def _held_count_all() -> dict[int, int]:
    from admission.models import User
    from settlement.holds import PAYEE_ROLES

    rows = (
        User.objects.filter(role__in=PAYEE_ROLES)
        .annotate(n=_held_expr_any_role())
        .filter(n__gt=0)
        .values_list("pk", "n")
    )
    return dict(rows)


def _held_count_for(user) -> int:
    from admission.models import User
    from settlement.holds import hold_count_expr

    n = (
        User.objects.filter(pk=user.pk)
        .annotate(n=hold_count_expr(user.role))
        .values_list("n", flat=True)
        .first()
    )
    return int(n or 0)


def _held_expr(role: str):
    from settlement.holds import hold_count_expr

    return hold_count_expr(role)


PAYOUTS_HELD = register(
    TodoSource(
        key="settlement.payouts_held",
        roles=("creator", "agency"),
        title=_("打款暂缓"),
        # The number is the reasons listed there (not admitted, no verified 收款账户).
        url=lambda user=None: f"{reverse('settlement:fund_account')}#payout-holds",
        count_all=_held_count_all,
        count_for=_held_count_for,
        order=5,
        description=_("收益已入账但暂不打款：处理列出的原因后，下一次结算一并打款"),
        count_expr=_held_expr,
    )
)
