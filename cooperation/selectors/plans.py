"""Promotion plan reads (推广计划): the best rate open to a creator, and each side's plans.

The rate a creator sees everywhere (热销商品, 带货车, estimates) is
:func:`with_best_rate`: ONE correlated subquery per product row, so a page of 24
products is one statement whatever the number of plans. Without a plan open to
the creator, the product's own rate applies.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Now
from django.http import Http404

from admission.models import Creator, User
from cooperation.models import (
    ApplicationStatus,
    PlanApplication,
    PlanKind,
    PlanRate,
    Product,
    PromotionPlan,
    product_rate_at,
)
from cooperation.selectors.access import creator_of, merchant_of

RATE_FIELD = DecimalField(max_digits=5, decimal_places=4)


def _moment(at):
    """``at`` as given, or the database's now (so a compiled statement stays valid)."""
    return Now() if at is None else at


def rate_in_force(plan_ref, at=None) -> Subquery:
    """The plan's rate in force at ``at``: its latest PlanRate taking effect by then."""
    return Subquery(
        PlanRate.objects.filter(plan=plan_ref, effective_from__lte=_moment(at))
        .order_by("-effective_from")
        .values("rate")[:1],
        output_field=RATE_FIELD,
    )


def open_to_q(creator_ref, at=None) -> Q:
    """PromotionPlans applying to ``creator_ref`` (an id or OuterRef) at ``at``.

    公开计划 to everyone; 专属 to its creator; 定向计划 to creators whose application
    was approved by then. A plan applies from its creation until ``ended_at``.
    """
    at = _moment(at)
    # An outer reference is one level further out from inside the application subquery
    # (a bare OuterRef("creator_id") there would name the plan's own creator column).
    inner_creator = OuterRef(creator_ref) if isinstance(creator_ref, OuterRef) else creator_ref
    approved = PlanApplication.objects.filter(
        plan=OuterRef("pk"),
        creator=inner_creator,
        status=ApplicationStatus.APPROVED,
        decided_at__lte=at,
    ).filter(Q(removed_at__isnull=True) | Q(removed_at__gt=at))
    return (
        Q(created_at__lte=at)
        & (Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        & (
            Q(kind=PlanKind.OPEN)
            | Q(kind=PlanKind.EXCLUSIVE, creator=creator_ref)
            | Q(Exists(approved), kind=PlanKind.TARGETED)
        )
    )


def _best_plans(creator_ref, product_ref, at=None) -> QuerySet[PromotionPlan]:
    return (
        PromotionPlan.objects.filter(open_to_q(creator_ref, at), product=product_ref)
        .annotate(in_force=rate_in_force(OuterRef("pk"), at))
        .filter(in_force__isnull=False)
        .order_by(F("in_force").desc(), "pk")
    )


def cut_pending_q(creator_ref, product_ref, at=None) -> Q:
    """A plan applying to the creator on the product has a cut (or its end) announced, not yet in force."""
    now = _moment(at)
    plans = PromotionPlan.objects.filter(open_to_q(creator_ref, at), product=product_ref)
    announced = PlanRate.objects.filter(plan=OuterRef("pk"), effective_from__gt=now)
    return Exists(plans.filter(Q(ended_at__gt=now) | Exists(announced)))


def own_cut_pending_q(creator_ref, product_ref, *, prefix: str = "", at=None) -> Q:
    """The product's own rate has a cut announced, not yet in force, and it is the rate
    the creator gets (no plan in force applies to it)."""
    return Q(**{f"{prefix}rate_cut_from__gt": _moment(at)}) & ~Exists(
        _best_plans(creator_ref, product_ref, at)
    )


def with_best_rate(
    qs: QuerySet, *, creator: Creator | int | None, at=None, product_ref: str = "pk"
) -> QuerySet:
    """Annotate ``best_rate`` (the best plan open to the creator now, else the product's
    rate), ``best_plan_kind`` ("" without a plan) and ``rate_cut_pending``.

    ``product_ref`` names the product from ``qs``'s model ("pk" on products,
    "product_id" on cart items). Subqueries only: the row count never adds queries.
    """
    creator_id = getattr(creator, "pk", creator)
    product = OuterRef(product_ref)
    prefix = "" if product_ref == "pk" else "product__"
    # The product's own rate in force at ``at``: a cut announced on it applies from its second.
    base_rate = product_rate_at(at, prefix)
    best = _best_plans(creator_id, product, at)
    # Without a best plan its kind is NULL as its rate is (one subquery, one order): the
    # own rate's pending cut asks the kind. Each reference to an annotation repeats its
    # subquery in the statement, and building those is most of the page's Python.
    own_cut_pending = Q(best_plan_kind__isnull=True, **{f"{prefix}rate_cut_from__gt": _moment(at)})
    return qs.annotate(
        best_plan_kind=Subquery(best.values("kind")[:1]),
        best_rate=Coalesce(
            Subquery(best.values("in_force")[:1], output_field=RATE_FIELD),
            base_rate,
            output_field=RATE_FIELD,
        ),
        rate_cut_pending=ExpressionWrapper(
            cut_pending_q(creator_id, product, at) | own_cut_pending, output_field=BooleanField()
        ),
    )


def best_rate_for(*, creator: Creator, product: Product, at: datetime | None = None):
    """The rate that applies to ``creator`` on ``product`` at ``at`` (one query)."""
    row = with_best_rate(Product.objects.filter(pk=product.pk), creator=creator, at=at).values(
        "best_rate"
    )
    return row[0]["best_rate"]


# --- the merchant's side ------------------------------------------------------------


def _merchant_plans(merchant) -> QuerySet[PromotionPlan]:
    now = Now()
    return (
        PromotionPlan.objects.filter(product__merchant=merchant)
        .select_related("product", "creator")
        .annotate(
            in_force=rate_in_force(OuterRef("pk")),
            pending_rate=Subquery(
                PlanRate.objects.filter(plan=OuterRef("pk"), effective_from__gt=now)
                .order_by("effective_from")
                .values("rate")[:1],
                output_field=RATE_FIELD,
            ),
            pending_from=Subquery(
                PlanRate.objects.filter(plan=OuterRef("pk"), effective_from__gt=now)
                .order_by("effective_from")
                .values("effective_from")[:1]
            ),
            members=Count(
                "applications",
                filter=Q(
                    applications__status=ApplicationStatus.APPROVED,
                    applications__removed_at__isnull=True,
                ),
            ),
            waiting=Count("applications", filter=Q(applications__status=ApplicationStatus.PENDING)),
        )
        .order_by("-created_at", "-pk")
    )


def plans_for_product(*, actor: User, product: Product) -> QuerySet[PromotionPlan]:
    """The plans of one of the actor's products (the product was fetched scoped), newest first."""
    return _merchant_plans(merchant_of(actor)).filter(product=product)


def plan_for_merchant(*, actor: User, pk: int) -> PromotionPlan:
    """One plan of the actor's products; someone else's (or none) is a 404."""
    try:
        return _merchant_plans(merchant_of(actor)).get(pk=pk)
    except PromotionPlan.DoesNotExist as exc:
        raise Http404 from exc


def applications_for_merchant(*, actor: User, status: str | None = None):
    """Applications to the actor's plans, oldest waiting first (404 for non-merchants)."""
    merchant = merchant_of(actor)
    qs = PlanApplication.objects.filter(plan__product__merchant=merchant).select_related(
        "plan", "plan__product", "creator"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "applied_at", "pk")


def application_for_merchant(*, actor: User, pk: int) -> PlanApplication:
    """One application to the actor's plans; someone else's is a 404."""
    try:
        return applications_for_merchant(actor=actor).get(pk=pk)
    except PlanApplication.DoesNotExist as exc:
        raise Http404 from exc


def plan_members(*, plan: PromotionPlan) -> QuerySet[PlanApplication]:
    """The creators a targeted plan applies to (approved or chosen), and those being
    removed (``removed_at`` in the future), chosen first then by nickname."""
    return (
        PlanApplication.objects.filter(plan=plan, status=ApplicationStatus.APPROVED)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=Now()))
        .select_related("creator", "creator__user")
        .order_by("removed_at", "-chosen", "creator__nickname", "pk")
    )


