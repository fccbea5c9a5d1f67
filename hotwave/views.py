"""Project-level views: login, health, styled error pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from hotwave.clientip import client_ip
from hotwave.forms import LoginForm
from hotwave.ratelimit import hit, parse_rate, spent


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """Login. Besides axes' lockout per (username, IP), failed logins are limited per
    client IP (``LOGIN_FAILURES_PER_IP``), so trying many usernames once each is
    throttled too."""

    form_class = LoginForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def post(self, request, *args, **kwargs):
        rate = parse_rate(settings.LOGIN_FAILURES_PER_IP)
        ip = client_ip(request) or "unknown"
        if rate is not None and spent("login-failures", ip, rate) is not None:
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        rate = parse_rate(settings.LOGIN_FAILURES_PER_IP)
        if rate is not None and form.is_bound:
            hit("login-failures", client_ip(self.request) or "unknown", rate)
        return super().form_invalid(form)


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness plus a database round trip; 503 when the database is down."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
    except Exception:  # noqa: BLE001 - any DB error means "not ready"
        return JsonResponse({"status": "database unavailable"}, status=503)


def _error(request: HttpRequest, status: int, template: str) -> HttpResponse:
    return render(request, template, status=status)


@login_not_required
def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 400, "errors/400.html")


@login_not_required
def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 403, "errors/403.html")


@login_not_required
def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, 404, "errors/404.html")


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the DB may be the problem.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
