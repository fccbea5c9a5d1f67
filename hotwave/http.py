"""Shared HTTP helpers for views."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def htmx_template(request: HttpRequest, template: str, partial: str) -> str:
    """The whole page normally; just the named partial for an htmx request.

    A history-restore request (back button after htmx's cache missed) needs
    the whole page, so it gets it.
    """
    htmx = getattr(request, "htmx", None)
    return f"{template}#{partial}" if htmx and not htmx.history_restore_request else template