MEMBER_SEARCH_LIMIT = 10


def creators_to_choose(*, plan: PromotionPlan, q: str) -> list[Creator]:
    """Admitted creators whose nickname or account name contains ``q`` (at most 10),
    each with ``is_member`` (the plan applies to it now). Empty ``q``: none."""
    from admission.models import Role
    from admission.selectors import admitted_q

    q = q.strip()
    if not q:
        return []
    member = PlanApplication.objects.filter(
        plan=plan, creator=OuterRef("pk"), status=ApplicationStatus.APPROVED
    ).filter(Q(removed_at__isnull=True) | Q(removed_at__gt=Now()))
    return list(
        Creator.objects.filter(admitted_q(Role.CREATOR))
        .filter(Q(nickname__icontains=q) | Q(user__username__icontains=q))
        .select_related("user")
        .annotate(is_member=Exists(member))
        .order_by("-fans", "pk")[:MEMBER_SEARCH_LIMIT]
    )


# --- the creator's side -------------------------------------------------------------


def plans_visible_to(*, actor: User, product: Product) -> list[PromotionPlan]:
    """The product's current plans a creator may see: 公开, 定向 and its own 专属.

    Each carries ``in_force``, ``pending_rate``/``pending_from``, ``my_status``
    (its application's status, "" if none), ``my_reason`` and ``applies``.
    """
    creator = creator_of(actor)
    now = Now()
    mine = PlanApplication.objects.filter(plan=OuterRef("pk"), creator=creator)
    return list(
        PromotionPlan.objects.filter(product=product)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .filter(~Q(kind=PlanKind.EXCLUSIVE) | Q(creator=creator))
        .annotate(
            in_force=rate_in_force(OuterRef("pk")),
            pending_rate=Subquery(
                PlanRate.objects.filter(plan=OuterRef("pk"), effective_from__gt=now)
                .order_by("effective_from")
                .values("rate")[:1],
                output_field=RATE_FIELD,
            ),
            pending_from=Subquery(
                PlanRate.objects.filter(plan=OuterRef("pk"), effective_from__gt=now)
                .order_by("effective_from")
                .values("effective_from")[:1]
            ),
            my_status=Subquery(mine.values("status")[:1]),
            my_reason=Subquery(mine.values("reason")[:1]),
            applies=ExpressionWrapper(open_to_q(creator.pk), output_field=BooleanField()),
        )
        .order_by(F("in_force").desc(nulls_last=True), "pk")
    )


