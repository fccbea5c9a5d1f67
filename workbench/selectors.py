"""Workbench reads: everything the five sections show, scoped to the viewer.

Every public function runs a fixed number of queries whatever the data size
(pinned by tests/workbench/test_views.py with 10x the data). Figures come
from the other apps' tables (settlement's orders and ledger, cooperation's
products, tasks and cart); nothing here is stored or made up.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from admission.models import Category, Creator, Role
from admission.selectors import admitted_creators, is_admitted
from cooperation.models import OPEN_STATES, CartItem, Product, ProductStatus, Task
from cooperation.selectors.hot import EarningsEstimator, hot_products
from hotwave import todos
from hotwave.charts import LineChart, line_chart
from hotwave.formats import compact_count
from hotwave.money import ZERO, format_cny, quantize
from hotwave.readcache import get_or_compute
from settlement.commission import BOUND_PLATFORM_RATE, INDIVIDUAL_PLATFORM_RATE
from settlement.models import (
    AccountKind,
    Binding,
    BindingStatus,
    EscrowHold,
    EscrowStatus,
    JournalKind,
    Order,
    OrderStatus,
    Posting,
)
from workbench import services
from workbench.models import HelpArticle, HelpCategory, SuccessCase

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def safe_reverse(name: str, *, query: str = "", kwargs: dict | None = None) -> str | None:
    """The URL of ``name`` (plus ``?query``), or None while that page is not routed."""
    try:
        url = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


# --- 待办事项 ------------------------------------------------------------------


@dataclass(frozen=True)
class TodoItem:
    key: str
    title: str
    description: str
    count: int
    url: str


@dataclass(frozen=True)
class TodoBoard:
    items: list[TodoItem]
    computed_at: datetime
    # "cache": from the Celery-computed cache; "live": computed for this request
    # (cache down, cold or too old).
    source: str
    cache_error: bool = False

    @property
    def total(self) -> int:
        return sum(i.count for i in self.items)


def _cached_counts(user_id: int) -> tuple[dict[str, int], datetime] | None:
    """The freshest trusted cache entry for a user, or None (cold or too old)."""
    found = cache.get_many([services.GEN_KEY, services.user_key(user_id)])
    candidates: list[tuple[datetime, dict[str, int]]] = []
    gen = found.get(services.GEN_KEY)
    if gen:
        counts = cache.get(services.gen_user_key(gen["gen"], user_id)) or {}
        candidates.append((datetime.fromisoformat(gen["at"]), counts))
    mine = found.get(services.user_key(user_id))
    if mine:
        candidates.append((datetime.fromisoformat(mine["at"]), mine["counts"]))
    if not candidates:
        return None
    at, counts = max(candidates, key=lambda c: c[0])
    if (timezone.now() - at).total_seconds() > services.TODO_MAX_AGE:
        return None
    return counts, at


def todos_for(user) -> TodoBoard:
    """The user's to-dos: cached counts when fresh, otherwise computed now (bounded queries).

    Never raises because of the cache: a dead Redis means "compute directly".
    """
    role_sources = todos.sources(user.role)
    cache_error = False
    try:
        cached = _cached_counts(user.pk)
    except Exception:  # noqa: BLE001 - any cache failure falls back to the database
        logger.warning(
            "to-do cache unavailable; computing user %s directly", user.pk, exc_info=True
        )
        cached, cache_error = None, True
    if cached is not None:
        counts, at = cached
        source = "cache"
        counts = {s.key: int(counts.get(s.key, 0)) for s in role_sources}
    else:
        at = timezone.now()
        computed = services.todos_compute_user(user)  # one statement for the role
        counts = {s.key: int(computed.get(s.key, 0)) for s in role_sources}
        source = "live"
        if not cache_error:
            try:
                services.todos_store_user(user_id=user.pk, counts=counts, at=at)
            except Exception:  # noqa: BLE001
                cache_error = True
    items = [
        TodoItem(
            key=s.key,
            title=str(s.title),
            description=str(s.description),
            count=counts[s.key],
            url=s.url(user),
        )
        for s in role_sources
    ]
    return TodoBoard(items=items, computed_at=at, source=source, cache_error=cache_error)


# --- 核心数据 ------------------------------------------------------------------

TREND_DAYS = 30  # the figures' window
CHART_WINDOWS = (7, 30, 90)  # the trend chart's 7/30/90-day switch
MONEY = DecimalField(max_digits=20, decimal_places=6)


@dataclass(frozen=True)
class Stat:
    label: str
    value: Decimal | int | None
    kind: str = "money"  # money | count | ratio
    hint: str = ""


@dataclass(frozen=True)
class CoreData:
    stats: list[Stat]
    chart: LineChart
    more_url: str | None
    note: str = ""
    chart_days: int = TREND_DAYS


def _today() -> date:
    return timezone.localdate(timezone.now(), SHANGHAI)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _daily(rows, fields: tuple[str, ...], days: list[date]) -> dict[str, list]:
    """Grouped-by-day rows → one list per field, one value per day (0 where no row)."""
    by_day = {row["day"]: row for row in rows}
    out: dict[str, list] = {}
    for f in fields:
        out[f] = [(by_day[d][f] or 0) if d in by_day else 0 for d in days]
    return out


def _window(today: date, n: int = TREND_DAYS) -> list[date]:
    """The last ``n`` days up to today; never fewer than the figures' 30."""
    n = max(n, TREND_DAYS)
    return [today - timedelta(days=n - 1 - i) for i in range(n)]


