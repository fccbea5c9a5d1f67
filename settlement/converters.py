"""The URL converter for order ids: every id the import accepts makes a link that opens.

Order ids come from the trade system and may hold anything the import accepts
(up to 64 characters, no control characters): ``/``, ``?``, ``#``, ``%``, or be
``.`` / ``..``, which a browser rewrites before asking (dot segments). A plain
id is its own path segment, as before (``/funds/orders/T1001/``); any other is
``~`` followed by the base64url of its UTF-8 (``/funds/orders/~VC8x/`` for
``T/1``). ``~`` never starts a plain id, so the two forms never collide.
"""

from __future__ import annotations

import base64
import binascii
import re

_PLAIN = re.compile(r"[^/\\?#%~]+")
_DOT_SEGMENTS = frozenset({".", ".."})


class OrderIdConverter:
    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        if not value.startswith("~"):
            return value
        try:
            padded = value[1:] + "=" * (-len(value[1:]) % 4)
            return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        except (binascii.Error, UnicodeError, ValueError):
            raise ValueError(value) from None  # the resolver's "no match": a 404

    def to_url(self, value: str) -> str:
        if _PLAIN.fullmatch(value) and value not in _DOT_SEGMENTS:
            return value
        return "~" + base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=")