def application_for_creator(*, actor: User, plan: PromotionPlan) -> PlanApplication | None:
    """The actor's application to ``plan``, if any."""
    creator = creator_of(actor)
    return PlanApplication.objects.filter(plan=plan, creator=creator).first()


def plan_for_creator(*, actor: User, pk: int) -> PromotionPlan:
    """A current plan a creator may see (公开, 定向, its own 专属); any other is a 404."""
    creator = creator_of(actor)
    now = Now()
    try:
        return (
            PromotionPlan.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
            .filter(~Q(kind=PlanKind.EXCLUSIVE) | Q(creator=creator))
            .select_related("product", "product__merchant")
            .get(pk=pk)
        )
    except PromotionPlan.DoesNotExist as exc:
        raise Http404 from exc


def threshold_shortfalls(plan: PromotionPlan, creator: Creator) -> list[str]:
    """What keeps ``creator`` from applying to a 定向计划 (empty when it may)."""
    from django.utils.translation import gettext as _

    from hotwave.templatetags.hw import count as fmt_count

    reasons = []
    if creator.level < plan.min_level:
        reasons.append(
            _("需要主播等级 V%(need)s 及以上，你目前是 V%(have)s。")
            % {"need": plan.min_level, "have": creator.level}
        )
    if creator.fans < plan.min_fans:
        reasons.append(
            _("需要粉丝数 %(need)s 及以上，你目前有 %(have)s。")
            % {"need": fmt_count(plan.min_fans), "have": fmt_count(creator.fans)}
        )
    reason = fulfilment_shortfall(plan.min_fulfilment, creator)
    if reason:
        reasons.append(reason)
    return reasons


def fulfilment_shortfall(min_fulfilment, creator: Creator) -> str | None:
    """Why ``creator`` is below a 最低履约率 (None when it meets it or there is none).

    The rate is the stored scorecard's (issue 17). A 新达人 (fewer than 3 completed
    tasks, or no scorecard yet) has no rate, so it does not meet a threshold above 0.
    """
    from django.utils.translation import gettext as _

    from cooperation.models import CreatorScorecard
    from cooperation.models.scorecards import NEW_PARTY_BELOW
    from hotwave.formats import format_pct

    if not min_fulfilment:
        return None
    try:
        rate = creator.scorecard.fulfilment_rate
    except CreatorScorecard.DoesNotExist:
        rate = None
    if rate is None:
        return _(
            "需要履约率 %(need)s 及以上；你还是新达人（完成合作少于 %(n)s 个），还没有履约率。"
        ) % {"need": format_pct(min_fulfilment), "n": NEW_PARTY_BELOW}
    if rate < min_fulfilment:
        return _("需要履约率 %(need)s 及以上，你目前是 %(have)s。") % {
            "need": format_pct(min_fulfilment),
            "have": format_pct(rate),
        }
    return None
