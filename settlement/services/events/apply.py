"""Applying events: one chunk of order events per transaction, binding events one at a time.

``apply_order_events`` decides and writes a chunk in one transaction
(``decide``, ``write``). If a concurrent writer got in first (a unique key
collides) or the database refuses a line's content, the chunk is rolled back
and replayed in halves, in order, down to one event per transaction, which
then sees the other writer's rows or isolates the bad line; a deadlock with
a concurrent writer is retried. Binding events are rare and go through the
binding services one at a time (``apply_binding_event``).
"""

from __future__ import annotations

from django.db import DataError, IntegrityError, OperationalError, transaction
from django.utils.translation import gettext as _

from admission.models import Agency, Creator
from hotwave.exceptions import DomainError
from settlement.models import EventType, OrderEvent
from settlement.services import bindings as binding_services
from settlement.services.events.decide import ChunkDecision, KnownParties
from settlement.services.events.parse import (
    ACCEPTED,
    DUPLICATE,
    REJECTED,
    Outcome,
    Parsed,
    Reject,
)
from settlement.services.events.write import write_chunk

# A chunk chosen as a deadlock's victim is tried this many times in all.
DEADLOCK_ATTEMPTS = 4


def apply_chunk(
    events: list[Parsed], *, source: str, parties: KnownParties | None = None
) -> list[Outcome]:
    """Decide and write ``events`` in one transaction; one Outcome per event."""
    with transaction.atomic():
        decision = ChunkDecision(events, parties=parties)
        outcomes = decision.decide()
        write_chunk(decision, source=source)
    return outcomes


def apply_order_events(
    events: list[Parsed], *, source: str, attempt: int = 1, parties: KnownParties | None = None
) -> list[Outcome]:
    """``apply_chunk``, replayed in halves on a collision or refused content (see above)."""
    try:
        return apply_chunk(events, source=source, parties=parties)
    except OperationalError as exc:
        # A deadlock with a concurrent writer (Postgres picked us as the victim): retry.
        if (
            getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "40P01"
            and attempt < DEADLOCK_ATTEMPTS
        ):
            return apply_order_events(events, source=source, attempt=attempt + 1, parties=parties)
        raise
    except DataError:
        # Content the database refuses (e.g. a NUL character in JSON): find the line(s).
        if len(events) == 1:
            p = events[0]
            return [
                Outcome(p.line, REJECTED, p.type, _("内容无法存储（含非法字符）"), "bad_content")
            ]
    except IntegrityError:
        if len(events) == 1:
            # A concurrent writer stored this event or order first: decide again on its rows.
            return apply_chunk(events, source=source)
    # Replay in two halves, in order (each decides on what the one before stored), down
    # to single events: the same decisions as one event per transaction, in far fewer
    # transactions when one line of a large chunk is the culprit.
    half = len(events) // 2
    return apply_order_events(events[:half], source=source) + apply_order_events(
        events[half:], source=source
    )


# --- Binding events ---------------------------------------------------------------


def _event_row(p: Parsed, *, source: str, order=None, binding=None) -> OrderEvent:
    """The stored form of an applied event."""
    return OrderEvent(
        key=p.key,
        type=p.type,
        order=order,
        binding=binding,
        amount=p.amount,
        occurred_at=p.at,
        payload=p.payload,
        source=source,
    )


def _binding_event_stored(p: Parsed) -> bool:
    """Whether a binding event with ``p``'s key is stored (keys without an order are unique)."""
    return OrderEvent.objects.filter(key=p.key, order__isnull=True).exists()


def apply_binding_event(p: Parsed, *, source: str) -> Outcome:
    """Start or end a binding from an imported event, in its own transaction; its Outcome."""
    try:
        with transaction.atomic():
            if _binding_event_stored(p):
                return Outcome(p.line, DUPLICATE, p.type)
            creator = Creator.objects.filter(user__username=p.creator).first()
            if creator is None:
                raise Reject(_("未知的达人：%(u)s") % {"u": p.creator}, "unknown_party")
            # Look again once we hold the creator's lock: a concurrent import of the same
            # event may have committed it while we waited (a duplicate, not a contradiction).
            binding_services.lock_creator(creator.pk)
            if _binding_event_stored(p):
                return Outcome(p.line, DUPLICATE, p.type)
            agency = Agency.objects.filter(user__username=p.agency).first()
            if agency is None:
                raise Reject(_("未知的机构：%(u)s") % {"u": p.agency}, "unknown_party")
            try:
                if p.type == EventType.BINDING_STARTED:
                    binding = binding_services.binding_start_imported(
                        creator=creator, agency=agency, agency_share=p.share, at=p.at
                    )
                else:
                    binding = binding_services.binding_end_imported(
                        creator=creator, agency=agency, at=p.at
                    )
            except DomainError as exc:
                raise Reject(str(exc.message), "contradiction") from None
            _event_row(p, source=source, binding=binding).save()
    except Reject as r:
        return Outcome(p.line, REJECTED, p.type, r.reason, r.code)
    except IntegrityError:
        if _binding_event_stored(p):
            return Outcome(p.line, DUPLICATE, p.type)
        return Outcome(
            p.line, REJECTED, p.type, _("与已存储的绑定矛盾（时间重叠）"), "contradiction"
        )
    return Outcome(p.line, ACCEPTED, p.type)
