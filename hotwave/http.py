"""Shared HTTP helpers for views."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def htmx_template(request: HttpRequest, template: str, partial: str) -> str:
    """The whole page normally; just the named partial for an htmx request."""
    return f"{template}#{partial}" if getattr(request, "htmx", False) else template
