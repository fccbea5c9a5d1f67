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
