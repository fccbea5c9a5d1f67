"""Formatting-only template filters: money, rates, counts. No logic."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotwave.formats import compact_count, format_pct
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
    """Large counts per language: 12,345 → 1.2万 (Chinese) / 12.3K (English); 1.2亿 / 123.5M."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return "—"
    return compact_count(n)


@register.filter
def localdt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime in Asia/Shanghai (the current time zone)."""
    if not value:
        return "—"
    return timezone.localtime(value).strftime(fmt)


@register.filter
def user(value) -> str:
    """What people typed (nicknames, shop names, product titles, notes), marked as theirs.

    ``<span data-user-content>…</span>``: the English check skips it (it stays in the
    language it was written in), and it keeps its own escaping.
    """
    return format_html("<span data-user-content>{}</span>", value)


_FIGURE = re.compile(r"\s*([0-9][0-9.,]*)\s*(倍|位)\s*")


@register.filter
def figure(value) -> str:
    """A figure as operators write it ("3.1 倍", "20 位", "¥128,000"), unit per language.

    The counted units come from the catalogue (3.1×, 20 in English); anything else is
    shown as written.
    """
    text = str(value or "")
    match = _FIGURE.fullmatch(text)
    if not match:
        return text
    number, unit = match.groups()
    if unit == "倍":
        return _("%(n)s 倍") % {"n": number}
    plain = number.replace(",", "")
    count = int(plain) if plain.isascii() and plain.isdigit() else 2
    return ngettext("%(n)s 位", "%(n)s 位", count) % {"n": number}


@register.inclusion_tag("includes/product_thumb.html")
def product_thumb(product=None, size: int = 48, *, thumb=None, title=None) -> dict:
    """A product's thumbnail at a fixed size (no layout shift), or a placeholder.

    ``{% product_thumb product 48 %}`` reads ``product.thumb_name`` — the first image's
    thumbnail, annotated by the selector (``cooperation.models.first_thumb``) so that a
    list costs no query per row — and ``product.title``. Rows that are not products
    pass both: ``{% product_thumb thumb=o.product_thumb title=o.product_title %}``.
    """
    from django.core.files.storage import default_storage

    if product is not None:
        thumb = getattr(product, "thumb_name", None)
        title = product.title
    title = str(title or "")
    return {
        "url": default_storage.url(thumb) if thumb else "",
        "title": title,
        "initial": title[:1],
        "size": int(size),
    }


@register.simple_tag
def stars(value, out_of: int = 5) -> str:
    """★★★★☆ for 4 of 5 (whole stars; an average is rounded half-up first)."""
    try:
        n = int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    n = max(0, min(out_of, n))
    return "★" * n + "☆" * (out_of - n)


@register.filter
def pct(value) -> str:
    """A stored rate (0–1) as a percentage: 0.9650 → 96.5% (hotwave.formats.format_pct)."""
    return format_pct(value)
