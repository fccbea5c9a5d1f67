"""Agency bindings (机构绑定): invitations, consent, ending — from the browser and from events.

One :class:`~settlement.models.Binding` row is one agreement: an invitation
(``invited``) becomes an agreement (``active``) only when the creator consents;
either side ends it (``ended``, with ``valid_to``). A new share is a new row.
A creator's agreements never overlap: accepting while bound ends the current
agreement at the same instant ([start, end) intervals touch, never overlap).

Every change locks the creator's profile row first, so two changes for one
creator are serialised; the database constraints (exclusion / triggers) are
the guarantee.

Orders freeze the binding in force at payment. A change that would move an
already-frozen order's rule (an imported start or end dated before orders
already paid) is refused as a contradiction.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Agency, Creator
from hotwave import todos
from hotwave.exceptions import DomainError
from settlement.commission import binding_in_force
from settlement.models import Binding, BindingSource, BindingStatus, Order

__all__ = [
    "binding_accept",
    "binding_decline",
    "binding_end",
    "binding_end_imported",
    "binding_in_force",
    "binding_invite",
    "binding_start_imported",
    "binding_withdraw",
]


class BindingError(DomainError):
    code = "binding.invalid"


def lock_creator(creator_id: int) -> None:
    """Serialise every binding change of one creator (row lock on its profile)."""
    list(Creator.objects.select_for_update().filter(pk=creator_id).values_list("pk", flat=True))


def _check_share(share: Decimal) -> None:
    if not isinstance(share, Decimal) or not Decimal("0") <= share <= Decimal("1"):
        raise BindingError(_("机构分成比例须在 0% 到 100% 之间。"), code="binding.share_range")
    if share != share.quantize(Decimal("0.0001")):
        raise BindingError(_("机构分成比例最多精确到 0.01%。"), code="binding.share_precision")


def _orders_frozen_since(creator_id: int, at: datetime) -> bool:
    return Order.objects.filter(creator_id=creator_id, paid_at__gte=at).exists()


def _end(binding: Binding, *, at: datetime, actor=None) -> Binding:
    if binding.valid_from is None or binding.valid_to is not None:
        raise BindingError(_("该绑定当前未生效，无法解除。"), code="binding.not_active")
    if at <= binding.valid_from:
        raise BindingError(_("解除时间须晚于绑定生效时间。"), code="binding.end_before_start")
    if Order.objects.filter(
        creator_id=binding.creator_id, binding=binding, paid_at__gte=at
    ).exists():
        raise BindingError(
            _("该时间之后已有按此绑定冻结分成规则的订单，不能把结束时间提前。"),
            code="binding.orders_frozen",
        )
    binding.valid_to = at
    binding.status = BindingStatus.ENDED
    binding.ended_by = actor
    binding.save(update_fields=["valid_to", "status", "ended_by"])
    return binding


def _start(binding: Binding, *, at: datetime) -> Binding:
    current = binding_in_force(binding.creator_id, at)
    later = Binding.objects.filter(
        creator_id=binding.creator_id, valid_from__isnull=False, valid_from__gt=at
    ).exists()
    if later:
        raise BindingError(
            _("该达人在此时间之后已有绑定记录，不能在其之前开始新的绑定。"),
            code="binding.overlap",
        )
    if _orders_frozen_since(binding.creator_id, at):
        raise BindingError(
            _("该达人在此时间之后已有订单按原规则冻结分成，不能追溯开始绑定。"),
            code="binding.orders_frozen",
        )
    if current is not None:
        raise BindingError(
            _("该达人此时已绑定机构「%(agency)s」，须先解除。") % {"agency": current.agency},
            code="binding.overlap",
        )
    binding.valid_from = at
    binding.status = BindingStatus.ACTIVE
    try:
        with transaction.atomic():
            binding.save()
    except IntegrityError as exc:
        raise BindingError(_("该达人同一时间只能绑定一个机构。"), code="binding.overlap") from exc
    return binding


@transaction.atomic
def binding_invite(
    *,
    agency: Agency,
    creator: Creator,
    agency_share: Decimal,
    actor,
    message: str = "",
    at: datetime | None = None,
) -> Binding:
    """The agency proposes a binding with ``agency_share``. Raises BindingError."""
    if actor.pk != agency.pk:
        raise BindingError(_("只有机构本人可以发出绑定邀请。"), code="binding.not_agency")
    _check_share(agency_share)
    lock_creator(creator.pk)
    at = at or timezone.now()
    current = binding_in_force(creator.pk, at)
    if current and current.agency_id == agency.pk and current.agency_share == agency_share:
        raise BindingError(_("该达人已按此分成比例与贵机构绑定。"), code="binding.already_bound")
    if Binding.objects.filter(
        creator=creator, agency=agency, status=BindingStatus.INVITED
    ).exists():
        raise BindingError(
            _("已有一份待该达人确认的邀请，请等待答复或先撤回。"), code="binding.pending"
        )
    binding = Binding.objects.create(
        creator=creator,
        agency=agency,
        agency_share=agency_share,
        status=BindingStatus.INVITED,
        source=BindingSource.INVITATION,
        message=message.strip(),
        invited_at=at,
        invited_by=actor,
    )
    todos.changed([creator.pk, agency.pk])
    return binding


def _pending(binding: Binding) -> Binding:
    binding = Binding.objects.select_for_update().get(pk=binding.pk)
    if binding.status != BindingStatus.INVITED:
        raise BindingError(_("该邀请已处理，无法再次操作。"), code="binding.not_pending")
    return binding


@transaction.atomic
def binding_accept(*, binding: Binding, actor, at: datetime | None = None) -> Binding:
    """The creator consents: the agreement starts now, ending any current one. Raises BindingError."""
    if actor.pk != binding.creator_id:
        raise BindingError(_("只有被邀请的达人可以同意绑定。"), code="binding.not_creator")
    lock_creator(binding.creator_id)
    binding = _pending(binding)
    at = at or timezone.now()
    current = binding_in_force(binding.creator_id, at)
    if current is not None:
        _end(current, at=at, actor=actor)
    binding.consented_at = at
    binding.responded_at = at
    _start(binding, at=at)
    todos.changed([binding.creator_id, binding.agency_id])
    return binding


@transaction.atomic
def binding_decline(*, binding: Binding, actor, at: datetime | None = None) -> Binding:
    """The creator declines an invitation. Raises BindingError."""
    if actor.pk != binding.creator_id:
        raise BindingError(_("只有被邀请的达人可以拒绝绑定。"), code="binding.not_creator")
    binding = _pending(binding)
    binding.status = BindingStatus.DECLINED
    binding.responded_at = at or timezone.now()
    binding.save(update_fields=["status", "responded_at"])
    todos.changed([binding.creator_id, binding.agency_id])
    return binding


@transaction.atomic
def binding_withdraw(*, binding: Binding, actor, at: datetime | None = None) -> Binding:
    """The agency withdraws an unanswered invitation. Raises BindingError."""
    if actor.pk != binding.agency_id:
        raise BindingError(_("只有发出邀请的机构可以撤回。"), code="binding.not_agency")
    binding = _pending(binding)
    binding.status = BindingStatus.WITHDRAWN
    binding.responded_at = at or timezone.now()
    binding.save(update_fields=["status", "responded_at"])
    todos.changed([binding.creator_id, binding.agency_id])
    return binding


@transaction.atomic
def binding_end(*, binding: Binding, actor, at: datetime | None = None) -> Binding:
    """Either side ends an agreement in force, from now on. Raises BindingError."""
    if actor.pk not in (binding.creator_id, binding.agency_id):
        raise BindingError(_("只有绑定双方可以解除绑定。"), code="binding.not_party")
    lock_creator(binding.creator_id)
    binding = Binding.objects.select_for_update().get(pk=binding.pk)
    _end(binding, at=at or timezone.now(), actor=actor)
    todos.changed([binding.creator_id, binding.agency_id])
    return binding


@transaction.atomic
def binding_start_imported(
    *, creator: Creator, agency: Agency, agency_share: Decimal, at: datetime
) -> Binding:
    """``binding.started`` from the agency back office: an agreement already consented there."""
    _check_share(agency_share)
    lock_creator(creator.pk)
    binding = Binding(
        creator=creator,
        agency=agency,
        agency_share=agency_share,
        source=BindingSource.IMPORT,
        consented_at=at,
    )
    return _start(binding, at=at)


@transaction.atomic
def binding_end_imported(*, creator: Creator, agency: Agency, at: datetime) -> Binding:
    """``binding.ended`` from the agency back office. Raises BindingError if none is in force."""
    lock_creator(creator.pk)
    binding = (
        Binding.objects.select_for_update()
        .filter(creator=creator, agency=agency, valid_from__isnull=False, valid_to__isnull=True)
        .first()
    )
    if binding is None:
        raise BindingError(_("该达人与该机构之间没有生效中的绑定。"), code="binding.none_in_force")
    return _end(binding, at=at)


def bindings_overlapping(creator_id: int, start: datetime, end: datetime | None):
    """Agreements of a creator overlapping [start, end) (for checks and admin)."""
    qs = Binding.objects.filter(creator_id=creator_id, valid_from__isnull=False).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=start)
    )
    if end is not None:
        qs = qs.filter(valid_from__lt=end)
    return qs
