"""申样 writes: the merchant sets a product's sample quota; creators ask; the merchant answers.

An approved request becomes a cooperation task through the task engine
(``services.tasks``): created as the merchant's invitation with 纯佣 (no slot
fee, nothing in escrow) and accepted at once as the creator's — so it starts in
待寄样 with the usual deadlines. The last sample of a quota goes to one request
only: approvals lock the product's quota row and count again under the lock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.guard import require_admitted
from admission.models import Creator, Merchant
from cooperation import notices
from cooperation.models import (
    Product,
    ProductStatus,
    SampleQuota,
    SampleRequest,
    SampleStatus,
    SlotFeeMode,
)
from cooperation.models.plans import MAX_LEVEL
from cooperation.selectors.plans import best_rate_for
from cooperation.selectors.samples import approved_count, sample_eligibility
from cooperation.services.plans import check_min_fulfilment
from cooperation.services.tasks import task_accept, task_create
from hotwave import todos
from hotwave.exceptions import DomainError

REASON_MAX = 200


@transaction.atomic
def sample_quota_set(
    *,
    merchant: Merchant,
    product: Product,
    quota: int,
    min_level: int = 0,
    min_fans: int = 0,
    min_fulfilment: Decimal = Decimal(0),
) -> SampleQuota:
    """Offer ``quota`` free samples of the product (0 stops offering). Raises DomainError."""
    if product.merchant_id != merchant.pk:
        raise DomainError(_("只能为自己的商品设置样品名额。"), code="sample.not_owner")
    if not isinstance(quota, int) or quota < 0:
        raise DomainError(_("样品名额须是不小于 0 的整数。"), code="sample.bad_quota")
    if not isinstance(min_level, int) or not 0 <= min_level <= MAX_LEVEL:
        raise DomainError(_("最低等级须是 V0 到 V6。"), code="sample.bad_threshold")
    if not isinstance(min_fans, int) or min_fans < 0:
        raise DomainError(_("最低粉丝数须是不小于 0 的整数。"), code="sample.bad_threshold")
    check_min_fulfilment(min_fulfilment, code="sample.bad_threshold")
    row, _created = SampleQuota.objects.update_or_create(
        product=product,
        defaults={
            "quota": quota,
            "min_level": min_level,
            "min_fans": min_fans,
            "min_fulfilment": min_fulfilment,
        },
    )
    return row


@transaction.atomic
def sample_request_create(
    *, creator: Creator, product: Product, planned_live_date: date, note: str = ""
) -> SampleRequest:
    """A creator asks for a free sample. Raises NotAdmitted or DomainError (not offered,
    quota used up, below the thresholds — each as a reason —, a request waiting, a past date)."""
    require_admitted(creator.user, action="plan_apply")
    if product.status != ProductStatus.ACTIVE:
        raise DomainError(_("商品已下架，不能申样。"), code="sample.archived")
    if planned_live_date < timezone.localdate():
        raise DomainError(_("计划直播日期不能早于今天。"), code="sample.past_date")
    verdict = sample_eligibility(product=product, creator=creator)
    if not verdict.offered:
        raise DomainError(_("这个商品不提供免费样品。"), code="sample.not_offered")
    if verdict.pending is not None:
        raise DomainError(_("你已申请过这个商品的样品，请等待商家处理。"), code="sample.pending")
    if verdict.reasons:
        raise DomainError(_("暂不能申样。"), reasons=verdict.reasons, code="sample.refused")
    try:
        with transaction.atomic():
            request = SampleRequest.objects.create(
                product=product,
                creator=creator,
                planned_live_date=planned_live_date,
                note=note.strip()[:REASON_MAX],
                requested_at=timezone.now(),
            )
    except IntegrityError as exc:  # two clicks at once: the partial unique index keeps one
        raise DomainError(
            _("你已申请过这个商品的样品，请等待商家处理。"), code="sample.pending"
        ) from exc
    todos.changed([product.merchant_id])
    return request


@transaction.atomic
def sample_decide(
    *,
    request: SampleRequest,
    approve: bool,
    reason: str = "",
    now: datetime | None = None,
) -> SampleRequest:
    """Approve (a 纯佣 task in 待寄样) or decline (with a reason) a waiting request.

    Raises DomainError (answered already, no sample left, decline without a reason)
    and the task engine's refusals (e.g. an invitation already open to this creator).
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError(_("拒绝时请写明理由。"), code="sample.reason_required")
    if len(reason) > REASON_MAX:
        raise DomainError(_("理由最多 200 字。"), code="sample.reason_too_long")
    product = request.product
    # The quota row is the lock every approval of this product takes: two approvals of
    # the last sample run one after the other, and the second counts the first.
    quota = SampleQuota.objects.select_for_update().filter(product=product).first()
    locked = (
        SampleRequest.objects.select_for_update().select_related("creator__user").get(pk=request.pk)
    )
    if locked.status != SampleStatus.PENDING:
        raise DomainError(_("这条申样已经处理过了。"), code="sample.decided")
    if approve:
        if quota is None or approved_count(product) >= quota.quota:
            raise DomainError(_("样品名额已发完，不能再通过。"), code="sample.quota_full")
        merchant_user = product.merchant.user
        # The task carries the rate the creator sees on the product: its best plan.
        rate = best_rate_for(creator=locked.creator, product=product, at=now)
        task = task_create(
            actor=merchant_user,
            creator=locked.creator,
            products=[product],
            slot_fee=Decimal("0.00"),
            mode=SlotFeeMode.COMMISSION,
            planned_live_date=locked.planned_live_date,
            note=_("申样：%(note)s") % {"note": locked.note} if locked.note else _("申样"),
            rates={product.pk: rate},
        )
        task_accept(task=task, actor=locked.creator.user)
        locked.task = task
        locked.status = SampleStatus.APPROVED
    else:
        locked.status = SampleStatus.DECLINED
        locked.reason = reason
    locked.decided_at = now
    locked.save(update_fields=["status", "reason", "decided_at", "task"])
    notices.sample_request_answered(locked)
    todos.changed([locked.creator_id, product.merchant_id])
    return locked
