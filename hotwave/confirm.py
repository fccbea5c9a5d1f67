"""Asking once before an irreversible or money-moving action (issue 13, defect 5).

The action's button is a GET form to the action's own URL. Without JavaScript
that GET is a confirmation page: what will happen, and a POST form that does it.
With JavaScript (static/js/confirm.js) the same GET, asked for by htmx's header,
returns just the confirmation, shown in the page's ``<dialog>`` (focus on the
safe choice, Esc closes it, the focus returns to the button). The POST is the
one the action always took, so nothing else about it changes.

Views answer the GET with ``render_confirmation(request, Confirmation(...))``;
templates draw the button with ``includes/confirm_button.html``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from hotwave.http import htmx_template


@dataclass
class Confirmation:
    """What one action will do, asked once before it is done."""

    title: str  # the question: 确认合作完成？
    body: str  # what will happen, and that it cannot be undone
    action: str  # the URL the POST goes to
    button: str  # the label of the button that does it
    back: str  # where 返回 leads without JavaScript (the page the action lives on)
    style: str = "btn--primary"  # btn--danger for what ends or removes something
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value) to check
    form: forms.Form | None = None  # fields the action takes (a reason)
    hidden: dict[str, str] = field(default_factory=dict)  # carried along (next)


def naming(template: str, **names: str) -> str:
    """``template`` % ``names``, each name marked as what a person typed (the |user filter).

    Shop names, nicknames and titles stay in the language they were written in; the
    English sweep skips them. The template is escaped first, the names by ``user``.
    """
    from hotwave.templatetags.hw import user

    return mark_safe(conditional_escape(template) % {k: user(v) for k, v in names.items()})  # noqa: S308


def back_url(request: HttpRequest, default: str) -> str:
    """A local ``next`` from the query string, else ``default``."""
    nxt = request.GET.get("next", "")
    if nxt.startswith("/") and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


def render_confirmation(
    request: HttpRequest, confirmation: Confirmation, *, status: int = 200
) -> HttpResponse:
    """The confirmation page, or (htmx) just its content for the page's dialog."""
    template = htmx_template(request, "confirm.html", "confirmation")
    response = render(request, template, {"confirmation": confirmation}, status=status)
    patch_vary_headers(response, ["HX-Request"])  # one URL, two answers
    return response
