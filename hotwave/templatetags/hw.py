"""Formatting-only template filters: money, rates, counts. No logic."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

from hotwave.money import format_cny

register = template.Library()


@register.filter
def cny(value) -> str:
    """¥1,234.50"""
    if value is None or value == "":
        return "—"
    try:
        return format_cny(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return "—"


@register.filter
def rate(value) -> str:
    """A fraction as a percentage: Decimal('0.155') → 15.5%."""
    if value is None or value == "":
        return "—"
    try:
        pct = (Decimal(str(value)) * 100).normalize()
    except (InvalidOperation, ValueError):
        return "—"
    text = f"{pct:f}"
    return f"{text}%"


@register.filter
def count(value) -> str:
    """Large counts the Chinese way: 12,345 → 1.2万; 123,456,789 → 1.2亿."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return "—"
    if abs(n) >= 100_000_000:
        return f"{n / 100_000_000:.1f}亿"
    if abs(n) >= 10_000:
        return f"{n / 10_000:.1f}万"
    return f"{n:,}"


@register.filter
def localdt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime in Asia/Shanghai (the current time zone)."""
    if not value:
        return "—"
    return timezone.localtime(value).strftime(fmt)
