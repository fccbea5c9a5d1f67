"""通知: the notification center, the header badge, mark read, and delivery preferences."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotwave.exceptions import DomainError
from hotwave.http import htmx_template
from hotwave.pagecache import cached_page
from notifications import selectors, services
from notifications.forms import PreferencesForm

PAGE_SIZE = 20


@cached_page
@require_GET
def center(request):
    show = "all" if request.GET.get("show") == "all" else "unread"
    unread = selectors.unread_count(actor=request.user)
    paginator = Paginator(
        selectors.notifications_for(actor=request.user, unread_only=show == "unread"), PAGE_SIZE
    )
    if show == "unread":
        paginator.count = unread  # the list is the unread ones: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    context = {"page": page, "show": show, "unread": unread}
    return render(request, htmx_template(request, "notifications/center.html", "results"), context)


@require_GET
def badge(request):
    """The header's unread count (htmx, polled); a plain GET goes to the center."""
    if not request.htmx:
        return redirect("notifications:center")
    return render(
        request,
        "notifications/_badge.html",
        {"notifications_unread": selectors.unread_count(actor=request.user)},
    )


def _safe_target(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return ""


@require_GET
def open_notification(request, pk: int):
    """Follow a notification to the thing it is about; reading it marks it read."""
    note = selectors.notification_for(actor=request.user, pk=pk)
    services.notification_mark_read(notification=note)
    return redirect(_safe_target(request, note.url) or "notifications:center")


@require_POST
def read(request, pk: int):
    note = selectors.notification_for(actor=request.user, pk=pk)
    services.notification_mark_read(notification=note)
    return redirect(_back(request))


@require_POST
def read_all(request):
    n = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": n})
    return redirect(_back(request))


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/notifications/") and _safe_target(request, target):
        return target
    return "notifications:center"


@require_http_methods(["GET", "POST"])
def preferences(request):
    rows = selectors.preferences_for(actor=request.user)
    form = PreferencesForm(request.POST or None, initial_rows=rows)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.preferences_set(actor=request.user, choices=form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("通知设置已保存。"))
                return redirect("notifications:preferences")
        status = 422
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
        status=status,
    )
