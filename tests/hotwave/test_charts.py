"""The trend charts' geometry (hotwave/charts.py): zero line, round ticks, two layouts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hotwave.charts import line_chart, nice_step, value_range

DAY = date(2026, 11, 1)


def series(*values):
    return [(DAY + timedelta(days=i), Decimal(str(v))) for i, v in enumerate(values)]


def test_ticks_are_round_numbers():
    assert nice_step(Decimal("137.71")) == Decimal(50)
    assert nice_step(Decimal("9")) == Decimal("2.5")
    assert value_range([Decimal("137.71")]) == (Decimal(0), Decimal(150), Decimal(50))
    chart = line_chart(series(12.5, 137.71, 40), title="t")
    assert [label for _y, label in chart.wide.y_ticks] == ["¥0", "¥50", "¥100", "¥150"]


def test_a_negative_day_is_drawn_below_the_zero_line_with_negative_ticks():
    chart = line_chart(series(30, -8.2, 44.1), title="t")
    labels = [label for _y, label in chart.wide.y_ticks]
    assert labels[0].startswith("-¥") and "¥0" in labels
    negative = chart.wide.points[1]
    assert negative.negative and negative.y > chart.wide.zero_y  # SVG y grows downwards
    assert all(p.y < chart.wide.zero_y for p in chart.wide.points if not p.negative)
    assert chart.has_negative and chart.points[1].value == "-¥8.20"


def test_the_phone_layout_is_narrower_with_fewer_date_labels():
    chart = line_chart(series(*range(30)), title="t")
    assert chart.narrow.width < chart.wide.width
    assert 2 <= len(chart.narrow.x_ticks) <= 5 < len(chart.wide.x_ticks)
    assert chart.narrow.x_ticks[-1][1] == "11-30" and chart.wide.x_ticks[-1][1] == "11-30"
    assert chart.narrow.x_ticks[-1][2] == "end"  # not cut at the right edge


def test_an_empty_series_still_has_an_axis():
    chart = line_chart(series(0, 0, 0), title="t")
    assert chart.empty and chart.wide.y_ticks[0][1] == "¥0"
