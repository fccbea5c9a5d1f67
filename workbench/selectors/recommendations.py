"""平台推荐: creators for a merchant, hot products for a creator, recruits for an agency.

Candidates are admitted creators (``admission.selectors``), ranked by
:func:`recommendation_score`; bindings come from ``settlement.selectors``,
products and tasks from ``cooperation.selectors``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Category, Creator, Role
from admission.selectors import admitted_creators
from cooperation.selectors import figures as cooperation_figures
from cooperation.selectors.hot import EarningsEstimator, hot_products, hot_ranking
from cooperation.selectors.scorecards import scorecard_of
from hotwave.formats import compact_count, format_pct
from hotwave.money import format_cny, quantize
from hotwave.readcache import get_or_compute
from settlement.selectors import bindings_in_force, pending_invitations
from workbench.selectors.links import safe_reverse

# The recommendation score (0–100) of a creator for a merchant. Weights:
W_CATEGORY, W_AUDIENCE, W_TRACK, W_PRICE = 40, 25, 20, 15
# audience: log10(1 + 场均观看) / 5, capped at 1 (100,000 viewers → full marks)
AUDIENCE_FULL_LOG10 = 5
# track record: n / (n + 5) completed tasks (5 tasks → half marks; saturates)
TRACK_HALF = 5
# price fit when the merchant has no slot-fee history yet: neutral
PRICE_NEUTRAL = Decimal("0.5")
RECOMMEND = 4
HOT_HEAD = 4  # 热销商品 reads the ranking's first HOT_HEAD × RECOMMEND products
# The candidates scored for a merchant (or an agency): the first CANDIDATES admitted
# creators by categories of interest covered, then 场均观看. Ranked over creators alone,
# and only the first POOL_SCAN of that ranking are checked against the admission rules
# (evaluating them for every creator took 1–2.6 s at 100k creators); cached per
# category set for POOL_CACHE_SECONDS, then re-checked and scored on each request.
CANDIDATES = 60
POOL_SCAN = 10 * CANDIDATES
POOL_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Score:
    total: Decimal
    category: Decimal
    audience: Decimal
    track: Decimal
    price: Decimal


def recommendation_score(
    *,
    creator_categories: set[str],
    merchant_categories: set[str],
    avg_viewers: int,
    completed_tasks: int,
    quote: Decimal,
    typical_slot_fee: Decimal | None,
    fulfilment_rate: Decimal | None = None,
) -> Score:
    """How well a creator fits a merchant, 0–100 (higher is better).

    total = 40 × category + 25 × audience + 20 × track record + 15 × price fit, where
    category = share of the merchant's product categories the creator covers;
    audience = log10(1 + avg viewers) / 5, at most 1;
    track record = the creator's verified 履约率 (its scorecard, issue 17) when measured
    (3 completed tasks or more in 90 days); otherwise completed tasks / (completed + 5);
    price fit = 1 if the quote is within the merchant's typical slot fee (median of its
    last 20 tasks), typical ÷ quote above it, 0.5 when there is no history.
    """
    cat = (
        Decimal(len(creator_categories & merchant_categories)) / len(merchant_categories)
        if merchant_categories
        else Decimal(0)
    )
    aud = min(Decimal(1), Decimal(math.log10(1 + max(avg_viewers, 0)) / AUDIENCE_FULL_LOG10))
    if fulfilment_rate is not None:
        track = Decimal(fulfilment_rate)
    else:
        track = Decimal(completed_tasks) / (completed_tasks + TRACK_HALF)
    if typical_slot_fee is None or typical_slot_fee <= 0:
        price = PRICE_NEUTRAL
    elif quote <= typical_slot_fee:
        price = Decimal(1)
    else:
        price = typical_slot_fee / quote
    total = W_CATEGORY * cat + W_AUDIENCE * aud + W_TRACK * track + W_PRICE * price
    q = Decimal("0.1")
    return Score(total.quantize(q), cat, aud, track, price)


@dataclass
class CreatorPick:
    creator: object
    score: Score
    reasons: list[str] = field(default_factory=list)
    url: str | None = None


def _viewers_text(n: int) -> str:
    return compact_count(n)


def _candidate_pool(base, categories: set[str]) -> list[int]:
    """Ids of the first CANDIDATES creators of ``base`` by (categories of interest covered,
    场均观看): one query.

    The ranking runs over creators alone (one grouped scan of the creator–category
    table); the admission rules and ``base``'s other filters are evaluated only for its
    first POOL_SCAN, not for every creator.
    """
    match = Count("categories", filter=Q(categories__in=categories)) if categories else Value(0)
    ranked = (
        Creator.objects.annotate(match=match)
        .order_by("-match", "-avg_viewers", "pk")
        .values("pk")[:POOL_SCAN]
    )
    return list(
        base.filter(pk__in=ranked)
        .annotate(match=match)
        .order_by("-match", "-avg_viewers", "pk")
        .values_list("pk", flat=True)[:CANDIDATES]
    )


def _cached_pool(key: str, base, categories: set[str]) -> list[int]:
    return get_or_compute(key, lambda: _candidate_pool(base, categories), POOL_CACHE_SECONDS)


def recommended_creators(user, *, limit: int = RECOMMEND) -> list[CreatorPick]:
    """达人合作 for a merchant: admitted creators ranked by :func:`recommendation_score`.

    4 queries (categories, slot fees, candidates, their categories); 5 when the
    candidate pool of this category set is not cached.

    The verified reason quotes 场均成交 in the merchant's **main category** (the one
    with most of its products on sale; ties by the category's display order): the
    creator's sessions with that category's products and those products' orders
    (``CreatorCategoryScorecard``). A creator with no session in it shows its
    all-category figure, labelled so.
    """
    counts = cooperation_figures.active_category_counts(merchant_id=user.pk)
    merchant_cats = {row["code"] for row in counts}
    main = Category(**{k: counts[0][k] for k in ("code", "name_zh", "name_en")}) if counts else None
    fees = cooperation_figures.recent_slot_fees(merchant_id=user.pk, limit=20)
    typical = quantize(Decimal(median(fees))) if fees else None
    pool = _cached_pool(
        f"workbench:rec-pool:{','.join(sorted(merchant_cats))}",
        admitted_creators(),
        merchant_cats,
    )
    # Admission is checked again: the pool may be up to POOL_CACHE_SECONDS old.
    candidates = (
        admitted_creators()
        .filter(pk__in=pool)
        .select_related("scorecard")
        .prefetch_related("categories")
    )
    if main is not None:
        # One LEFT JOIN on (creator, main category): unique, no extra query.
        candidates = candidates.annotate(
            in_main=FilteredRelation(
                "category_cards", condition=Q(category_cards__category_id=main.code)
            ),
            main_gmv=F("in_main__gmv_per_session"),
            main_sessions=F("in_main__live_sessions"),
        )
    picks = []
    for c in candidates:
        cats = {cat.code: cat for cat in c.categories.all()}
        card = scorecard_of(c)
        measured = card is not None and not card.is_new and card.fulfilment_rate is not None
        score = recommendation_score(
            creator_categories=set(cats),
            merchant_categories=merchant_cats,
            avg_viewers=c.avg_viewers,
            completed_tasks=c.completed_tasks,
            quote=c.quote,
            typical_slot_fee=typical,
            fulfilment_rate=card.fulfilment_rate if measured else None,
        )
        reasons = []
        if measured:
            # The verified record first: what Hotwave itself saw (scorecard, 90 days).
            text = _("履约率 %(rate)s") % {"rate": format_pct(card.fulfilment_rate)}
            main_gmv = getattr(c, "main_gmv", None)
            if main is not None and main_gmv is not None and getattr(c, "main_sessions", 0):
                text += _("，%(cat)s类目场均成交 %(gmv)s") % {
                    "cat": main.label,
                    "gmv": format_cny(main_gmv),
                }
            elif card.gmv_per_session is not None:
                text += _("，全部类目场均成交 %(gmv)s") % {"gmv": format_cny(card.gmv_per_session)}
            reasons.append(text)
        matched = [cats[code].label for code in sorted(set(cats) & merchant_cats)]
        if matched:
            reasons.append(_("擅长你在售的类目：%(cats)s") % {"cats": _("、").join(matched)})
        if score.audience >= Decimal("0.8"):  # about 10,000 viewers or more
            reasons.append(_("场均观看 %(n)s") % {"n": _viewers_text(c.avg_viewers)})
        if c.completed_tasks:
            reasons.append(_("已完成 %(n)s 个合作任务") % {"n": c.completed_tasks})
        if typical is not None and c.quote <= typical:
            reasons.append(_("报价在你常用的坑位费 %(fee)s 以内") % {"fee": format_cny(typical)})
        if not reasons:
            reasons.append(_("已通过平台准入的活跃达人"))
        picks.append(
            CreatorPick(
                c,
                score,
                reasons[:3],
                safe_reverse("cooperation:creator_detail", kwargs={"pk": c.pk}),
            )
        )
    picks.sort(key=lambda p: (-p.score.total, -p.creator.avg_viewers, p.creator.pk))
    return picks[:limit]


@dataclass
class ProductPick:
    product: object
    earn_per_unit: Decimal
    in_cart: bool
    orders_7d: int = 0


def hot_products_for(user, *, limit: int = RECOMMEND) -> list[ProductPick]:
    """热销商品 for a creator: cooperation's hot products (paid orders in 7 days), first few.

    Only promotable products (restricted without permission never appear); earnings per
    unit under the creator's current rule. 2 queries (products, binding in force).

    The statement names the ranking's first ``HOT_HEAD × limit`` products, not all of
    them (23 → 16 ms for the section at medium scale); when products that may not be
    promoted leave fewer than ``limit`` of those and the ranking goes on, a third query
    reads the whole ranking.
    """
    creator = user.creator
    head = HOT_HEAD * limit
    products = list(hot_products(creator=creator, head=head)[:limit])
    if len(products) < limit and len(hot_ranking()) > head:
        products = list(hot_products(creator=creator)[:limit])
    estimator = EarningsEstimator(creator)
    return [
        ProductPick(p, estimator.estimate(p).per_unit, p.in_cart, p.paid_orders) for p in products
    ]


def recruit_creators(user, *, limit: int = RECOMMEND) -> list[CreatorPick]:
    """For an agency: admitted creators bound to no agency, ranked by the same score, with
    the agency's specialisation (its bound creators' categories) as the category match.
    2 queries (candidates, their categories); 4 when its specialisation and candidate pool
    are not cached (its categories, the pool)."""
    in_force = bindings_in_force(timezone.now())
    # NOT EXISTS (an index probe per creator visited) rather than NOT IN over every
    # binding: the pool's lists stop after a few rows each.
    recruitable = admitted_creators().filter(
        ~Exists(in_force.filter(creator_id=OuterRef("pk"))),
        ~Exists(pending_invitations(agency_id=user.pk).filter(creator_id=OuterRef("pk"))),
    )

    def specialisation_and_pool() -> tuple[list[str], list[int]]:
        cats = set(
            Category.objects.filter(
                creators__in=in_force.filter(agency_id=user.pk).values("creator_id")
            ).values_list("code", flat=True)
        )
        return sorted(cats), _candidate_pool(recruitable, cats)

    # The specialisation changes as slowly as the pool: both cached together.
    cats, pool = get_or_compute(
        f"workbench:recruit:{user.pk}", specialisation_and_pool, POOL_CACHE_SECONDS
    )
    agency_cats = set(cats)
    # Bindings, invitations and admission are checked again: the pool may be minutes old.
    candidates = (
        recruitable.filter(pk__in=pool).select_related("user").prefetch_related("categories")
    )
    invite = safe_reverse("settlement:binding_list")
    picks = []
    for c in candidates:
        cats = {cat.code: cat for cat in c.categories.all()}
        score = recommendation_score(
            creator_categories=set(cats),
            merchant_categories=agency_cats,
            avg_viewers=c.avg_viewers,
            completed_tasks=c.completed_tasks,
            quote=c.quote,
            typical_slot_fee=None,
        )
        reasons = [_("个人主播，尚未签约机构")]
        matched = [cats[code].label for code in sorted(set(cats) & agency_cats)]
        if matched:
            reasons.append(_("与你旗下达人同类目：%(cats)s") % {"cats": _("、").join(matched)})
        if c.completed_tasks:
            reasons.append(_("已完成 %(n)s 个合作任务") % {"n": c.completed_tasks})
        url = f"{invite}?{urlencode({'q': c.user.username})}" if invite else None
        picks.append(CreatorPick(c, score, reasons[:3], url))
    picks.sort(key=lambda p: (-p.score.total, -p.creator.avg_viewers, p.creator.pk))
    return picks[:limit]


@dataclass(frozen=True)
class Recommendations:
    kind: str  # "creators" (merchant) | "products" (creator) | "recruits" (agency) | "none"
    creators: list[CreatorPick]
    products: list[ProductPick]
    more_url: str | None


def recommendations_for(user) -> Recommendations:
    """平台推荐 by role: 达人合作 for merchants, 热销商品 for creators, 推荐签约达人 for agencies."""
    if user.role == Role.MERCHANT:
        return Recommendations(
            "creators", recommended_creators(user), [], safe_reverse("cooperation:plaza")
        )
    if user.role == Role.CREATOR:
        return Recommendations(
            "products", [], hot_products_for(user), safe_reverse("cooperation:hot_products")
        )
    if user.role == Role.AGENCY:
        return Recommendations(
            "recruits", recruit_creators(user), [], safe_reverse("settlement:binding_list")
        )
    return Recommendations("none", [], [], None)