def _chart_series(days: list[date], values: list, chart_days: int) -> list[tuple[date, object]]:
    return list(zip(days[-chart_days:], values[-chart_days:], strict=True))


# The closed days of a trend (before today) change only by refunds of older orders:
# they are cached this long; today is always read live (a small range scan).
TREND_TTL = 600


def _trend_rows(party: str, user_id: int, days: list[date], **sums) -> list[dict]:
    """Per-day aggregates of the party's paid orders over ``days`` (``day`` + ``sums``)."""
    today = days[-1]

    def rows(since: date, until: date | None = None) -> list[dict]:
        qs = Order.objects.filter(**{f"{party}_id": user_id}, paid_at__gte=_day_start(since))
        if until is not None:
            qs = qs.filter(paid_at__lt=_day_start(until))
        return list(
            qs.annotate(day=TruncDate("paid_at", tzinfo=SHANGHAI))
            .values("day")
            .annotate(**sums)
            .order_by("day")
        )

    key = f"wb:trend:{party}:{user_id}:{today.isoformat()}:{len(days)}:{','.join(sorted(sums))}"
    closed = get_or_compute(key, lambda: rows(days[0], today), TREND_TTL)
    return [*closed, *rows(today)]


def _price():
    return ExpressionWrapper(F("amount") - F("refunded"), output_field=MONEY)


def _fee():
    return ExpressionWrapper(
        (F("amount") - F("refunded")) * F("service_fee_rate"), output_field=MONEY
    )


def _creator_part():
    """The creator's part of an order's fee under its frozen rule (before per-order rounding)."""
    return Case(
        When(
            rule="agency",
            then=_fee()
            * (Value(Decimal(1) - BOUND_PLATFORM_RATE) * (Value(Decimal(1)) - F("agency_share"))),
        ),
        default=_fee() * Value(Decimal(1) - INDIVIDUAL_PLATFORM_RATE),
        output_field=MONEY,
    )


def _agency_part():
    return ExpressionWrapper(
        _fee() * Value(Decimal(1) - BOUND_PLATFORM_RATE) * F("agency_share"), output_field=MONEY
    )


def _q(v) -> Decimal:
    return quantize(Decimal(v or 0))


LEDGER_CACHE_SECONDS = 3600


def _ledger_sums(user, kind: str, since: date) -> dict[str, Decimal]:
    """The party's earnings posted since ``since`` and its balance (all postings).

    One query once warm: the sums are cached under the account's ledger signature
    (its postings' count and latest journal; see ``settlement.selectors.ledger_signature``),
    which changes with every committed posting. Two when the account has new postings.
    """
    postings = Posting.objects.filter(account__user=user, account__kind=kind)
    sig = postings.aggregate(n=Count("*"), last=Max("journal"))
    earn_kinds = [JournalKind.SETTLEMENT, JournalKind.CLAWBACK, JournalKind.ESCROW_RELEASE]

    def sums() -> dict[str, Decimal]:
        agg = postings.aggregate(
            earned=Sum(
                "amount",
                filter=Q(journal__kind__in=earn_kinds, journal__business_date__gte=since),
            ),
            balance=Sum("amount"),
        )
        return {"earned": _q(agg["earned"]), "balance": _q(agg["balance"])}

    if not sig["n"]:
        return {"earned": _q(None), "balance": _q(None)}
    key = f"workbench:ledger:{kind}:{user.pk}:{sig['n']}:{sig['last']}:{since}"
    return get_or_compute(key, sums, LEDGER_CACHE_SECONDS)


