"""Rating services (评价, issue 17): rate the other side of a completed task, edit, hide a text.

A side rates once per task (a unique constraint keeps it so under a double click
or two requests at once), only after 已完成 and within 14 days of it; it may
change its rating for 24 hours. An operator may hide an abusive text — recorded
with who, when and why, and in the rating's history — never the stars.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import User
from cooperation.models import (
    RATING_EDIT_WINDOW,
    RATING_TEXT_MAX,
    RATING_WINDOW,
    STARS_MAX,
    STARS_MIN,
    Party,
    Rating,
    Task,
    TaskState,
)
from hotwave.exceptions import DomainError

MODERATE_PERMISSION = "cooperation.moderate_rating"


class RatingError(DomainError):
    code = "rating.invalid"


def _clean(stars, text: str) -> tuple[int, str]:
    try:
        value = int(stars)
    except (TypeError, ValueError):
        value = 0
    if not (STARS_MIN <= value <= STARS_MAX) or str(stars).strip() != str(value):
        raise RatingError(_("请选择 1 到 5 星。"), code="rating.bad_stars")
    text = (text or "").strip()
    if len(text) > RATING_TEXT_MAX:
        raise RatingError(
            _("评价内容最多 %(n)s 个字。") % {"n": RATING_TEXT_MAX}, code="rating.too_long"
        )
    return value, text


def rating_window_open(task: Task, now: datetime) -> bool:
    """Whether the task can be rated now: completed, and completed less than 14 days ago."""
    return (
        task.state == TaskState.COMPLETED
        and task.completed_at is not None
        and now < task.completed_at + RATING_WINDOW
    )


@transaction.atomic
def rating_create(
    *, task: Task, actor: User, stars, text: str = "", now: datetime | None = None
) -> Rating:
    """The actor's rating of the other side. Raises RatingError (not a party, not completed,
    window closed, already rated, bad stars or text)."""
    now = now or timezone.now()
    party = task.party_of(actor)
    if party not in (Party.MERCHANT, Party.CREATOR):
        raise RatingError(_("只有合作双方可以评价这个任务。"), code="rating.not_party")
    value, text = _clean(stars, text)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.state != TaskState.COMPLETED:
        raise RatingError(_("合作完成后才能评价。"), code="rating.not_completed")
    if not rating_window_open(task, now):
        raise RatingError(_("评价期已过：完成后 14 天内可以评价。"), code="rating.window_closed")
    if Rating.objects.filter(task=task, rater_party=party).exists():
        raise RatingError(_("你已经评价过这个任务。"), code="rating.already_rated")
    try:
        with transaction.atomic():
            return Rating.objects.create(
                task=task,
                rater_party=party,
                rater=actor,
                merchant_id=task.merchant_id,
                creator_id=task.creator_id,
                stars=value,
                text=text,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:  # the same side, at the same moment, in another request
        raise RatingError(_("你已经评价过这个任务。"), code="rating.already_rated") from exc


@transaction.atomic
def rating_edit(
    *, task: Task, actor: User, stars, text: str = "", now: datetime | None = None
) -> Rating:
    """Change the actor's rating within 24 h of writing it. Raises RatingError."""
    now = now or timezone.now()
    party = task.party_of(actor)
    if party not in (Party.MERCHANT, Party.CREATOR):
        raise RatingError(_("只有合作双方可以评价这个任务。"), code="rating.not_party")
    value, text = _clean(stars, text)
    rating = Rating.objects.select_for_update().filter(task=task, rater_party=party).first()
    if rating is None:
        raise RatingError(_("你还没有评价这个任务。"), code="rating.not_rated")
    if now >= rating.created_at + RATING_EDIT_WINDOW:
        raise RatingError(_("评价提交 24 小时后不能再修改。"), code="rating.edit_closed")
    rating.stars, rating.updated_at = value, now
    if not rating.text_hidden:
        rating.text = text
    rating.save(update_fields=["stars", "text", "updated_at"])
    return rating


@transaction.atomic
def rating_hide_text(*, rating: Rating, actor: User, reason: str) -> Rating:
    """An operator hides an abusive text (stars stay). Raises RatingError (no permission, no reason)."""
    if not (actor.is_active and actor.is_staff and actor.has_perm(MODERATE_PERMISSION)):
        raise RatingError(_("你没有隐藏评价的权限。"), code="rating.forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise RatingError(_("请填写隐藏原因。"), code="rating.no_reason")
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    if rating.text_hidden:
        return rating
    rating.text_hidden = True
    rating.hidden_reason = reason[:200]
    rating.hidden_by = actor
    rating.hidden_at = timezone.now()
    rating._change_reason = reason[:100]  # simple-history: why, beside who and when
    rating.save(update_fields=["text_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    return rating
