"""Links the workbench sections point to."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def safe_reverse(name: str, *, query: str = "", kwargs: dict | None = None) -> str | None:
    """The URL of ``name`` (plus ``?query``), or None while that page is not routed."""
    try:
        url = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url
