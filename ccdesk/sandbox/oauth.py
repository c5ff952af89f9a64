"""The sandbox's OAuth2 authorization server: Constant Contact's Okta-style "default" server, emulated.

Served on the sandbox's own host beside /v3, at the real paths (/oauth2/default/v1/...). It follows
shared/reference/constant-contact-v3.md §1; where that says "unconfirmed" the RFC behaviour is used
(RFC 6749 OAuth 2.0, RFC 7636 PKCE, RFC 8628 device authorization grant).

Choices a real server may make differently, written down so a failing test is not mistaken for CC behaviour:

- Without `--app`, there is no app registry: any non-empty client_id is accepted, and redirect URIs must be
  loopback (http://127.0.0.1:PORT/... or http://localhost:PORT/...). With `--app` (oauth_apps.py) only registered
  apps sign in, each with its one flow, and a PKCE app's redirect URI must be one registered, exactly. Either
  way the token exchange must send the same redirect URI as the authorize request.
- A code requested without `code_challenge` belongs to a confidential client: its exchange must authenticate with
  HTTP Basic (any secret is accepted). With a challenge the exchange must carry the matching S256 `code_verifier`.
- Codes live `code_lifetime_s` (300) and are single-use; a replayed code is refused and the tokens issued from it
  are revoked (RFC 6749 §4.1.2).
- `id_token` only when `openid` is requested (Okta behaviour). It is an HS256 JWT signed with a random per-server
  key that is never published: clients must not try to verify it.
- Access tokens are JWTs (jwt.py: claims `exp`, `scope`, `cid`, `sub`, ...), as Constant Contact's are; the
  sandbox still checks them against TokenRegistry (expiry, revocation), not by their claims.
- Device verification page: /activate (Okta's path), where the user code is approved or denied.

Tests reach the server through `TokenRegistry.oauth` (set when the routes are built) to approve or deny device
codes, invalidate refresh tokens and count token-endpoint requests.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .jwt import JwtSigner
from .oauth_apps import AppRegistry, TokenEndpointLimits
from .oauth_device import ACTIVATE_PATH, KNOWN_SCOPES, DeviceEndpoints, DeviceGrant
from .oauth_web import (
    AUTHORIZE_PATH,
    NO_STORE,
    OAuthError,
    approval_page,
    basic_client,
    page,
    parse_form,
    redirect,
    redirect_uri_problem,
    s256,
    split_scope,
)
from .tokens import TokenRegistry

TOKEN_PATH = "/oauth2/default/v1/token"
DEVICE_AUTHORIZE_PATH = "/oauth2/default/v1/device/authorize"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

REFRESH_IDLE_S = 180 * 86400  # either kind of refresh token expires when unused for 180 days (forum)
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


@dataclass
class _AuthRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str | None
    expires_at: float


@dataclass
class _AuthCode:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    expires_at: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[str] = field(default_factory=list)


@dataclass
class _RefreshGrant:
    client_id: str
    scope: str
    last_used: float
    valid: bool = True
    family: str = ""       # the sign-in this chain of tokens comes from
    rotated: bool = False  # used once and replaced (rotating mode)


class OAuthServer(DeviceEndpoints):
    """State and handlers of the sandbox authorization server.

    `options` is the sandbox's SandboxConfig (auto_approve, refresh_tokens "rotating" | "long-lived",
    token_lifetime_s, clock); it is read on every request, so a test may change it while the server runs.
    """

    def __init__(self, tokens: TokenRegistry, options: Any = None) -> None:
        self.tokens = tokens
        self.options = options
        self.code_lifetime_s: float = getattr(options, "code_lifetime_s", 300.0)
        self.device_expires_in_s: float = getattr(options, "device_expires_in_s", 600.0)
        self.device_interval_s: float = getattr(options, "device_interval_s", 5.0)
        self.approval_lifetime_s: float = 600.0
        self.token_requests: Counter[str] = Counter()  # by grant_type
        self._lock = threading.RLock()  # tests call the controls from another thread than uvicorn's
        self._pending: dict[str, _AuthRequest] = {}
        self._codes: dict[str, _AuthCode] = {}
        self._refresh: dict[str, _RefreshGrant] = {}
        self._family_access: dict[str, list[str]] = {}  # access tokens by sign-in (refresh_reuse_revokes)
        self._devices: dict[str, DeviceGrant] = {}
        self._id_key = secrets.token_bytes(32)
        self.apps = AppRegistry(tuple(getattr(options, "apps", ()) or ()))
        self.limits = TokenEndpointLimits(options, self.now)
        tokens.oauth = self

    # ---- options ---------------------------------------------------------------------------------------------

    def now(self) -> float:
        clock: Callable[[], float] | None = getattr(self.options, "clock", None)
        return (clock or self.tokens.clock)()

    @property
    def auto_approve(self) -> bool:
        return bool(getattr(self.options, "auto_approve", False))

    @property
    def rotating(self) -> bool:
        mode = getattr(self.options, "refresh_tokens", "rotating")
        if mode not in ("rotating", "long-lived"):
            raise ValueError(f"refresh_tokens must be 'rotating' or 'long-lived', not {mode!r}")
        return mode == "rotating"

    @property
    def reuse_revokes(self) -> bool:
        """Reading `refresh_reuse_revokes` (docs/sandbox.md): a rotated refresh token used again ends its whole
        chain, as Okta's refresh-token rotation does; off, it is only refused."""
        return bool(getattr(self.options, "refresh_reuse_revokes", False))

    @property
    def token_lifetime_s(self) -> float:
        return float(getattr(self.options, "token_lifetime_s", 86400.0))

    # ---- controls for tests and demo scripts --------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route(AUTHORIZE_PATH, self.authorize, methods=["GET", "POST"]),
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route(DEVICE_AUTHORIZE_PATH, self.device_authorize, methods=["POST"]),
            Route(ACTIVATE_PATH, self.activate, methods=["GET", "POST"]),
        ]

    def invalidate_refresh_tokens(self, client_id: str | None = None) -> int:
        """Every refresh token (of one client, or all) now gets invalid_grant. Returns how many were valid."""
        with self._lock:
            hit = [g for g in self._refresh.values() if g.valid and client_id in (None, g.client_id)]
            for grant in hit:
                grant.valid = False
            return len(hit)

    # ---- /authorize ------------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        if request.method == "POST":
            return self._authorize_decision(parse_form(await request.body()))
        q = request.query_params
        client_id, redirect_uri = q.get("client_id", "").strip(), q.get("redirect_uri", "")
        if not client_id:
            return page("Sign-in error", "<p>The request has no <code>client_id</code>.</p>", 400)
        problem = redirect_uri_problem(redirect_uri) if self.apps.open else None
        if problem:
            return page("Sign-in error", f"<p>The redirect_uri is not allowed: {html.escape(problem)}</p>", 400)
        refused = self.apps.authorize_problem(client_id, redirect_uri)
        if refused:  # never redirect for an unknown app or an unregistered URI: it may not be the app's
            return page("Sign-in error", f"<p>{html.escape(refused)}</p>", 400)
        state = q.get("state", "")

        def back(error: str, description: str) -> Response:
            return redirect(redirect_uri, {"error": error, "error_description": description, "state": state}, 302)

        if q.get("response_type") != "code":
            return back("unsupported_response_type", "response_type must be 'code'.")
        if not state:
            return back("invalid_request", "The state parameter is required.")
        scopes = split_scope(q.get("scope", ""))
        if not scopes:
            return back("invalid_scope", "The scope parameter is required.")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            return back("invalid_scope", f"Unknown scope(s): {' '.join(unknown)}.")
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
        if challenge is None and not self.apps.open:
            return back("invalid_request", "This application uses PKCE: code_challenge is required.")
        if challenge is None and method is not None:
            return back("invalid_request", "code_challenge_method was sent without a code_challenge.")
        if challenge is not None:
            if method != "S256":
                return back("invalid_request", "code_challenge_method must be S256.")
            if not _CHALLENGE.fullmatch(challenge):
                return back("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters).")
        auth = _AuthRequest(client_id, redirect_uri, " ".join(scopes), state, challenge,
                            self.now() + self.approval_lifetime_s)
        if self.auto_approve:
            return self._approve(auth, 302)
        request_id = secrets.token_urlsafe(24)
        with self._lock:
            self._prune()
            self._pending[request_id] = auth
        return approval_page(request_id, auth)

    def _authorize_decision(self, form: dict[str, str]) -> Response:
        with self._lock:
            auth = self._pending.pop(form.get("request_id", ""), None)
        if auth is None or auth.expires_at <= self.now():
            return page("Sign-in error", "<p>This sign-in request has expired or was already answered. "
                         "Start the sign-in again from the application.</p>", 400)
        if form.get("decision") == "approve":
            return self._approve(auth, 303)
        return redirect(auth.redirect_uri, {"error": "access_denied",
                                             "error_description": "The user denied access.",
                                             "state": auth.state}, 303)

    def _approve(self, auth: _AuthRequest, status: int) -> Response:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._prune()
            self._codes[code] = _AuthCode(auth.client_id, auth.redirect_uri, auth.scope, auth.code_challenge,
                                          self.now() + self.code_lifetime_s)
        return redirect(auth.redirect_uri, {"code": code, "state": auth.state}, status)

    # ---- /token ----------------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        params = dict(request.query_params)  # CC support shows the parameters in the query string: accept both
        body = await request.body()
        if body:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.").response()
            params.update(parse_form(body))
        grant_type = params.get("grant_type", "")
        with self._lock:
            self.token_requests[grant_type] += 1
            try:
                basic = basic_client(request)
                if "client_secret" in params:  # server_flow.html: "Authorization: Basic base64(client_id:secret)"
                    raise OAuthError("invalid_client", "Send the client secret in an HTTP Basic Authorization header "
                                     "(Basic base64(client_id:client_secret)), not in the request.", 401)
                client_id = basic or params.get("client_id", "").strip()
                if params.get("client_id") and basic and params["client_id"] != basic:
                    raise OAuthError("invalid_client", "client_id does not match the HTTP Basic credentials.", 401)
                if not grant_type:
                    raise OAuthError("invalid_request", "grant_type is required.")
                if not client_id:
                    raise OAuthError("invalid_client", "client_id is required.", 401)
                refusal = self.limits.check(client_id)
                if refusal is not None:
                    return refusal
                self.apps.check_grant(client_id, {"authorization_code": "code", DEVICE_GRANT: "device"}.get(
                    grant_type, "refresh"))
                if grant_type == "authorization_code":
                    result = self._grant_code(params, client_id, confidential=basic is not None, request=request)
                elif grant_type == "refresh_token":
                    result = self._grant_refresh(params, client_id, request)
                elif grant_type == DEVICE_GRANT:
                    result = self._grant_device(params, client_id, request)
                else:
                    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
            except OAuthError as exc:
                return exc.response()
        return JSONResponse(result, headers=NO_STORE)

    def _grant_code(self, params: dict[str, str], client_id: str, *, confidential: bool,
                    request: Request) -> dict[str, Any]:
        code = params.get("code", "")
        if not code:
            raise OAuthError("invalid_request", "code is required.")
        rec = self._codes.get(code)
        if rec is None:
            raise OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
        if rec.used:
            for token in rec.access_tokens:
                self.tokens.revoke(token)
            for token in rec.refresh_tokens:
                if token in self._refresh:
                    self._refresh[token].valid = False
            raise OAuthError("invalid_grant", "The authorization code has already been used.")
        rec.used = True
        if rec.expires_at <= self.now():
            raise OAuthError("invalid_grant", "The authorization code is invalid or has expired.")
        if rec.client_id != client_id:
            raise OAuthError("invalid_grant", "The authorization code was issued to another client.")
        if params.get("redirect_uri") != rec.redirect_uri:
            raise OAuthError("invalid_grant", "The redirect_uri does not match the one in the authorize request.")
        if rec.code_challenge is not None:
            verifier = params.get("code_verifier", "")
            if not _PKCE_VALUE.fullmatch(verifier):
                raise OAuthError("invalid_request", "code_verifier is missing or malformed (43-128 characters).")
            if not hmac.compare_digest(s256(verifier), rec.code_challenge):
                raise OAuthError("invalid_grant", "PKCE verification failed for code challenge.")
        elif not confidential:
            raise OAuthError("invalid_client", "Client authentication is required: the authorize request had no "
                             "PKCE code_challenge.", 401)
        self._new_sign_in(client_id)
        return self._issue(client_id, rec.scope, request, record=rec)

    def _grant_refresh(self, params: dict[str, str], client_id: str, request: Request) -> dict[str, Any]:
        token = params.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required.")
        grant = self._refresh.get(token)
        now = self.now()
        if grant is not None and grant.valid and now - grant.last_used > REFRESH_IDLE_S:
            grant.valid = False
        if grant is not None and grant.rotated and self.reuse_revokes:
            self._end_family(grant.family)
        if grant is None or not grant.valid:
            raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        scope = grant.scope
        if params.get("scope"):
            asked = split_scope(params["scope"])
            if not set(asked) <= set(grant.scope.split()):
                raise OAuthError("invalid_scope", "The requested scope exceeds the original grant.")
            scope = " ".join(asked)
        grant.last_used = now
        if self.rotating:
            grant.valid, grant.rotated = False, True
            return self._issue(client_id, scope, request, refresh_scope=grant.scope, family=grant.family)
        return self._issue(client_id, scope, request, reuse_refresh=token, refresh_scope=grant.scope,
                           family=grant.family)

    def _end_family(self, family: str) -> None:
        """A rotated refresh token came back: someone holds a copy it should not have. Every refresh token and
        access token of that sign-in stops working (the user must sign in again)."""
        for other in self._refresh.values():
            if other.family == family:
                other.valid = False
        for access in self._family_access.pop(family, []):
            self.tokens.revoke(access)

    def _new_sign_in(self, client_id: str) -> None:
        """`new_sign_in_expires_old`: with rotating refresh tokens, a new sign-in for an app expires the refresh
        tokens issued to it before ("generating a new set of tokens causes all previous refresh tokens to expire",
        forum td-p/402882: one reading of it)."""
        if self.rotating and getattr(self.options, "new_sign_in_expires_old", False):
            for grant in self._refresh.values():
                if grant.client_id == client_id:
                    grant.valid = False

    def _issue(self, client_id: str, scope: str, request: Request, *, record: _AuthCode | None = None,
               reuse_refresh: str | None = None, refresh_scope: str | None = None,
               family: str | None = None) -> dict[str, Any]:
        lifetime = self.token_lifetime_s
        access = self.tokens.issue(lifetime, scope, client_id)
        family = family or secrets.token_hex(8)  # a sign-in starts a chain; a refresh continues its own
        if self.reuse_revokes:
            self._family_access.setdefault(family, []).append(access.token)
        body: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": int(lifetime) if lifetime.is_integer() else lifetime,
            "scope": scope,
        }
        granted = refresh_scope or scope
        if "offline_access" in granted.split():
            refresh = reuse_refresh or "sbx_rt_" + secrets.token_urlsafe(32)
            if reuse_refresh is None:
                self._refresh[refresh] = _RefreshGrant(client_id, granted, self.now(), family=family)
            body["refresh_token"] = refresh
            if record is not None:
                record.refresh_tokens.append(refresh)
        if "openid" in scope.split():
            body["id_token"] = self._id_token(client_id, request)
        if record is not None:
            record.access_tokens.append(access.token)
        return body

    def _id_token(self, client_id: str, request: Request) -> str:
        now = int(self.now())
        issuer = str(request.base_url).rstrip("/") + "/oauth2/default"
        claims = {"iss": issuer, "aud": client_id, "sub": "sbx-user-0001", "iat": now, "exp": now + 3600,
                  "auth_time": now, "ver": 1}
        return JwtSigner(self._id_key, kid="sandbox").sign(claims)

    def _prune(self) -> None:
        """Forget what expired long ago, so a long demo session does not grow without end."""
        now = self.now()
        for table in (self._pending, self._codes, self._devices):
            stale = [k for k, v in table.items() if v.expires_at + 3600 < now]
            for key in stale:
                del table[key]


def oauth_routes(tokens: TokenRegistry, options: Any = None) -> list[BaseRoute]:
    """Routes served beside /v3 at the real authorization server's paths (/oauth2/default/v1/...).

    The server object stays reachable as `tokens.oauth`.
    """
    return OAuthServer(tokens, options).routes()
