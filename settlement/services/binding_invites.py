"""The browser flow of agency binding (机构绑定): invite, consent, decline, withdraw, end,
and a new share as a new agreement.

Policy lives here; the writes (starting and ending agreements, the row locks
and the database guarantees) are the kernel's ``settlement.services.bindings``.

* A creator has at most one agency at a time: an agency cannot invite a
  creator bound to another agency, and a creator bound to one agency cannot
  consent to another's invitation until it ends the current binding. The
  refusal names the agency in force.
* A new share for an agreement in force is a new invitation from the same
  agency; the creator's consent ends the old agreement and starts the new one
  at the same instant.
* Double submits are harmless: sending the same invitation again returns the
  pending one; answering an invitation already answered the same way, or
  ending an agreement already ended, changes nothing and raises nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from admission.guard import require_admitted
from admission.models import Agency, Creator, Role
from admission.selectors import is_admitted
from hotwave.exceptions import DomainError
from settlement import notices
from settlement.models import Binding, BindingStatus
from settlement.services import bindings as kernel


class BindingRefused(DomainError):
    code = "binding.refused"


def _since(binding: Binding) -> str:
    return date_format(localtime(binding.valid_from), "Y-m-d") if binding.valid_from else ""


def _active(creator_id: int) -> Binding | None:
    return (
        Binding.objects.select_related("agency")
        .filter(creator_id=creator_id, status=BindingStatus.ACTIVE)
        .first()
    )


def invitation_send(
    *, actor, creator: Creator, agency_share: Decimal, message: str = ""
) -> tuple[Binding, bool]:
    """An agency invites ``creator`` at ``agency_share`` (or proposes a new share to a
    creator it is bound to). Returns (invitation, created). Raises BindingRefused, or
    NotAdmitted when the agency is not admitted."""
    if actor.role != Role.AGENCY:
        raise BindingRefused(_("只有机构可以发出绑定邀请。"), code="binding.not_agency")
    # Recruiting creators is cooperation: only an admitted agency may (SPEC §2).
    require_admitted(actor, action="bind")
    agency = Agency.objects.get(pk=actor.pk)
    pending = Binding.objects.filter(
        creator=creator, agency=agency, status=BindingStatus.INVITED
    ).first()
    if pending is not None:
        if pending.agency_share == agency_share:
            return pending, False  # the same invitation sent twice
        raise BindingRefused(
            _(
                "你已向「%(creator)s」发出一份分成 %(share)s 的邀请，正在等待对方确认；"
                "如需修改比例，请先撤回该邀请。"
            )
            % {"creator": creator.nickname, "share": f"{pending.agency_share * 100:g}%"},
            code="binding.pending",
        )
    current = _active(creator.pk)
    if current is not None and current.agency_id != agency.pk:
        raise BindingRefused(
            _(
                "「%(creator)s」目前已绑定机构「%(agency)s」（自 %(since)s 起）。"
                "一位达人同一时间只能绑定一个机构，需对方先解除现有绑定后才能邀请。"
            )
            % {
                "creator": creator.nickname,
                "agency": current.agency.name,
                "since": _since(current),
            },
            code="binding.bound_elsewhere",
        )
    if current is not None and current.agency_share == agency_share:
        raise BindingRefused(
            _("「%(creator)s」已按 %(share)s 的分成比例与你绑定，无需重复邀请。")
            % {"creator": creator.nickname, "share": f"{agency_share * 100:g}%"},
            code="binding.already_bound",
        )
    try:
        invitation = kernel.binding_invite(
            agency=agency, creator=creator, agency_share=agency_share, actor=actor, message=message
        )
    except kernel.BindingError as exc:
        raise BindingRefused(exc.message, code=exc.code) from exc
    notices.binding_invited(invitation)
    return invitation, True


def binding_share_propose(*, actor, binding: Binding, agency_share: Decimal) -> Binding:
    """The agency proposes a new share for an agreement in force: a new invitation that the
    creator must accept. Raises BindingRefused."""
    if actor.role != Role.AGENCY or binding.agency_id != actor.pk:
        raise BindingRefused(_("只有绑定的机构可以调整分成比例。"), code="binding.not_agency")
    if binding.status != BindingStatus.ACTIVE:
        raise BindingRefused(
            _("这份绑定已不在生效中，无法调整分成比例。"), code="binding.not_active"
        )
    if binding.agency_share == agency_share:
        raise BindingRefused(
            _("新的分成比例与当前比例相同（%(share)s）。") % {"share": f"{agency_share * 100:g}%"},
            code="binding.same_share",
        )
    invitation, _created = invitation_send(
        actor=actor, creator=binding.creator, agency_share=agency_share
    )
    return invitation


@transaction.atomic
def invitation_accept(*, actor, binding: Binding) -> Binding:
    """The creator consents. Refused while bound to another agency. Accepting an invitation
    already accepted changes nothing. Raises BindingRefused."""
    if actor.role != Role.CREATOR or binding.creator_id != actor.pk:
        raise BindingRefused(_("只有被邀请的达人可以同意绑定。"), code="binding.not_creator")
    # Both sides of a binding cooperate, so both must be admitted now (SPEC §2): the
    # creator consenting, and the agency, which may have lost admission since it invited.
    require_admitted(actor, action="bind")
    if not is_admitted(binding.agency.user):
        raise BindingRefused(
            _("机构「%(agency)s」目前未通过准入，暂不能建立绑定。")
            % {"agency": binding.agency.name},
            code="binding.agency_not_admitted",
        )
    # Same lock order as the kernel (the creator's profile row first), so the check below
    # and the kernel's start happen under one lock: two consents cannot both pass it.
    list(Creator.objects.select_for_update().filter(pk=binding.creator_id).values_list("pk"))
    binding = Binding.objects.select_related("agency").get(pk=binding.pk)
    if binding.status in (BindingStatus.ACTIVE, BindingStatus.ENDED) and binding.consented_at:
        return binding  # already accepted (a double submit)
    if binding.status != BindingStatus.INVITED:
        raise BindingRefused(_status_refusal(binding), code="binding.not_pending")
    current = _active(binding.creator_id)
    if current is not None and current.agency_id != binding.agency_id:
        raise BindingRefused(
            _(
                "你目前已绑定机构「%(agency)s」（自 %(since)s 起）。一位达人同一时间只能绑定一个机构："
                "如需改为绑定「%(new)s」，请先解除与「%(agency)s」的绑定。"
            )
            % {"agency": current.agency.name, "since": _since(current), "new": binding.agency.name},
            code="binding.bound_elsewhere",
        )
    try:
        accepted = kernel.binding_accept(binding=binding, actor=actor)
    except kernel.BindingError as exc:
        raise BindingRefused(exc.message, code=exc.code) from exc
    notices.binding_accepted(accepted)
    return accepted


def _status_refusal(binding: Binding) -> str:
    if binding.status == BindingStatus.WITHDRAWN:
        return _("机构已撤回这份邀请。")
    if binding.status == BindingStatus.DECLINED:
        return _("你已拒绝这份邀请。")
    return _("这份邀请已处理，无法再次操作。")


def invitation_decline(*, actor, binding: Binding) -> Binding:
    """The creator declines. Declining twice changes nothing. Raises BindingRefused."""
    if actor.role != Role.CREATOR or binding.creator_id != actor.pk:
        raise BindingRefused(_("只有被邀请的达人可以拒绝绑定。"), code="binding.not_creator")
    if binding.status == BindingStatus.DECLINED:
        return binding
    if binding.status != BindingStatus.INVITED:
        raise BindingRefused(_status_refusal(binding), code="binding.not_pending")
    try:
        return kernel.binding_decline(binding=binding, actor=actor)
    except kernel.BindingError as exc:
        refreshed = Binding.objects.get(pk=binding.pk)
        if refreshed.status == BindingStatus.DECLINED:
            return refreshed
        raise BindingRefused(exc.message, code=exc.code) from exc


def invitation_withdraw(*, actor, binding: Binding) -> Binding:
    """The agency withdraws an unanswered invitation. Twice changes nothing. Raises
    BindingRefused (e.g. when the creator already answered)."""
    if actor.role != Role.AGENCY or binding.agency_id != actor.pk:
        raise BindingRefused(_("只有发出邀请的机构可以撤回。"), code="binding.not_agency")
    if binding.status == BindingStatus.WITHDRAWN:
        return binding
    if binding.status != BindingStatus.INVITED:
        raise BindingRefused(_("达人已答复这份邀请，无法撤回。"), code="binding.not_pending")
    try:
        return kernel.binding_withdraw(binding=binding, actor=actor)
    except kernel.BindingError as exc:
        refreshed = Binding.objects.get(pk=binding.pk)
        if refreshed.status == BindingStatus.WITHDRAWN:
            return refreshed
        raise BindingRefused(exc.message, code=exc.code) from exc


def binding_terminate(*, actor, binding: Binding) -> Binding:
    """Either side ends an agreement in force, from now on (orders paid before keep their
    rule). Ending one already ended changes nothing. Raises BindingRefused."""
    if actor.pk not in (binding.creator_id, binding.agency_id):
        raise BindingRefused(_("只有绑定双方可以解除绑定。"), code="binding.not_party")
    if binding.status == BindingStatus.ENDED:
        return binding
    if binding.status != BindingStatus.ACTIVE:
        raise BindingRefused(_("这份绑定尚未生效，无法解除。"), code="binding.not_active")
    try:
        ended = kernel.binding_end(binding=binding, actor=actor)
    except kernel.BindingError as exc:
        refreshed = Binding.objects.get(pk=binding.pk)
        if refreshed.status == BindingStatus.ENDED:
            return refreshed
        raise BindingRefused(exc.message, code=exc.code) from exc
    notices.binding_ended(ended, actor=actor)
    return ended
