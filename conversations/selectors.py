"""Reads of 消息, scoped by who is asking: someone else's thread is a 404.

A thread is read by its merchant and its creator; a task thread also by the
agency the creator is bound to now (settlement's "binding in force"), which
reads and never writes. A binding thread is read and written by the binding's
agency and creator only (no merchant is in it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from admission.models import Role, User
from conversations.models import (
    Message,
    Report,
    ReportStatus,
    Restriction,
    RestrictionKind,
    Thread,
    ThreadKind,
    ThreadRead,
)
from settlement.selectors.bindings import bindings_in_force

PAGE = 30  # messages shown at once; older ones a page at a time


def _agency_creators(actor: User):
    return bindings_in_force(timezone.now()).filter(agency_id=actor.pk).values("creator_id")


def _scope(actor: User) -> Q:
    if actor.role == Role.AGENCY:
        return Q(kind=ThreadKind.TASK, creator_id__in=_agency_creators(actor)) | Q(
            kind=ThreadKind.BINDING, agency_id=actor.pk
        )
    return Q(merchant_id=actor.pk) | Q(creator_id=actor.pk)


def _read_id(actor: User):
    return Coalesce(
        Subquery(
            ThreadRead.objects.filter(thread=OuterRef("pk"), user_id=actor.pk).values(
                "last_read_id"
            )[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )


def threads_for(*, actor: User) -> QuerySet[Thread]:
    """The actor's threads, newest message first, each with ``unread``, ``muted`` and
    ``last_body`` (a muted merchant's threads count nothing as unread)."""
    last = Message.objects.filter(thread=OuterRef("pk")).order_by("-id")
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), id__gt=OuterRef("read_upto"))
        .exclude(sender_id=actor.pk)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Thread.objects.filter(_scope(actor))
        .select_related("merchant__merchant", "agency__agency", "creator__creator")
        .annotate(
            read_upto=_read_id(actor),
            last_body=Subquery(last.values("body")[:1]),
            muted=Exists(
                Restriction.objects.filter(
                    creator_id=actor.pk,
                    merchant_id=OuterRef("merchant_id"),
                    kind=RestrictionKind.MUTE,
                )
            ),
            unread=Case(
                When(muted=True, then=Value(0)),
                default=Coalesce(Subquery(unread), Value(0), output_field=IntegerField()),
                output_field=IntegerField(),
            ),
        )
        .order_by("-last_message_at", "-pk")
    )


def thread_for(*, actor: User, pk: int) -> Thread:
    """One thread the actor may read. Raises Http404 for anyone else's."""
    thread = (
        Thread.objects.filter(_scope(actor), pk=pk)
        .select_related("merchant__merchant", "agency__agency", "creator__creator", "task")
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def can_write(thread: Thread, actor: User) -> bool:
    return actor.pk in (thread.party_id, thread.creator_id)


@dataclass
class MessagePage:
    messages: list[Message]
    has_older: bool
    last_id: int


def messages_page(*, thread: Thread, before: int | None = None) -> MessagePage:
    """The latest ``PAGE`` messages (before message ``before``), oldest first. One query."""
    qs = Message.objects.filter(thread=thread).select_related("sender").order_by("-id")
    if before:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: PAGE + 1])
    has_older = len(rows) > PAGE
    rows = rows[:PAGE][::-1]
    return MessagePage(rows, has_older, rows[-1].pk if rows else 0)


def messages_after(*, thread: Thread, after: int) -> list[Message]:
    """Messages newer than ``after``, oldest first (at most 100: the poll catches up)."""
    return list(
        Message.objects.filter(thread=thread, id__gt=after)
        .select_related("sender")
        .order_by("id")[:100]
    )


def thread_marks(*, thread: Thread, actor: User) -> tuple[int, int, int]:
    """(last message id, how far the other party has read, how far the actor has read).
    One query."""
    other = thread.other_of(actor.pk) if can_write(thread, actor) else thread.creator_id

    def read_of(user_id):
        return Coalesce(
            Subquery(
                ThreadRead.objects.filter(thread=OuterRef("pk"), user_id=user_id).values(
                    "last_read_id"
                )[:1]
            ),
            Value(0),
            output_field=IntegerField(),
        )

    row = (
        Thread.objects.filter(pk=thread.pk)
        .annotate(
            last_id=Coalesce(
                Subquery(
                    Message.objects.filter(thread=OuterRef("pk")).order_by("-id").values("id")[:1]
                ),
                Value(0),
                output_field=IntegerField(),
            ),
            other_read=read_of(other),
            own_read=read_of(actor.pk),
        )
        .values_list("last_id", "other_read", "own_read")
        .first()
    )
    return row or (0, 0, 0)


def thread_state(*, thread: Thread, actor: User) -> tuple[int, int]:
    """(last message id, how far the other party has read): what a poll's ETag names. One query."""
    last_id, other_read, _own = thread_marks(thread=thread, actor=actor)
    return last_id, other_read


