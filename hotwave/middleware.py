"""Project middleware."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout


class IdleSessionTimeoutMiddleware:
    """Log out a session idle for SESSION_IDLE_TIMEOUT seconds, or older than SESSION_COOKIE_AGE.

    The absolute lifetime is checked here, from the login (stamped in the session):
    Django's own expiry slides (every session save, e.g. the once-a-minute "last
    seen" below, moves ``expire_date`` and the cookie to now + SESSION_COOKIE_AGE).
    """

    key = "_hw_last_seen"
    started_key = "_hw_started"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(time.time())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            last = request.session.get(self.key)
            started = request.session.get(self.started_key, now)
            idle = last is not None and now - int(last) > settings.SESSION_IDLE_TIMEOUT
            if idle or now - int(started) > settings.SESSION_COOKIE_AGE:
                logout(request)
            # Write at most once a minute to avoid a session save per request.
            elif last is None or now - int(last) > 60:
                request.session[self.key] = now
        response = self.get_response(request)
        # Stamp the start on the request that logged in (or the first one seen after).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and self.started_key not in request.session:
            request.session[self.started_key] = now
        return response


class ChineseByDefaultMiddleware:
    """Chinese (zh-hans) is the product's default whatever the browser asks for.

    The language changes only through the language switch (Django's
    ``set_language`` cookie), so a browser sending ``Accept-Language: en-US``
    still sees the Chinese labels of the SPEC. Must run before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session expired gets HX-Redirect to the login page.

    Otherwise htmx would swap the login page into whatever fragment it was
    refreshing (e.g. the workbench's 待办事项 every 60 s).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and response.status_code in (301, 302)
            and response.get("Location", "").startswith(str(settings.LOGIN_URL_PATH))
        ):
            from django.http import HttpResponse

            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = response["Location"]
            return redirect
        return response


class RejectNulQueryMiddleware:
    """A NUL character in the query string is a 400, before any view sees it.

    No page has a use for it, and PostgreSQL refuses NUL in text parameters (a
    search for ``?q=%00`` would otherwise end in a database error). Forms already
    refuse NUL in their fields; this covers the parameters views read directly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in value for _, values in request.GET.lists() for value in values):
            from hotwave.views import bad_request

            return bad_request(request)
        return self.get_response(request)


PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)


class PrivateResponsesMiddleware:
    """Headers no other middleware sets.

    * ``Permissions-Policy`` on every response: the product uses no camera,
      microphone, location, payment or other powerful browser feature.
    * ``Cache-Control: no-store`` on every response to a signed-in user (money:
      资金账户, its CSV export and order pages; tasks; the workbench's figures) and
      on the events API's answers: nothing private stays in a browser's or a
      proxy's cache. Static files are served before this middleware runs; uploaded
      product images (``hotwave.views.media``) stay publicly cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.cache import patch_cache_control

        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        private = user is not None and user.is_authenticated
        match = getattr(request, "resolver_match", None)
        public_media = getattr(response, "public_media", False)  # hotwave.views.media
        if not public_media and (
            private or (match is not None and match.namespace == "settlement")
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response
