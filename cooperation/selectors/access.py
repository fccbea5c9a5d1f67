"""Role checks shared by cooperation selectors: a page of another role is a 404."""

from __future__ import annotations

from django.http import Http404

from admission.models import Creator, Merchant, User


def merchant_of(actor: User) -> Merchant:
    """The actor's merchant profile; raises Http404 for any other role."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_merchant:
        raise Http404
    try:
        return actor.merchant
    except Merchant.DoesNotExist as exc:
        raise Http404 from exc


def creator_of(actor: User) -> Creator:
    """The actor's creator profile; raises Http404 for any other role."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_creator:
        raise Http404
    try:
        return actor.creator
    except Creator.DoesNotExist as exc:
        raise Http404 from exc