def _open_tasks(**filters) -> int:
    return Task.objects.filter(state__in=list(OPEN_STATES), **filters).count()


def core_data_for(user, chart_days: int = TREND_DAYS) -> CoreData:
    """The figures this role watches daily (30 days), a 7/30/90-day trend, 查看更多 to 资金账户."""
    more = safe_reverse("settlement:fund_account")
    if chart_days not in CHART_WINDOWS:
        chart_days = TREND_DAYS
    if user.role == Role.MERCHANT:
        return _merchant_core(user, more, chart_days)
    if user.role == Role.CREATOR:
        return _creator_core(user, more, chart_days)
    if user.role == Role.AGENCY:
        return _agency_core(user, more, chart_days)
    return _provider_core(user, more, chart_days)


def _merchant_core(user, more, chart_days: int = TREND_DAYS) -> CoreData:
    """Merchant: sales brought by creators, fees, orders, active tasks, ROI (3 queries)."""
    today = _today()
    days = _window(today, chart_days)
    rows = _trend_rows(
        "merchant", user.pk, days, sales=Sum(_price()), fees=Sum(_fee()), orders=Count("pk")
    )
    series = _daily(rows, ("sales", "fees", "orders"), days)
    all_sales = [_q(v) for v in series["sales"]]
    sales = all_sales[-TREND_DAYS:]
    fees = series["fees"][-TREND_DAYS:]
    sales_30, fees_30 = sum(sales, ZERO), _q(sum((Decimal(v) for v in fees), ZERO))
    slot_fees = _q(
        EscrowHold.objects.filter(
            merchant_id=user.pk,
            status=EscrowStatus.RELEASED,
            closed_at__gte=_day_start(days[-TREND_DAYS]),
        ).aggregate(s=Sum("amount"))["s"]
    )
    cost = fees_30 + slot_fees
    roi = (sales_30 / cost).quantize(Decimal("0.01")) if cost else None
    stats = [
        Stat(_("昨日达人带货销售额"), sales[-2]),
        Stat(_("近7天销售额"), sum(sales[-7:], ZERO)),
        Stat(_("近30天销售额"), sales_30),
        Stat(_("近30天推广服务费"), fees_30, hint=_("按订单服务费率计，含未结算订单")),
        Stat(_("近30天订单数"), sum(series["orders"][-TREND_DAYS:]), kind="count"),
        Stat(_("进行中的合作任务"), _open_tasks(merchant_id=user.pk), kind="count"),
        Stat(
            _("投入产出比 (ROI)"),
            roi,
            kind="ratio",
            hint=_("近30天销售额 ÷ (推广服务费 + 已结算坑位费 %(slot)s)")
            % {"slot": format_cny(slot_fees)},
        ),
    ]
    chart = line_chart(
        _chart_series(days, all_sales, chart_days),
        title=_("近%(n)s天达人带货销售额") % {"n": chart_days},
        series_label=_("每日销售额"),
    )
    return CoreData(stats, chart, more, chart_days=chart_days)


