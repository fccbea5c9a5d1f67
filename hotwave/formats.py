"""Numbers as people read them in the current language (one place, used by the ``count``
template filter and by selectors that write figures into sentences)."""

from __future__ import annotations

from django.utils.translation import get_language


def compact_count(n: int) -> str:
    """12,345 → "1.2万" in Chinese, "12.3K" in English; 1,234,567 → "123.5万" / "1.2M".

    Below ten thousand both write the whole number with thousands separators.
    """
    if abs(n) < 10_000:
        return f"{n:,}"
    if (get_language() or "").startswith("zh"):
        if abs(n) >= 100_000_000:
            return f"{n / 100_000_000:.1f}亿"
        return f"{n / 10_000:.1f}万"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if abs(n) >= size:
            value = n / size
            text = f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{n:,}"  # pragma: no cover - unreachable


def format_pct(value) -> str:
    """A rate (0–1) as a percentage with at most one decimal, half-up: 0.9650 → 96.5%."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return "—"
    try:
        number = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")
    except (InvalidOperation, ValueError):
        return "—"
    return f"{number:f}".removesuffix(".0") + "%"
