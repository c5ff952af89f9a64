"""The sandbox's OAuth2 authorization server: Constant Contact's Okta-style "default" server, emulated.

Served on the sandbox's own host beside /v3, at the real paths (/oauth2/default/v1/...). It follows
shared/reference/constant-contact-v3.md §1; where that says "unconfirmed" the RFC behaviour is used
(RFC 6749 OAuth 2.0, RFC 7636 PKCE, RFC 8628 device authorization grant).

Choices a real server may make differently, written down so a failing test is not mistaken for CC behaviour:

- There is no app registry: any non-empty client_id is accepted. Redirect URIs must be loopback
  (http://127.0.0.1:PORT/... or http://localhost:PORT/...), and the token exchange must send the same one.
- A code requested without `code_challenge` belongs to a confidential client: its exchange must authenticate with
  HTTP Basic (any secret is accepted). With a challenge the exchange must carry the matching S256 `code_verifier`.
- Codes live `code_lifetime_s` (300) and are single-use; a replayed code is refused and the tokens issued from it
  are revoked (RFC 6749 §4.1.2).
- `id_token` only when `openid` is requested (Okta behaviour). It is an HS256 JWT signed with a random per-server
  key that is never published: clients must not try to verify it.
- Access tokens are TokenRegistry's opaque "sbx_at_..." strings (the real ones are JWTs; treat both as opaque).
- Device verification page: /activate (Okta's path), where the user code is approved or denied.

Tests reach the server through `TokenRegistry.oauth` (set when the routes are built) to approve or deny device
codes, invalidate refresh tokens and count token-endpoint requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .tokens import TokenRegistry

AUTHORIZE_PATH = "/oauth2/default/v1/authorize"
TOKEN_PATH = "/oauth2/default/v1/token"
DEVICE_AUTHORIZE_PATH = "/oauth2/default/v1/device/authorize"
ACTIVATE_PATH = "/activate"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

KNOWN_SCOPES = frozenset({"contact_data", "campaign_data", "account_read", "account_update", "billing_data",
                          "offline_access", "openid", "profile", "email"})
REFRESH_IDLE_S = 180 * 86400  # either kind of refresh token expires when unused for 180 days (forum)
POLL_TOLERANCE_S = 0.25  # network jitter allowed before a device poll counts as too fast
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1: no vowels, no look-alikes
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth error answer: {"error", "error_description"} with a 400 (or 401 for client authentication)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        headers = dict(_NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
        return JSONResponse({"error": self.error, "error_description": self.description}, self.status,
                            headers=headers)


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


DeviceStatus = Literal["pending", "approved", "denied", "used"]


@dataclass
class DeviceGrant:
    """One device authorization (RFC 8628) as the server sees it."""

    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: float
    status: DeviceStatus = "pending"
    last_poll: float | None = None
    polls: int = 0


class OAuthServer:
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
        self._devices: dict[str, DeviceGrant] = {}
        self._id_key = secrets.token_bytes(32)
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

    def device_grants(self) -> list[DeviceGrant]:
        with self._lock:
            return list(self._devices.values())

    def approve_device(self, user_code: str) -> None:
        self._decide_device(user_code, "approved")

    def deny_device(self, user_code: str) -> None:
        self._decide_device(user_code, "denied")

    def _decide_device(self, user_code: str, status: DeviceStatus) -> None:
        with self._lock:
            grant = self._find_device(user_code)
            if grant is None or grant.status != "pending" or grant.expires_at <= self.now():
                raise KeyError(f"no pending device authorization with user code {user_code!r}")
            grant.status = status

    # ---- /authorize ------------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        if request.method == "POST":
            return self._authorize_decision(_parse_form(await request.body()))
        q = request.query_params
        client_id, redirect_uri = q.get("client_id", "").strip(), q.get("redirect_uri", "")
        if not client_id:
            return _page("Sign-in error", "<p>The request has no <code>client_id</code>.</p>", 400)
        problem = _redirect_uri_problem(redirect_uri)
        if problem:
            return _page("Sign-in error", f"<p>The redirect_uri is not allowed: {html.escape(problem)}</p>", 400)
        state = q.get("state", "")

        def back(error: str, description: str) -> Response:
            return _redirect(redirect_uri, {"error": error, "error_description": description, "state": state}, 302)

        if q.get("response_type") != "code":
            return back("unsupported_response_type", "response_type must be 'code'.")
        if not state:
            return back("invalid_request", "The state parameter is required.")
        scopes = _split_scope(q.get("scope", ""))
        if not scopes:
            return back("invalid_scope", "The scope parameter is required.")
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            return back("invalid_scope", f"Unknown scope(s): {' '.join(unknown)}.")
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
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
        return _approval_page(request_id, auth)

    def _authorize_decision(self, form: dict[str, str]) -> Response:
        with self._lock:
            auth = self._pending.pop(form.get("request_id", ""), None)
        if auth is None or auth.expires_at <= self.now():
            return _page("Sign-in error", "<p>This sign-in request has expired or was already answered. "
                         "Start the sign-in again from the application.</p>", 400)
        if form.get("decision") == "approve":
            return self._approve(auth, 303)
        return _redirect(auth.redirect_uri, {"error": "access_denied",
                                             "error_description": "The user denied access.",
                                             "state": auth.state}, 303)

    def _approve(self, auth: _AuthRequest, status: int) -> Response:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._prune()
            self._codes[code] = _AuthCode(auth.client_id, auth.redirect_uri, auth.scope, auth.code_challenge,
                                          self.now() + self.code_lifetime_s)
        return _redirect(auth.redirect_uri, {"code": code, "state": auth.state}, status)

    # ---- /token ----------------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        params = dict(request.query_params)  # CC support shows the parameters in the query string: accept both
        body = await request.body()
        if body:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.").response()
            params.update(_parse_form(body))
        grant_type = params.get("grant_type", "")
        with self._lock:
            self.token_requests[grant_type] += 1
            try:
                basic = _basic_client(request)
                client_id = basic or params.get("client_id", "").strip()
                if params.get("client_id") and basic and params["client_id"] != basic:
                    raise OAuthError("invalid_client", "client_id does not match the HTTP Basic credentials.", 401)
                if not grant_type:
                    raise OAuthError("invalid_request", "grant_type is required.")
                if not client_id:
                    raise OAuthError("invalid_client", "client_id is required.", 401)
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
        return JSONResponse(result, headers=_NO_STORE)

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
            if not hmac.compare_digest(_s256(verifier), rec.code_challenge):
                raise OAuthError("invalid_grant", "PKCE verification failed for code challenge.")
        elif not confidential:
            raise OAuthError("invalid_client", "Client authentication is required: the authorize request had no "
                             "PKCE code_challenge.", 401)
        return self._issue(client_id, rec.scope, request, record=rec)

    def _grant_refresh(self, params: dict[str, str], client_id: str, request: Request) -> dict[str, Any]:
        token = params.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required.")
        grant = self._refresh.get(token)
        now = self.now()
        if grant is not None and grant.valid and now - grant.last_used > REFRESH_IDLE_S:
            grant.valid = False
        if grant is None or not grant.valid:
            raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
        scope = grant.scope
        if params.get("scope"):
            asked = _split_scope(params["scope"])
            if not set(asked) <= set(grant.scope.split()):
                raise OAuthError("invalid_scope", "The requested scope exceeds the original grant.")
            scope = " ".join(asked)
        grant.last_used = now
        if self.rotating:
            grant.valid = False
            return self._issue(client_id, scope, request, refresh_scope=grant.scope)
        return self._issue(client_id, scope, request, reuse_refresh=token, refresh_scope=grant.scope)

    def _grant_device(self, params: dict[str, str], client_id: str, request: Request) -> dict[str, Any]:
        device_code = params.get("device_code", "")
        if not device_code:
            raise OAuthError("invalid_request", "device_code is required.")
        grant = self._devices.get(device_code)
        if grant is None or grant.client_id != client_id or grant.status == "used":
            raise OAuthError("invalid_grant", "The device code is invalid or was already used.")
        now = self.now()
        grant.polls += 1
        if grant.expires_at <= now:
            raise OAuthError("expired_token", "The device code has expired. Start the sign-in again.")
        if grant.last_poll is not None and now - grant.last_poll < grant.interval - POLL_TOLERANCE_S:
            grant.last_poll = now
            grant.interval += 5
            raise OAuthError("slow_down", f"Polling too fast: wait at least {grant.interval:g} seconds.")
        grant.last_poll = now
        if grant.status == "pending" and self.auto_approve:
            grant.status = "approved"
        if grant.status == "denied":
            raise OAuthError("access_denied", "The user denied the device authorization.")
        if grant.status == "pending":
            raise OAuthError("authorization_pending", "The user has not yet approved the device.")
        grant.status = "used"
        return self._issue(client_id, grant.scope, request)

    def _issue(self, client_id: str, scope: str, request: Request, *, record: _AuthCode | None = None,
               reuse_refresh: str | None = None, refresh_scope: str | None = None) -> dict[str, Any]:
        lifetime = self.token_lifetime_s
        access = self.tokens.issue(lifetime, scope, client_id)
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
                self._refresh[refresh] = _RefreshGrant(client_id, granted, self.now())
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
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sandbox"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._id_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    # ---- device flow -----------------------------------------------------------------------------------------

    async def device_authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        params.update(_parse_form(await request.body()))
        client_id = _basic_client(request) or params.get("client_id", "").strip()
        if not client_id:
            return OAuthError("invalid_client", "client_id is required.", 401).response()
        scopes = _split_scope(params.get("scope", ""))
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            return OAuthError("invalid_scope", "scope is required and must name known scopes.").response()
        with self._lock:
            self._prune()
            user_code = self._new_user_code()
            grant = DeviceGrant(secrets.token_urlsafe(32), user_code, client_id, " ".join(scopes),
                                self.now() + self.device_expires_in_s, self.device_interval_s)
            self._devices[grant.device_code] = grant
        verify = str(request.base_url).rstrip("/") + ACTIVATE_PATH
        return JSONResponse({
            "device_code": grant.device_code,
            "user_code": user_code,
            "verification_uri": verify,
            "verification_uri_complete": f"{verify}?{urlencode({'user_code': user_code})}",
            "expires_in": int(self.device_expires_in_s),
            "interval": int(self.device_interval_s),
        }, headers=_NO_STORE)

    async def activate(self, request: Request) -> Response:
        """The page where the user types (or arrives with) the user code and approves or denies it."""
        if request.method == "POST":
            form = _parse_form(await request.body())
            decision = "approved" if form.get("decision") == "approve" else "denied"
            try:
                self._decide_device(form.get("user_code", ""), decision)
            except KeyError:
                return _page("Device sign-in", "<p>That code is unknown, expired or already used.</p>", 400)
            word = "approved: return to the application" if decision == "approved" else "denied"
            return _page("Device sign-in", f"<p>Access {word}. You can close this tab.</p>")
        user_code = request.query_params.get("user_code", "")
        if not user_code:
            return _page("Activate a device", f"""<form method="get" action="{ACTIVATE_PATH}">
