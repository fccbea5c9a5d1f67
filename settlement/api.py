"""POST /api/events/: the signed events endpoint (SPEC §6).

The body is a JSON array of event objects, signed with HMAC-SHA256 of the raw
body under ``HOTWAVE_EVENTS_SECRET``, hex in ``X-Hotwave-Signature``. Unsigned
or wrongly signed requests get 401 and nothing is stored; bodies over
``HOTWAVE_EVENTS_MAX_BYTES`` get 413. The answer lists one result per event.

Each client (IP address, behind ``PROXY_COUNT`` trusted proxies) may send
``HOTWAVE_EVENTS_RATE`` requests per window (fixed window in the cache, see
``hotwave.ratelimit``); more get 429 with ``Retry-After`` and nothing is read or
stored. Every request counts, signed or not, so the limit also slows down
guessing signatures. If the cache is down the limit is skipped (logged): events
keep flowing without Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hotwave.clientip import client_ip
from hotwave.ratelimit import hit, parse_rate
from settlement.services.events import ingest_objects

SIGNATURE_HEADER = "X-Hotwave-Signature"


def sign(body: bytes, secret: str | None = None) -> str:
    """The hex HMAC-SHA256 of ``body`` (what a sender puts in X-Hotwave-Signature)."""
    key = (secret if secret is not None else settings.HOTWAVE_EVENTS_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


@csrf_exempt
@login_not_required
@require_POST
def events(request):
    rate = parse_rate(settings.HOTWAVE_EVENTS_RATE)
    if rate is not None:
        retry_after = hit("events", client_ip(request) or "unknown", rate)
        if retry_after is not None:
            response = _error(
                429,
                "rate_limited",
                f"over {rate.count} requests per {rate.period} s; retry in {retry_after} s",
            )
            response["Retry-After"] = str(retry_after)
            return response
    limit = settings.HOTWAVE_EVENTS_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, "too_large", f"body over {limit} bytes")
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "too_large", f"body over {limit} bytes")
    if len(body) > limit:
        return _error(413, "too_large", f"body over {limit} bytes")
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    # Constant-time comparison; a missing header compares against "" and fails.
    if not given or not hmac.compare_digest(given.encode(), sign(body).encode()):
        return _error(401, "bad_signature", f"missing or wrong {SIGNATURE_HEADER}")
    try:
        objects = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json", "body is not valid JSON")
    except RecursionError:
        return _error(400, "bad_json", "body is nested too deeply to be a list of events")
    if not isinstance(objects, list):
        return _error(400, "not_array", "body must be a JSON array of events")
    tally = ingest_objects(objects)
    return JsonResponse(
        {
            "accepted": tally.accepted,
            "duplicates": tally.duplicates,
            "rejected": tally.rejected,
            "results": [o.as_dict() for o in tally.outcomes],
        }
    )