def _creator_core(user, more, chart_days: int = TREND_DAYS) -> CoreData:
    """Creator: estimated earnings yesterday, settled this month, balance, active tasks."""
    today = _today()
    days = _window(today, chart_days)
    rows = _trend_rows("creator", user.pk, days, earn=Sum(_creator_part()), sales=Sum(_price()))
    series = _daily(rows, ("earn", "sales"), days)
    earn = [_q(v) for v in series["earn"]]
    ledger = _ledger_sums(user, AccountKind.CREATOR, today.replace(day=1))
    stats = [
        Stat(_("昨日预估收益"), earn[-2], hint=_("按支付订单预估，结算后以资金账户为准")),
        Stat(_("本月已结算收益"), ledger["earned"]),
        Stat(_("账户余额"), ledger["balance"], hint=_("待打款或待抵扣的金额")),
        Stat(_("近30天带货销售额"), sum((_q(v) for v in series["sales"][-TREND_DAYS:]), ZERO)),
        Stat(_("进行中的合作任务"), _open_tasks(creator_id=user.pk), kind="count"),
    ]
    chart = line_chart(
        _chart_series(days, earn, chart_days),
        title=_("近%(n)s天每日预估收益") % {"n": chart_days},
        series_label=_("每日预估收益"),
    )
    return CoreData(stats, chart, more, chart_days=chart_days)


def _agency_core(user, more, chart_days: int = TREND_DAYS) -> CoreData:
    """Agency: its share earned, bound creators, their sales (3 queries)."""
    today = _today()
    days = _window(today, chart_days)
    rows = _trend_rows("agency", user.pk, days, share=Sum(_agency_part()), sales=Sum(_price()))
    series = _daily(rows, ("share", "sales"), days)
    all_share = [_q(v) for v in series["share"]]
    share = all_share[-TREND_DAYS:]
    sales = [_q(v) for v in series["sales"][-TREND_DAYS:]]
    ledger = _ledger_sums(user, AccountKind.AGENCY, today.replace(day=1))
    bound = Binding.objects.filter(agency_id=user.pk, status=BindingStatus.ACTIVE).count()
    stats = [
        Stat(_("昨日预估机构分成"), share[-2]),
        Stat(_("近30天预估机构分成"), sum(share, ZERO)),
        Stat(_("本月已结算分成"), ledger["earned"]),
        Stat(_("账户余额"), ledger["balance"]),
        Stat(_("绑定达人"), bound, kind="count"),
        Stat(_("旗下达人近30天销售额"), sum(sales, ZERO)),
    ]
    # The share alone: on one axis with the creators' sales it would be a flat line.
    chart = line_chart(
        _chart_series(days, all_share, chart_days),
        title=_("近%(n)s天每日预估机构分成") % {"n": chart_days},
        series_label=_("每日预估机构分成"),
    )
    return CoreData(stats, chart, more, chart_days=chart_days)


def _provider_core(user, more, chart_days: int = TREND_DAYS) -> CoreData:
    days = _window(_today(), chart_days)[-chart_days:]
    chart = line_chart([(d, ZERO) for d in days], title=_("近%(n)s天数据") % {"n": chart_days})
    return CoreData(
        [], chart, more, note=_("服务商的数据在资金账户中查看。"), chart_days=chart_days
    )


# --- 操作指引 ------------------------------------------------------------------


@dataclass(frozen=True)
class GuideStep:
    title: str
    url: str | None
    done: bool
    hint: str = ""


@dataclass(frozen=True)
class Guide:
    steps: list[GuideStep]
    help_url: str | None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def next_step(self) -> GuideStep | None:
        return next((s for s in self.steps if not s.done), None)


def _task_marks(**filters) -> dict[str, int]:
    """One query: how many of the party's tasks reached each milestone."""
    return Task.objects.filter(**filters).aggregate(
        created=Count("pk"),
        accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
        shipped=Count("pk", filter=Q(shipped_at__isnull=False)),
        received=Count("pk", filter=Q(received_at__isnull=False)),
        live=Count("pk", filter=Q(live_reported_at__isnull=False)),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
    )