<label>Code shown by the application <input name="user_code" autofocus autocomplete="off"></label>
<button type="submit">Next</button></form>""")
        with self._lock:
            grant = self._find_device(user_code)
            usable = grant is not None and grant.status == "pending" and grant.expires_at > self.now()
        if grant is None or not usable:
            return _page("Activate a device", "<p>That code is unknown, expired or already used.</p>", 400)
        code = html.escape(grant.user_code)
        return _page("Activate a device", f"""<p>Allow <b>{html.escape(grant.client_id)}</b> to access your
Constant Contact account (<code>{html.escape(grant.scope)}</code>)? Code: <b>{code}</b></p>
<form method="post" action="{ACTIVATE_PATH}"><input type="hidden" name="user_code" value="{code}">
<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>""")

    def _find_device(self, user_code: str) -> DeviceGrant | None:
        wanted = _norm_user_code(user_code)
        return next((g for g in self._devices.values() if _norm_user_code(g.user_code) == wanted), None)

    def _new_user_code(self) -> str:
        taken = {g.user_code for g in self._devices.values()}
        while True:
            raw = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            if code not in taken:
                return code

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


# ---- helpers ---------------------------------------------------------------------------------------------------

def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def _split_scope(value: str) -> list[str]:
    """Scopes are space- or '+'-separated (reference §1); keep order, drop duplicates."""
    return list(dict.fromkeys(s for s in re.split(r"[\s+]+", value) if s))


def _norm_user_code(code: str) -> str:
    return re.sub(r"[^A-Z]", "", code.upper())


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _basic_client(request: Request) -> str | None:
    """The client_id from an `Authorization: Basic` header (any secret is accepted: there is no registry)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401) from None
    client_id, _, _secret = decoded.partition(":")
    if not client_id:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401)
    return client_id


def _redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect URI is refused, or None. Only loopback http URIs with an explicit port are allowed."""
    if not uri:
        return "it is missing"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        return "it must be http://127.0.0.1:PORT/... or http://localhost:PORT/..."
    if port is None:
        return "it must name a port"
    if parts.fragment or "#" in uri:
        return "fragments are not allowed"
    if parts.username or parts.password:
        return "user information is not allowed"
    return None


def _redirect(uri: str, params: dict[str, str], status: int) -> Response:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status, headers=_NO_STORE)


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}"
          "button{font-size:1em;padding:.4em 1.2em;margin-right:.5em}")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
           f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}"
           "<p><small>Constant Contact sandbox authorization server</small></p></body></html>")
    return HTMLResponse(doc, status, headers={**_NO_STORE, "X-Frame-Options": "DENY"})


def _approval_page(request_id: str, auth: _AuthRequest) -> HTMLResponse:
    return _page("Allow access?", f"""<p><b>{html.escape(auth.client_id)}</b> asks to access your Constant Contact
account with the scopes <code>{html.escape(auth.scope)}</code>.</p>
<form method="post" action="{AUTHORIZE_PATH}"><input type="hidden" name="request_id" value="{request_id}">
<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>""")
