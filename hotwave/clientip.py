"""The client's IP address, behind ``PROXY_COUNT`` trusted reverse proxies.

Each trusted proxy appends the address it received the request from to
``X-Forwarded-For``, so with N proxies the real client is the N-th entry from
the right. Anything further left was sent by the client and can be forged; it
is ignored. With no proxy (``PROXY_COUNT=0``) the header is ignored entirely
and ``REMOTE_ADDR`` is the client.

Used for login throttling (``AXES_CLIENT_IP_CALLABLE``), the events
endpoint's rate limit and the IP recorded with an agreement signature, so all
three see the same address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client as seen by the first trusted proxy (or REMOTE_ADDR)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        # Fewer hops than trusted proxies: the request did not come through all of
        # them (misconfiguration, or a direct hit). Don't trust the header.
        return remote
    return _valid(hops[-proxies]) or remote
