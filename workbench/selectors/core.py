"""核心数据: the figures each role watches daily, with a 30-day trend.

Every figure comes from the other apps' read APIs (``settlement.selectors`` for
orders, the ledger and slot fees; ``cooperation.selectors.figures`` for tasks);
nothing here is stored or made up. A fixed number of queries per role, pinned
by tests/workbench/test_views.py with 10x the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Role
from cooperation.selectors import figures as cooperation_figures
from hotwave.charts import LineChart, line_chart
from hotwave.money import ZERO, format_cny, quantize
from hotwave.readcache import get_or_compute
from settlement.selectors import bound_creator_count, figures
from workbench.selectors.links import safe_reverse

SHANGHAI = ZoneInfo("Asia/Shanghai")

TREND_DAYS = 30  # the figures' window
CHART_WINDOWS = (7, 30, 90)  # the trend chart's 7/30/90-day switch


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
        return figures.daily_order_sums(
            party=party, party_id=user_id, since=since, until=until, **sums
        )

    key = f"wb:trend:{party}:{user_id}:{today.isoformat()}:{len(days)}:{','.join(sorted(sums))}"
    closed = get_or_compute(key, lambda: rows(days[0], today), TREND_TTL)
    return [*closed, *rows(today)]


def _q(v) -> Decimal:
    return quantize(Decimal(v or 0))


def _ledger_sums(user, party: str, since: date) -> dict[str, Decimal]:
    """The party's earnings since ``since`` and its balance (cached; see ``figures``)."""
    return figures.ledger_sums(party=party, user_id=user.pk, since=since)


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
        "merchant",
        user.pk,
        days,
        sales=Sum(figures.order_price()),
        fees=Sum(figures.fee_part("merchant")),
        orders=Count("pk"),
    )
    series = _daily(rows, ("sales", "fees", "orders"), days)
    all_sales = [_q(v) for v in series["sales"]]
    sales = all_sales[-TREND_DAYS:]
    fees = series["fees"][-TREND_DAYS:]
    sales_30, fees_30 = sum(sales, ZERO), _q(sum((Decimal(v) for v in fees), ZERO))
    slot_fees = figures.released_slot_fees(merchant_id=user.pk, since=days[-TREND_DAYS])
    cost = fees_30 + slot_fees
    roi = (sales_30 / cost).quantize(Decimal("0.01")) if cost else None
    stats = [
        Stat(_("昨日达人带货销售额"), sales[-2]),
        Stat(_("近7天销售额"), sum(sales[-7:], ZERO)),
        Stat(_("近30天销售额"), sales_30),
        Stat(_("近30天推广服务费"), fees_30, hint=_("按订单服务费率计，含未结算订单")),
        Stat(_("近30天订单数"), sum(series["orders"][-TREND_DAYS:]), kind="count"),
        Stat(
            _("进行中的合作任务"),
            cooperation_figures.open_task_count(party="merchant", party_id=user.pk),
            kind="count",
        ),
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
    rows = _trend_rows(
        "creator",
        user.pk,
        days,
        earn=Sum(figures.fee_part("creator")),
        sales=Sum(figures.order_price()),
    )
    series = _daily(rows, ("earn", "sales"), days)
    earn = [_q(v) for v in series["earn"]]
    ledger = _ledger_sums(user, "creator", today.replace(day=1))
    stats = [
        Stat(_("昨日预估收益"), earn[-2], hint=_("按支付订单预估，结算后以资金账户为准")),
        Stat(_("本月已结算收益"), ledger["earned"]),
        Stat(_("账户余额"), ledger["balance"], hint=_("待打款或待抵扣的金额")),
        Stat(_("近30天带货销售额"), sum((_q(v) for v in series["sales"][-TREND_DAYS:]), ZERO)),
        Stat(
            _("进行中的合作任务"),
            cooperation_figures.open_task_count(party="creator", party_id=user.pk),
            kind="count",
        ),
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
    rows = _trend_rows(
        "agency",
        user.pk,
        days,
        share=Sum(figures.fee_part("agency")),
        sales=Sum(figures.order_price()),
    )
    series = _daily(rows, ("share", "sales"), days)
    all_share = [_q(v) for v in series["share"]]
    share = all_share[-TREND_DAYS:]
    sales = [_q(v) for v in series["sales"][-TREND_DAYS:]]
    ledger = _ledger_sums(user, "agency", today.replace(day=1))
    bound = bound_creator_count(agency_id=user.pk)
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