def guide_for(user) -> Guide:
    """The role's core flow as numbered steps, each marked done from the user's real data."""
    admitted = is_admitted(user)
    admission = GuideStep(
        _("完成准入"),
        safe_reverse("admission:center"),
        admitted,
        _("满足准入条件后才能发起或接受合作"),
    )
    help_url = safe_reverse("workbench:help_index")
    if user.role == Role.MERCHANT:
        marks = _task_marks(merchant_id=user.pk)
        has_products = Product.objects.filter(merchant_id=user.pk).exists()
        settled = Order.objects.filter(merchant_id=user.pk, status=OrderStatus.SETTLED).exists()
        steps = [
            admission,
            GuideStep(
                pgettext("guide step", "发布商品"),
                safe_reverse("cooperation:product_list"),
                has_products,
                _("设置价格与服务费率"),
            ),
            GuideStep(
                _("挑选达人"),
                safe_reverse("cooperation:plaza"),
                marks["created"] > 0,
                _("在主播广场按类目、粉丝、场均观看筛选"),
            ),
            GuideStep(
                _("发起合作"),
                safe_reverse("cooperation:task_list"),
                marks["accepted"] > 0,
                _("达人接受邀请即达成合作"),
            ),
            GuideStep(
                _("寄样"),
                safe_reverse("cooperation:task_list", query="state=accepted"),
                marks["shipped"] > 0,
                _("填写快递单号寄出样品"),
            ),
            GuideStep(
                _("确认完成"),
                safe_reverse("cooperation:task_list", query="state=live_reported"),
                marks["completed"] > 0,
                _("达人直播后确认合作完成"),
            ),
            GuideStep(
                _("查看结算"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("每晚结算前一日确认收货的订单"),
            ),
        ]
    elif user.role == Role.CREATOR:
        marks = _task_marks(creator_id=user.pk)
        has_cart = CartItem.objects.filter(creator_id=user.pk).exists()
        settled = Order.objects.filter(creator_id=user.pk, status=OrderStatus.SETTLED).exists()
        steps = [
            admission,
            GuideStep(
                _("选品加入带货车 / 处理邀约"),
                safe_reverse("cooperation:hot_products")
                if not has_cart
                else safe_reverse("cooperation:task_list", query="state=invited"),
                has_cart or marks["accepted"] > 0,
                _("从热销商品选品，或接受商家的合作邀请"),
            ),
            GuideStep(
                _("签收样品"),
                safe_reverse("cooperation:task_list", query="state=shipped"),
                marks["received"] > 0,
                _("收到样品后确认签收"),
            ),
            GuideStep(
                _("直播"),
                safe_reverse("cooperation:task_list", query="state=received"),
                marks["live"] > 0,
                _("直播结束后提交直播时间与回放链接"),
            ),
            GuideStep(
                _("查看收益"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("每晚结算，收益自动打款"),
            ),
        ]
    elif user.role == Role.AGENCY:
        bindings = Binding.objects.filter(agency_id=user.pk).aggregate(
            invited=Count("pk"), consented=Count("pk", filter=Q(consented_at__isnull=False))
        )
        settled = Order.objects.filter(agency_id=user.pk, status=OrderStatus.SETTLED).exists()
        steps = [
            admission,
            GuideStep(
                _("邀请达人绑定"),
                safe_reverse("settlement:binding_list"),
                bindings["invited"] > 0,
                _("向达人发出绑定邀请并约定分成比例"),
            ),
            GuideStep(
                _("达人确认分成"),
                safe_reverse("settlement:binding_list"),
                bindings["consented"] > 0,
                _("达人同意后绑定生效"),
            ),
            GuideStep(
                _("查看机构收益"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("旗下达人的订单结算后计入机构分成"),
            ),
        ]
    else:
        steps = [
            admission,
            GuideStep(_("查看资金账户"), safe_reverse("settlement:fund_account"), False),
        ]
    return Guide(steps, help_url)


# --- 平台推荐 ------------------------------------------------------------------

# The recommendation score (0–100) of a creator for a merchant. Weights:
W_CATEGORY, W_AUDIENCE, W_TRACK, W_PRICE = 40, 25, 20, 15
# audience: log10(1 + 场均观看) / 5, capped at 1 (100,000 viewers → full marks)
AUDIENCE_FULL_LOG10 = 5
# track record: n / (n + 5) completed tasks (5 tasks → half marks; saturates)
TRACK_HALF = 5
# price fit when the merchant has no slot-fee history yet: neutral
PRICE_NEUTRAL = Decimal("0.5")
RECOMMEND = 4
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
) -> Score:
    """How well a creator fits a merchant, 0–100 (higher is better).

    total = 40 × category + 25 × audience + 20 × track record + 15 × price fit, where
    category = share of the merchant's product categories the creator covers;
    audience = log10(1 + avg viewers) / 5, at most 1;
    track record = completed tasks / (completed tasks + 5);
    price fit = 1 if the quote is within the merchant's typical slot fee (median of its
    last 20 tasks), typical ÷ quote above it, 0.5 when there is no history.
    """
    cat = (
        Decimal(len(creator_categories & merchant_categories)) / len(merchant_categories)
        if merchant_categories
        else Decimal(0)
    )
    aud = min(Decimal(1), Decimal(math.log10(1 + max(avg_viewers, 0)) / AUDIENCE_FULL_LOG10))
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
    """
    merchant_cats = set(
        Product.objects.filter(merchant_id=user.pk, status=ProductStatus.ACTIVE)
        .order_by()
        .values_list("category_id", flat=True)
        .distinct()
    )
    fees = list(
        Task.objects.filter(merchant_id=user.pk)
        .order_by("-created_at")
        .values_list("slot_fee", flat=True)[:20]
    )
    typical = quantize(Decimal(median(fees))) if fees else None
    pool = _cached_pool(
        f"workbench:rec-pool:{','.join(sorted(merchant_cats))}",
        admitted_creators(),
        merchant_cats,
    )
    # Admission is checked again: the pool may be up to POOL_CACHE_SECONDS old.
    candidates = admitted_creators().filter(pk__in=pool).prefetch_related("categories")
    picks = []
    for c in candidates:
        cats = {cat.code: cat for cat in c.categories.all()}
        score = recommendation_score(
            creator_categories=set(cats),
            merchant_categories=merchant_cats,
            avg_viewers=c.avg_viewers,
            completed_tasks=c.completed_tasks,
            quote=c.quote,
            typical_slot_fee=typical,
        )
        reasons = []
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
    """
    creator = user.creator
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
    now = timezone.now()
    in_force = Binding.objects.filter(valid_from__lte=now).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )
    # NOT EXISTS (an index probe per creator visited) rather than NOT IN over every
    # binding: the pool's lists stop after a few rows each.
    recruitable = admitted_creators().filter(
        ~Exists(in_force.filter(creator_id=OuterRef("pk"))),
        ~Exists(
            Binding.objects.filter(
                creator_id=OuterRef("pk"), agency_id=user.pk, status=BindingStatus.INVITED
            )
        ),
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


def cases_for_workbench(*, limit: int = 3) -> list:
    """The first published success cases (2 queries: cases, figures)."""
    return list(success_cases()[:limit])


# --- 帮助中心 and 成功案例 -------------------------------------------------------


def help_categories() -> list:
    """Categories that have at least one published article, with their article counts."""
    return list(
        HelpCategory.objects.annotate(
            n=Count("articles", filter=Q(articles__published=True))
        ).filter(n__gt=0)
    )


def help_articles(*, q: str = "", category: str = "", audience: str = ""):
    """Published articles, optionally searched (title, summary and body, both languages)."""
    qs = HelpArticle.objects.published().select_related("category")
    if category:
        qs = qs.filter(category__slug=category)
    if audience:
        qs = qs.filter(audience__in=["all", audience])
    for term in q.split()[:5]:
        qs = qs.filter(
            Q(title_zh__icontains=term)
            | Q(title_en__icontains=term)
            | Q(summary_zh__icontains=term)
            | Q(summary_en__icontains=term)
            | Q(body_zh__icontains=term)
            | Q(body_en__icontains=term)
        )
    return qs.order_by("category__position", "position", "pk")


def help_article(*, slug: str):
    """One published article; unknown or unpublished is a 404."""
    return get_object_or_404(HelpArticle.objects.published().select_related("category"), slug=slug)


def related_articles(article, *, limit: int = 5) -> list:
    return list(
        HelpArticle.objects.published()
        .filter(category_id=article.category_id)
        .exclude(pk=article.pk)
        .order_by("position", "pk")[:limit]
    )


def success_cases(*, party_kind: str = ""):
    """Published success cases in the operators' order, figures prefetched."""
    qs = SuccessCase.objects.published().prefetch_related("figures")
    if party_kind:
        qs = qs.filter(party_kind=party_kind)
    return qs.order_by("position", "-created_at", "pk")


def success_case(*, slug: str):
    return get_object_or_404(SuccessCase.objects.published().prefetch_related("figures"), slug=slug)
