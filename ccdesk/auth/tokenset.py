"""The tokens of one signed-in account, and their JSON form for the keyring.

Token values are secrets: `repr`/`str` never show them, so a TokenSet can be logged or end up in a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ccdesk.api.errors import MalformedResponse

FORMAT_VERSION = 1


@dataclass(frozen=True, repr=False)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    scope: str = ""
    id_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be an aware datetime")

    def __repr__(self) -> str:
        return (f"TokenSet(access_token=<hidden>, refresh_token={'<hidden>' if self.refresh_token else None}, "
                f"expires_at={self.expires_at.isoformat()}, scope={self.scope!r}, "
                f"id_token={'<hidden>' if self.id_token else None})")

    __str__ = __repr__

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        """True when the access token is expired or will be within `margin`."""
        return self.expires_at - margin <= now

    @classmethod
    def from_token_response(cls, body: Any, now: datetime, previous: TokenSet | None = None) -> TokenSet:
        """Build from a token-endpoint answer.

        A refresh answer without `refresh_token` keeps the previous one (RFC 6749 §6: the old one stays valid);
        the same goes for `id_token` and `scope`.
        """
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise MalformedResponse("The sign-in server's answer has no access token.")
        if str(body.get("token_type", "Bearer")).lower() != "bearer":
            raise MalformedResponse(f"The sign-in server issued a {body.get('token_type')!r} token, not Bearer.")
        try:
            expires_in = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            raise MalformedResponse("The sign-in server's answer has an invalid expires_in.") from None
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else None)
        id_token = body.get("id_token") or (previous.id_token if previous else None)
        scope = body.get("scope") or (previous.scope if previous else "")
        return cls(body["access_token"], refresh, now + timedelta(seconds=expires_in), str(scope), id_token)

    def to_json(self) -> str:
        return json.dumps({
            "v": FORMAT_VERSION,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.astimezone(UTC).isoformat(),
            "scope": self.scope,
            "id_token": self.id_token,
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Parse what `to_json` wrote; ValueError when it is not that (corrupt or from a newer ccdesk)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
            raise ValueError("not a ccdesk token set (or an unknown format version)")
        try:
            return cls(str(data["access_token"]), data.get("refresh_token"),
                       datetime.fromisoformat(data["expires_at"]), str(data.get("scope", "")), data.get("id_token"))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"incomplete token set: {type(exc).__name__}") from None
