"""机构绑定 reads: bindings as their parties see them.

A creator sees the agreements it is party to, an agency those it offered;
nobody else sees any (``Http404``, never a 403). Every list selector returns a
queryset with its relations already joined (a fixed number of queries per page).

For the neighbours (cooperation's plaza and hot products, the workbench):
:func:`in_force_q` is the one definition of "the binding in force at t"
(``[valid_from, valid_to)``, as ``Binding.covers`` tests one row in Python);
:func:`bindings_in_force`, :func:`binding_in_force`, :func:`pending_invitations`
and the agency's counts are built on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Creator, Role
from hotwave.exceptions import DomainError
from settlement.commission import Split, split
from settlement.models import Binding, BindingStatus

BINDING_ROLES = (Role.CREATOR, Role.AGENCY)
HISTORY_STATUSES = (BindingStatus.DECLINED, BindingStatus.WITHDRAWN, BindingStatus.ENDED)
BINDING_TABS = ("invited", "active", "history")


def in_force_q(at: datetime) -> Q:
    """Bindings in force at ``at``: started at or before it, not ended by it.

    The rule of an order follows the binding in force when it was paid (SPEC §4);
    an invitation (no ``valid_from``) is never in force.
    """
    return Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))


def bindings_in_force(at: datetime | None = None) -> QuerySet[Binding]:
    """Every binding in force at ``at`` (default now): filter it by creator or agency,
    or correlate it with ``OuterRef`` inside a subquery."""
    return Binding.objects.filter(in_force_q(at or timezone.now()))


def binding_in_force(creator, at: datetime | None = None) -> Binding | None:
    """The Binding covering ``at`` (default now) for ``creator`` (profile or pk), with its
    agency, or None (one query)."""
    creator_id = getattr(creator, "pk", creator)
    return (
        bindings_in_force(at)
        .select_related("agency", "agency__user")
        .filter(creator_id=creator_id)
        .first()
    )


def pending_invitations(*, agency_id: int) -> QuerySet[Binding]:
    """The agency's invitations still waiting for the creator's answer."""
    return Binding.objects.filter(agency_id=agency_id, status=BindingStatus.INVITED)


def bound_creator_count(*, agency_id: int) -> int:
    """How many creators are bound to the agency now (one query)."""
    return Binding.objects.filter(agency_id=agency_id, status=BindingStatus.ACTIVE).count()


def agency_binding_marks(*, agency_id: int) -> dict[str, int]:
    """How many invitations the agency sent and how many creators consented (one query)."""
    return Binding.objects.filter(agency_id=agency_id).aggregate(
        invited=Count("pk"), consented=Count("pk", filter=Q(consented_at__isnull=False))
    )


def _require_binding_role(actor) -> None:
    if getattr(actor, "role", None) not in BINDING_ROLES:
        raise Http404("no bindings for this role")


def bindings_for(*, actor, status: str = "") -> QuerySet[Binding]:
    """The actor's own agreements and invitations (creator or agency), newest first.

    ``status``: "invited", "active", "history" (declined, withdrawn, ended) or "" for all.
    Raises Http404 for any other role.
    """
    _require_binding_role(actor)
    qs = Binding.objects.select_related(
        "creator", "creator__user", "agency", "agency__user", "ended_by"
    )
    if actor.role == Role.CREATOR:
        qs = qs.filter(creator_id=actor.pk)
    else:
        qs = qs.filter(agency_id=actor.pk)
    if status == "invited":
        qs = qs.filter(status=BindingStatus.INVITED)
    elif status == "active":
        qs = qs.filter(status=BindingStatus.ACTIVE)
    elif status == "history":
        qs = qs.filter(status__in=HISTORY_STATUSES)
    if status == "history":
        return qs.order_by("-responded_at", "-valid_to", "-created_at", "-id")
    return qs.order_by("-created_at", "-id")


def binding_for(*, actor, pk: int) -> Binding:
    """One agreement or invitation the actor is party to. Raises Http404 otherwise."""
    try:
        return bindings_for(actor=actor).get(pk=pk)
    except Binding.DoesNotExist as exc:
        raise Http404("no such binding") from exc


def binding_tab_counts(*, actor) -> dict[str, int]:
    """How many of the actor's bindings are in each tab (one query)."""
    _require_binding_role(actor)
    owner = Q(creator_id=actor.pk) if actor.role == Role.CREATOR else Q(agency_id=actor.pk)
    row = Binding.objects.filter(owner).aggregate(
        all=Count("id"),
        invited=Count("id", filter=Q(status=BindingStatus.INVITED)),
        active=Count("id", filter=Q(status=BindingStatus.ACTIVE)),
        history=Count("id", filter=Q(status__in=HISTORY_STATUSES)),
    )
    return {k: v or 0 for k, v in row.items()}


