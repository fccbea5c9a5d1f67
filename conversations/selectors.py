"""Reads of 消息, scoped by who is asking: someone else's thread is a 404.

A thread is read by its merchant and its creator; a task thread also by the
agency the creator is bound to now (settlement's "binding in force"), which
reads and never writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from admission.models import Role, User
from conversations.models import Message, Thread, ThreadKind, ThreadRead
from settlement.selectors.bindings import bindings_in_force

PAGE = 30  # messages shown at once; older ones a page at a time


def _agency_creators(actor: User):
    return bindings_in_force(timezone.now()).filter(agency_id=actor.pk).values("creator_id")


def _scope(actor: User) -> Q:
    if actor.role == Role.AGENCY:
        return Q(kind=ThreadKind.TASK, creator_id__in=_agency_creators(actor))
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
    """The actor's threads, newest message first, each with ``unread`` and ``last_body``."""
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
        .select_related("merchant__merchant", "creator__creator")
        .annotate(
            read_upto=_read_id(actor),
            last_body=Subquery(last.values("body")[:1]),
            unread=Coalesce(Subquery(unread), Value(0), output_field=IntegerField()),
        )
        .order_by("-last_message_at", "-pk")
    )


def thread_for(*, actor: User, pk: int) -> Thread:
    """One thread the actor may read. Raises Http404 for anyone else's."""
    thread = (
        Thread.objects.filter(_scope(actor), pk=pk)
        .select_related("merchant__merchant", "creator__creator", "task")
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def can_write(thread: Thread, actor: User) -> bool:
    return actor.pk in (thread.merchant_id, thread.creator_id)


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


def thread_state(*, thread: Thread, actor: User) -> tuple[int, int]:
    """(last message id, how far the other party has read): what a poll's ETag names. One query."""
    other = thread.other_of(actor.pk) if can_write(thread, actor) else thread.creator_id
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
            other_read=Coalesce(
                Subquery(
                    ThreadRead.objects.filter(thread=OuterRef("pk"), user_id=other).values(
                        "last_read_id"
                    )[:1]
                ),
                Value(0),
                output_field=IntegerField(),
            ),
        )
        .values_list("last_id", "other_read")
        .first()
    )
    return row or (0, 0)


def unread_total(*, actor: User) -> int:
    """Messages from others the actor has not read, over all its threads (members only). One query."""
    if actor.role == Role.AGENCY:
        return 0
    read_upto = Coalesce(
        Subquery(
            ThreadRead.objects.filter(thread=OuterRef("thread_id"), user_id=actor.pk).values(
                "last_read_id"
            )[:1]
        ),
        Value(0),
        output_field=IntegerField(),
    )
    return (
        Message.objects.filter(Q(thread__merchant_id=actor.pk) | Q(thread__creator_id=actor.pk))
        .exclude(sender_id=actor.pk)
        .alias(read_upto=read_upto)
        .filter(id__gt=F("read_upto"))
        .count()
    )
