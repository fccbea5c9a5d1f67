"""Server-rendered SVG charts (no JavaScript, no CDN): geometry computed here,
drawn by ``templates/includes/line_chart.html``.

>>> chart = line_chart([(date(2026, 11, 1), Decimal("1.00")), ...], title="…")
>>> render(request, "x.html", {"chart": chart})   # {% include "includes/line_chart.html" with chart=chart %}

The value axis always includes zero: a negative day (a clawback larger than the
day's earnings) is drawn below a marked zero line, with negative ticks. Ticks are
round numbers (1, 2, 2.5 or 5 × 10ⁿ apart). Each chart is laid out twice, for a
wide screen and for a phone (fewer, larger labels, no sideways scrolling); the
page shows one by CSS. Every value is also in the data table under the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from hotwave.money import format_cny


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # date label
    value: str  # formatted value (for <title> tooltips and the data table)
    negative: bool = False


@dataclass(frozen=True)
class Layout:
    """One drawing of the chart at one size."""

    width: int
    height: int
    left: int  # where the plot starts (after the value labels)
    points: list[ChartPoint]
    path: str
    area: str
    zero_y: float
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]  # (x, label, text-anchor)
    label_y: int  # baseline of the date labels
    series2_path: str = ""


@dataclass(frozen=True)
class LineChart:
    title: str
    wide: Layout
    narrow: Layout
    points: list[ChartPoint]  # the data table (same order as the series)
    empty: bool
    has_negative: bool
    series_label: str = ""
    series2_label: str = ""

    # The wide layout's geometry, for callers that only ever drew one chart.
    @property
    def width(self) -> int:
        return self.wide.width

    @property
    def height(self) -> int:
        return self.wide.height

    @property
    def y_ticks(self) -> list[tuple[float, str]]:
        return self.wide.y_ticks

    @property
    def layouts(self) -> list[dict]:
        return [
            {"kind": "wide", "geometry": self.wide},
            {"kind": "narrow", "geometry": self.narrow},
        ]


# (width, height, left, right, top, bottom, how many date labels at most)
WIDE = (640, 200, 64, 12, 12, 28, 7)
NARROW = (360, 220, 58, 8, 12, 30, 4)
STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """The smallest round step (1, 2, 2.5, 5 × 10ⁿ) that covers ``span`` in ``ticks`` steps."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    exp = raw.adjusted()
    base = Decimal(10) ** exp
    for m in STEPS:
        if base * m >= raw:
            return base * m
    return base * 10  # pragma: no cover - STEPS ends with 10


def value_range(values: list[Decimal], ticks: int = 4) -> tuple[Decimal, Decimal, Decimal]:
    """(bottom, top, step) of an axis that includes 0 and every value, on round ticks."""
    lo, hi = min([*values, Decimal(0)]), max([*values, Decimal(0)])
    if lo == hi:
        hi = lo + 1
    step = nice_step(hi - lo, ticks)
    bottom = (lo / step).to_integral_value(ROUND_FLOOR) * step
    top = (hi / step).to_integral_value(ROUND_CEILING) * step
    return bottom, top, step


def _fmt(v: Decimal, money: bool) -> str:
    return format_cny(v) if money else f"{int(v):,}" if v == int(v) else f"{v:,.2f}"


def _tick(v: Decimal, money: bool) -> str:
    """A tick label: round values without trailing zeros (¥1,000, -¥50, ¥2.5)."""
    text = f"{abs(v):,f}".rstrip("0").rstrip(".") if v != int(v) else f"{abs(int(v)):,}"
    sign = "-" if v < 0 else ""
    return f"{sign}¥{text}" if money else f"{sign}{text}"


def _layout(series, values, values2, money, size) -> Layout:
    width, height, left, right, top_pad, bottom_pad, max_labels = size
    bottom, top, step = value_range([*values, *values2])
    inner_w, inner_h = width - left - right, height - top_pad - bottom_pad
    n = max(len(series) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return (
            round(left + inner_w * i / n, 1),
            round(top_pad + inner_h * float((top - v) / (top - bottom)), 1),
        )

    points = []
    for i, (day, v) in enumerate(series):
        x, y = xy(i, Decimal(v))
        points.append(ChartPoint(x, y, day.strftime("%m-%d"), _fmt(Decimal(v), money), v < 0))
    zero_y = xy(0, Decimal(0))[1]
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    area = f"{path} L{points[-1].x},{zero_y} L{points[0].x},{zero_y} Z" if points else ""
    path2 = ""
    if values2:
        coords = [xy(i, v) for i, v in enumerate(values2)]
        path2 = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    y_ticks = []
    v = bottom
    while v <= top:
        y_ticks.append((xy(0, v)[1], _tick(v, money)))
        v += step
    every = max(-(-len(points) // max_labels), 1)
    x_ticks = [(p.x, p.label) for i, p in enumerate(points) if i % every == 0]
    # The last day is labelled too, unless it would crowd the label before it; a label
    # at the right edge ends there instead of being cut in half.
    if points and (len(points) - 1) % every >= every / 2:
        x_ticks.append((points[-1].x, points[-1].label))
    x_ticks = [(x, label, "end" if x >= width - right - 1 else "middle") for x, label in x_ticks]
    return Layout(
        width=width,
        height=height,
        left=left,
        points=points,
        path=path,
        area=area,
        zero_y=zero_y,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        label_y=height - 8,
        series2_path=path2,
    )


def line_chart(
    series: list[tuple[date, Decimal | int]],
    *,
    title: str,
    money: bool = True,
    series_label: str = "",
    series2: list[tuple[date, Decimal | int]] | None = None,
    series2_label: str = "",
) -> LineChart:
    """Geometry for a daily line chart; ``series`` is ordered by date, one point per day."""
    values = [Decimal(v) for _, v in series]
    values2 = [Decimal(v) for _, v in (series2 or [])]
    wide = _layout(series, values, values2, money, WIDE)
    return LineChart(
        title=title,
        wide=wide,
        narrow=_layout(series, values, values2, money, NARROW),
        points=wide.points,
        empty=not any(values) and not any(values2),
        has_negative=any(v < 0 for v in [*values, *values2]),
        series_label=series_label,
        series2_label=series2_label,
    )
