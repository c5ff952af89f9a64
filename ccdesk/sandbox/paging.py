"""Opaque, tamper-evident paging cursors.

A cursor is base64url of `<filters>&at=<issued ms>&next=<position>&sig=<hmac>`: it carries the page size,
every filter, when it was issued and the position after the last item returned (an immutable creation
sequence, so pages stay stable while contacts change). The HMAC key is per sandbox instance: an edited
cursor, or one from another run, is 400; so is one older than the link lifetime, when one is set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

from . import errors


class Cursors:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sig(self, kind: str, payload: str) -> str:
        mac = hmac.new(self._secret, f"{kind}|{payload}".encode(), hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac).decode()

    def make(self, kind: str, params: dict[str, str], after: int, issued_ms: int = 0) -> str:
        payload = urlencode([*sorted(params.items()), ("at", str(issued_ms)), ("next", str(after))])
        raw = f"{payload}&sig={self._sig(kind, payload)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read(self, kind: str, cursor: str, now_ms: int = 0, ttl_ms: int = 0) -> tuple[list[tuple[str, str]], int]:
        """(the original query parameters, position) or ApiError 400 (also when older than `ttl_ms` > 0)."""
        bad = errors.validation("The cursor is invalid.")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise bad from None
        payload, sep, sig = raw.rpartition("&sig=")
        if not sep or not hmac.compare_digest(sig, self._sig(kind, payload)):
            raise bad
        items = parse_qsl(payload, keep_blank_values=True, strict_parsing=True)
        if len(items) < 2 or items[-1][0] != "next" or items[-2][0] != "at":
            raise bad
        if ttl_ms > 0 and now_ms - int(items[-2][1]) > ttl_ms:
            raise errors.validation("The cursor has expired; start the listing again.")
        return items[:-2], int(items[-1][1])
