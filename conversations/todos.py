"""The 待办事项 item of 消息: 未读消息, the messages the user has not read (the same count
as the header's badge: muted merchants' threads count nothing), linking to the inbox."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotwave.todos import TodoSource, register


def _count_for(user) -> int:
    from conversations.selectors import unread_total

    return unread_total(actor=user)


def _count_all() -> dict[int, int]:
    from conversations.selectors import unread_by_user

    return unread_by_user()


def _count_expr(role: str):
    from conversations.selectors import unread_count_expr

    return unread_count_expr()


UNREAD = register(
    TodoSource(
        key="conversations.unread",
        roles=("merchant", "creator", "agency"),
        title=_("未读消息"),
        url=lambda user=None: reverse("conversations:inbox"),
        count_all=_count_all,
        count_for=_count_for,
        order=10,
        description=_("会话里对方发来、你还没看的消息（合作任务、私信、机构绑定）"),
        count_expr=_count_expr,
    )
)