def _unread_messages(user) -> QuerySet[Message]:
    """Messages from others ``user`` has not read, over the threads it is a member of,
    leaving out the threads of merchants it muted. ``user`` is a pk or ``OuterRef``."""
    inner = OuterRef(user) if isinstance(user, OuterRef) else user
    read_upto = Coalesce(
        Subquery(
            ThreadRead.objects.filter(thread=OuterRef("thread_id"), user_id=inner).values(
                "last_read_id"
            )[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )
    muted = Restriction.objects.filter(creator_id=inner, kind=RestrictionKind.MUTE).values(
        "merchant_id"
    )
    return (
        Message.objects.filter(
            Q(thread__merchant_id=user) | Q(thread__agency_id=user) | Q(thread__creator_id=user)
        )
        .exclude(sender_id=user)
        .exclude(thread__merchant_id__in=muted)
        .alias(read_upto=read_upto)
        .filter(id__gt=F("read_upto"))
    )


def unread_total(*, actor: User) -> int:
    """Messages from others the actor has not read, over all its threads (members only: an
    agency counts its binding threads, not the task threads it reads). One query."""
    return _unread_messages(actor.pk).count()


def unread_count_expr():
    """:func:`unread_total` of the ``User`` row at ``OuterRef("pk")``, as one SQL expression
    (the 待办事项 board annotates it onto its per-role statement)."""
    from hotwave.todos import count_of

    return count_of(_unread_messages(OuterRef("pk")))


def unread_by_user() -> dict[int, int]:
    """Every member's unread messages, ``{user_id: n}`` for those with any. One query:
    each message counts for the member that did not send it."""
    recipient = Case(
        When(
            sender_id=F("thread__creator_id"),
            then=Coalesce(F("thread__merchant_id"), F("thread__agency_id")),
        ),
        default=F("thread__creator_id"),
    )
    read_upto = Coalesce(
        Subquery(
            ThreadRead.objects.filter(
                thread=OuterRef("thread_id"), user_id=OuterRef("recipient")
            ).values("last_read_id")[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )
    muted = Exists(
        Restriction.objects.filter(
            creator_id=OuterRef("thread__creator_id"),
            merchant_id=OuterRef("thread__merchant_id"),
            kind=RestrictionKind.MUTE,
        )
    )
    rows = (
        Message.objects.annotate(recipient=recipient)
        .alias(read_upto=read_upto, muted=muted)
        .filter(id__gt=F("read_upto"))
        .exclude(muted=True, recipient=F("thread__creator_id"))
        .order_by()
        .values_list("recipient")
        .annotate(n=Count("pk"))
    )
    return {user_id: n for user_id, n in rows if n}


def task_unread(*, actor: User, task_ids) -> dict[int, int]:
    """Unread messages of the actor in the threads of these tasks, ``{task_id: n}``. One
    aggregate query for a whole page of the task list."""
    if actor.role == Role.AGENCY:
        return {}
    rows = (
        _unread_messages(actor.pk)
        .filter(thread__task_id__in=list(task_ids))
        .order_by()
        .values_list("thread__task_id")
        .annotate(n=Count("pk"))
    )
    return {task_id: n for task_id, n in rows if n}


@dataclass
class ThreadStanding:
    """What the thread page shows about mutes, blocks and reports, for one member."""

    muted: bool
    blocked: bool
    blocked_by_operator: bool
    open_report: Report | None
    warned: bool  # an operator warned this member after a report on this thread


def thread_standing(*, thread: Thread, actor: User) -> ThreadStanding:
    """Two queries: the pair's restrictions and the thread's decided/open reports."""
    kinds = dict(
        Restriction.objects.filter(
            creator_id=thread.creator_id, merchant_id=thread.merchant_id
        ).values_list("kind", "report_id")
    )
    reports = list(
        Report.objects.filter(thread=thread)
        .filter(Q(reporter_id=actor.pk, status=ReportStatus.OPEN) | Q(status=ReportStatus.WARNED))
        .exclude(status=ReportStatus.WARNED, reporter_id=actor.pk)
    )
    return ThreadStanding(
        muted=RestrictionKind.MUTE in kinds,
        blocked=RestrictionKind.BLOCK in kinds,
        blocked_by_operator=kinds.get(RestrictionKind.BLOCK) is not None,
        open_report=next((r for r in reports if r.status == ReportStatus.OPEN), None),
        warned=any(r.status == ReportStatus.WARNED for r in reports),
    )


def restrictions_for(*, actor: User) -> QuerySet[Restriction]:
    """The creator's muted and blocked merchants, newest first, with the shop name."""
    return (
        Restriction.objects.filter(creator_id=actor.pk)
        .select_related("merchant__merchant")
        .order_by("-created_at", "-pk")
    )


def message_image(*, thread: Thread, pk: int) -> Message:
    """A message of ``thread`` that carries a picture; anything else is a 404."""
    message = Message.objects.filter(thread=thread, pk=pk).exclude(image="").first()
    if message is None:
        raise Http404
    return message
