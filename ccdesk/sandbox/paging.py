"""Opaque, tamper-evident paging cursors.

A cursor is base64url of `<filters>&next=<position>&sig=<hmac>`: it carries the page size, every filter and
the position after the last item returned (an immutable creation sequence, so pages stay stable while
contacts change). The HMAC key is per sandbox instance: an edited cursor, or one from another run, is 400.
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

    def make(self, kind: str, params: dict[str, str], after: int) -> str:
        payload = urlencode([*sorted(params.items()), ("next", str(after))])
        raw = f"{payload}&sig={self._sig(kind, payload)}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read(self, kind: str, cursor: str) -> tuple[list[tuple[str, str]], int]:
        """(the original query parameters, position) or ApiError 400."""
        bad = errors.validation("The cursor is invalid.")
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise bad from None
        payload, sep, sig = raw.rpartition("&sig=")
        if not sep or not hmac.compare_digest(sig, self._sig(kind, payload)):
            raise bad
        items = parse_qsl(payload, keep_blank_values=True, strict_parsing=True)
        if not items or items[-1][0] != "next":
            raise bad
        return items[:-1], int(items[-1][1])
