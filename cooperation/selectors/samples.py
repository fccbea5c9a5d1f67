"""申样 reads: a product's quota and requests (merchant), and whether a creator may ask."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from admission.models import Creator, User
from cooperation.models import Product, SampleQuota, SampleRequest, SampleStatus
from cooperation.selectors.access import merchant_of
from cooperation.selectors.plans import fulfilment_shortfall
from hotwave.templatetags.hw import count as fmt_count


@dataclass
class SampleEligibility:
    """Whether a creator may request a sample of a product now, and why not."""

    offered: bool
    quota: int = 0
    remaining: int = 0
    pending: SampleRequest | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def may_request(self) -> bool:
        return self.offered and not self.reasons and self.pending is None


def approved_count(product: Product) -> int:
    return SampleRequest.objects.filter(product=product, status=SampleStatus.APPROVED).count()


def sample_eligibility(*, product: Product, creator: Creator) -> SampleEligibility:
    """Quota left and thresholds met: what the creator is told before asking (3 queries)."""
    quota = SampleQuota.objects.filter(product=product).first()
    if quota is None or quota.quota == 0:
        return SampleEligibility(offered=False)
    remaining = max(0, quota.quota - approved_count(product))
    pending = SampleRequest.objects.filter(
        product=product, creator=creator, status=SampleStatus.PENDING
    ).first()
    reasons = []
    if remaining == 0:
        reasons.append(_("样品名额已发完。"))
    if creator.level < quota.min_level:
        reasons.append(
            _("申样需要主播等级 V%(need)s 及以上，你目前是 V%(have)s。")
            % {"need": quota.min_level, "have": creator.level}
        )
    if creator.fans < quota.min_fans:
        reasons.append(
            _("申样需要粉丝数 %(need)s 及以上，你目前有 %(have)s。")
            % {"need": fmt_count(quota.min_fans), "have": fmt_count(creator.fans)}
        )
    reason = fulfilment_shortfall(quota.min_fulfilment, creator)
    if reason:
        reasons.append(_("申样：%(reason)s") % {"reason": reason})
    return SampleEligibility(
        offered=True, quota=quota.quota, remaining=remaining, pending=pending, reasons=reasons
    )


def quota_of(product: Product) -> SampleQuota | None:
    return SampleQuota.objects.filter(product=product).first()


def sample_requests_for_product(*, actor: User, product: Product) -> QuerySet[SampleRequest]:
    """Requests for one of the actor's products (fetched scoped), waiting first."""
    merchant = merchant_of(actor)
    return (
        SampleRequest.objects.filter(product=product, product__merchant=merchant)
        .select_related("creator", "task")
        .order_by("status", "requested_at", "pk")
    )


def sample_request_for_merchant(*, actor: User, pk: int) -> SampleRequest:
    """One request for the actor's products; someone else's is a 404."""
    merchant = merchant_of(actor)
    try:
        return SampleRequest.objects.select_related("product", "creator__user").get(
            pk=pk, product__merchant=merchant
        )
    except SampleRequest.DoesNotExist as exc:
        raise Http404 from exc


def sample_counts(product: Product) -> dict[str, int]:
    row = SampleRequest.objects.filter(product=product).aggregate(
        approved=Count("pk", filter=Q(status=SampleStatus.APPROVED)),
        pending=Count("pk", filter=Q(status=SampleStatus.PENDING)),
    )
    return row


def sample_requests_for_merchant(*, actor: User, status: str | None = None):
    """Requests for any of the actor's products, waiting first (404 for non-merchants)."""
    merchant = merchant_of(actor)
    qs = SampleRequest.objects.filter(product__merchant=merchant).select_related(
        "product", "creator", "task"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "requested_at", "pk")
