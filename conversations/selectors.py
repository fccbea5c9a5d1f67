"""Reads of 消息, scoped by who is asking: someone else's thread is a 404.

A thread is read by its merchant and its creator; a task thread also by the
agency the creator is bound to now (settlement's "binding in force"), which
reads and never writes.
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


def _muted_merchants(actor: User):
    return Restriction.objects.filter(creator_id=actor.pk, kind=RestrictionKind.MUTE).values(
        "merchant_id"
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
        .select_related("merchant__merchant", "creator__creator")
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
        .exclude(thread__merchant_id__in=_muted_merchants(actor))
        .alias(read_upto=read_upto)
        .filter(id__gt=F("read_upto"))
        .count()
    )


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
