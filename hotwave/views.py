"""Project-level views: login, health, styled error pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hotwave.clientip import client_ip
from hotwave.forms import (
    LoginForm,
    OurPasswordChangeForm,
    OurPasswordResetForm,
    OurSetPasswordForm,
)
from hotwave.ratelimit import hit, parse_rate, spent


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """Login. Besides axes' lockout per (username, IP), failed logins are limited per
    client IP (``LOGIN_FAILURES_PER_IP``), so trying many usernames once each is
    throttled too."""

    form_class = LoginForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def get_redirect_url(self) -> str:
        """The safe ``next``, unless it is a URL that only makes sense as a POST (the language switch)."""
        url = super().get_redirect_url()
        return "" if url and not is_page(url) else url

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


# --- Passwords: django.contrib.auth's views, our templates and forms ------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码 (logged in). Wrong current passwords count toward axes' lockout."""

    form_class = OurPasswordChangeForm
    template_name = "registration/password_change_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """忘记密码: the same answer for every address; requests are throttled per client.

    Over the limit (settings.HOTWAVE_PASSWORD_RESET_RATE per client IP) nothing
    is sent, and the answer is still the same page.
    """

    form_class = OurPasswordResetForm
    template_name = "registration/password_reset_form.html"

    def form_valid(self, form):
        from django.shortcuts import redirect

        rate = parse_rate(settings.HOTWAVE_PASSWORD_RESET_RATE)
        if rate is not None and hit("password-reset", client_ip(self.request), rate):
            return redirect(self.get_success_url())
        return super().form_valid(form)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the email: choose a new password. No automatic login (axes decides)."""

    form_class = OurSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    post_reset_login = False


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


# URLs that answer a POST and are never a page to land on after login.
NOT_PAGES = {"set_language", "logout"}


def is_page(url: str) -> bool:
    """Whether ``url`` (a local path) is a page a user can be sent to, not a POST-only endpoint."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return True  # a 404 after login explains itself
    return match.view_name not in NOT_PAGES


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


# Uploaded files are written under names never reused (cooperation.services.images):
# a URL always means the same bytes, so browsers and proxies may keep it for a year.
MEDIA_CACHE_SECONDS = 60 * 60 * 24 * 365
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


@login_not_required
@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded product images from the file-system storage, DEBUG or not.

    Only images are served (by extension: every stored file was re-encoded as one),
    from the default storage, which refuses paths outside MEDIA_ROOT. Product images
    are public (cards show them to every signed-in party and they carry nothing
    private), so they are cached as public; with MEDIA_STORAGE=s3 pages use the
    bucket's own URLs and this route finds nothing.
    """
    import posixpath

    from django.core.exceptions import SuspiciousFileOperation
    from django.core.files.storage import default_storage
    from django.http import FileResponse, Http404
    from django.utils.cache import patch_cache_control

    content_type = MEDIA_TYPES.get(posixpath.splitext(path)[1].lower())
    if content_type is None:
        raise Http404
    try:
        handle = default_storage.open(path, "rb")
    except (OSError, SuspiciousFileOperation, NotImplementedError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    patch_cache_control(response, public=True, max_age=MEDIA_CACHE_SECONDS, immutable=True)
    response.public_media = True  # PrivateResponsesMiddleware leaves it cacheable
    return response


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
