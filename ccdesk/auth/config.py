"""Which authorization server and app registration ccdesk signs in with."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_AUTH_BASE = "https://authz.constantcontact.com"
# Constant Contact only redirects to a URI registered for the app, compared exactly, so the port cannot be chosen
# at random: it is fixed, and this exact URI must be registered in the developer portal. 28461 lies outside the
# Linux (32768-60999) and Windows (49152-65535) ephemeral ranges and is not a well-known tool's port (rclone's
# 53682 is). The IP literal, not "localhost", avoids a lookup that may answer ::1 (RFC 8252 §8.3).
DEFAULT_REDIRECT_URI = "http://127.0.0.1:28461/callback"
# contact_data: every endpoint ccdesk calls. offline_access: a refresh token, so the user stays signed in past the
# 24 h access-token lifetime. No `openid`: ccdesk never reads the user's identity from an ID token.
DEFAULT_SCOPES: tuple[str, ...] = ("contact_data", "offline_access")
OAUTH_PREFIX = "/oauth2/default/v1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class AuthConfig:
    client_id: str
    auth_base: str = DEFAULT_AUTH_BASE
    redirect_uri: str = DEFAULT_REDIRECT_URI  # port 0 = any free port (tests and the sandbox only)
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    def __post_init__(self) -> None:
        if not self.client_id.strip():
            raise ValueError("client_id (the app's API key) is required")
        base = urlsplit(self.auth_base)
        if base.scheme != "https" and not (base.scheme == "http" and base.hostname in LOOPBACK_HOSTS):
            raise ValueError("auth_base must be https (plain http only for a local sandbox)")
        redirect = urlsplit(self.redirect_uri)
        if redirect.scheme != "http" or redirect.hostname not in LOOPBACK_HOSTS or redirect.port is None:
            raise ValueError("redirect_uri must be http://127.0.0.1:PORT/path or http://localhost:PORT/path "
                             "(the loopback listener)")
        if not self.scopes:
            raise ValueError("at least one scope is required")

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    @property
    def redirect_port(self) -> int:
        return urlsplit(self.redirect_uri).port or 0

    @property
    def redirect_host(self) -> str:
        """The host name the redirect URI was registered with; the listener binds 127.0.0.1 whatever it is."""
        return urlsplit(self.redirect_uri).hostname or "127.0.0.1"

    @property
    def redirect_path(self) -> str:
        return urlsplit(self.redirect_uri).path or "/"

    def _url(self, endpoint: str) -> str:
        return f"{self.auth_base.rstrip('/')}{OAUTH_PREFIX}/{endpoint}"

    @property
    def authorize_url(self) -> str:
        return self._url("authorize")

    @property
    def token_url(self) -> str:
        return self._url("token")

    @property
    def device_authorize_url(self) -> str:
        return self._url("device/authorize")