def active_binding_of(*, creator_id: int) -> Binding | None:
    """The creator's agreement in force now (status active), with its agency."""
    return (
        Binding.objects.select_related("agency", "agency__user")
        .filter(creator_id=creator_id, status=BindingStatus.ACTIVE)
        .first()
    )


def creator_search(*, actor, q: str, limit: int = 10) -> list[Creator]:
    """Creators an agency may invite, matched by username or nickname (one query).

    Each creator carries ``current_agency_name`` (None when individual) and
    ``pending_here`` (an invitation from this agency awaits its answer).
    """
    if actor.role != Role.AGENCY:
        raise Http404("only agencies search creators to invite")
    q = (q or "").strip()
    if not q:
        return []
    active = Binding.objects.filter(creator_id=OuterRef("pk"), status=BindingStatus.ACTIVE)
    pending = pending_invitations(agency_id=actor.pk).filter(creator_id=OuterRef("pk"))
    return list(
        Creator.objects.select_related("user")
        .filter(user__role=Role.CREATOR, user__is_active=True)
        .filter(Q(user__username__iexact=q) | Q(nickname__icontains=q))
        .annotate(
            current_agency_name=Subquery(active.values("agency__name")[:1]),
            current_agency_id=Subquery(active.values("agency_id")[:1]),
            pending_here=Exists(pending),
        )
        .order_by("-avg_viewers", "user_id")[:limit]
    )


def resolve_creator(text: str) -> Creator:
    """The creator named by exact username, else by exact nickname. Raises DomainError."""
    text = (text or "").strip()
    base = Creator.objects.select_related("user").filter(
        user__role=Role.CREATOR, user__is_active=True
    )
    found = base.filter(user__username=text).first()
    if found is not None:
        return found
    by_nick = list(base.filter(nickname=text)[:5])
    if len(by_nick) == 1:
        return by_nick[0]
    if len(by_nick) > 1:
        names = "、".join(c.user.username for c in by_nick)
        raise DomainError(
            _("有多位达人使用昵称「%(nick)s」，请改填用户名（%(names)s）。")
            % {"nick": text, "names": names},
            code="binding.creator_ambiguous",
        )
    raise DomainError(
        _("没有找到用户名或昵称为「%(text)s」的达人，请先搜索再选择。") % {"text": text},
        code="binding.creator_unknown",
    )


EXAMPLE_PRICE = Decimal("100.00")
EXAMPLE_RATE = Decimal("0.20")


@dataclass(frozen=True)
class SharePreview:
    """What one example order would pay under each rule (for the consent page)."""

    price: Decimal
    rate: Decimal
    proposed: Split
    individual: Split
    current: Split | None  # the creator's current agreement, for a share change
    current_share: Decimal | None
    rows: list = field(default_factory=list)


def share_preview(
    *,
    agency_share: Decimal,
    current_share: Decimal | None = None,
    price: Decimal = EXAMPLE_PRICE,
    rate: Decimal = EXAMPLE_RATE,
) -> SharePreview:
    """The split of an example order under the proposed share, the individual rule and
    (for a share change) the share currently in force. Pure: no queries."""
    proposed = split(price, rate, agency_share=agency_share)
    individual = split(price, rate, agency_share=None)
    current = split(price, rate, agency_share=current_share) if current_share is not None else None
    return SharePreview(
        price=price,
        rate=rate,
        proposed=proposed,
        individual=individual,
        current=current,
        current_share=current_share,
    )
