"""Server-rendered SVG charts (no JavaScript, no CDN): geometry computed here,
drawn by ``templates/includes/line_chart.html``.

>>> chart = line_chart([(date(2026, 11, 1), Decimal("1.00")), ...], title="…")
>>> render(request, "x.html", {"chart": chart})   # {% include "includes/line_chart.html" with chart=chart %}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hotwave.money import format_cny

WIDTH, HEIGHT = 640, 200
PAD_L, PAD_R, PAD_T, PAD_B = 56, 12, 12, 28


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # date label
    value: str  # formatted value (for <title> tooltips and the data table)


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    points: list[ChartPoint]
    path: str
    area: str
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    empty: bool
    series2_path: str = ""
    series2_label: str = ""
    series_label: str = ""


def _nice_max(v: Decimal) -> Decimal:
    if v <= 0:
        return Decimal(1)
    exp = len(str(int(v))) - 1
    base = Decimal(10) ** exp
    for m in (1, 2, 2.5, 5, 10):
        cand = base * Decimal(str(m))
        if cand >= v:
            return cand
    return base * 10  # pragma: no cover


def _fmt(v: Decimal, money: bool) -> str:
    return format_cny(v) if money else f"{int(v):,}" if v == int(v) else f"{v:,.2f}"


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
    top = _nice_max(max([*values, *values2, Decimal(0)]))
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    n = max(len(series) - 1, 1)

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        return PAD_L + inner_w * i / n, PAD_T + inner_h * float(1 - v / top)

    points = []
    for i, (day, v) in enumerate(series):
        x, y = xy(i, Decimal(v))
        points.append(
            ChartPoint(round(x, 1), round(y, 1), day.strftime("%m-%d"), _fmt(Decimal(v), money))
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    base_y = PAD_T + inner_h
    area = f"{path} L{points[-1].x},{base_y} L{points[0].x},{base_y} Z" if points else ""
    path2 = ""
    if values2:
        coords = [xy(i, v) for i, v in enumerate(values2)]
        path2 = " ".join(
            f"{'M' if i == 0 else 'L'}{round(x, 1)},{round(y, 1)}"
            for i, (x, y) in enumerate(coords)
        )
    y_ticks = [
        (round(PAD_T + inner_h * (1 - k / 4), 1), _fmt(top * Decimal(k) / 4, money))
        for k in range(5)
    ]
    step = max(len(points) // 6, 1)
    x_ticks = [
        (p.x, p.label) for i, p in enumerate(points) if i % step == 0 or i == len(points) - 1
    ]
    return LineChart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        points=points,
        path=path,
        area=area,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        empty=not any(values) and not any(values2),
        series2_path=path2,
        series2_label=series2_label,
        series_label=series_label,
    )
