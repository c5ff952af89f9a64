"""The sandbox OAuth server's device flow (RFC 8628): /device/authorize, the device grant at /token, and the
/activate page where the user approves or denies a code. Mixed into OAuthServer (oauth.py), whose state it uses."""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .oauth_apps import AppRegistry
from .oauth_web import NO_STORE, OAuthError, basic_client, norm_user_code, page, parse_form, split_scope

ACTIVATE_PATH = "/activate"
POLL_TOLERANCE_S = 0.25  # network jitter allowed before a device poll counts as too fast
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628 §6.1: no vowels, no look-alikes
KNOWN_SCOPES = frozenset({"contact_data", "campaign_data", "account_read", "account_update", "billing_data",
                          "offline_access", "openid", "profile", "email"})

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



class DeviceEndpoints:
    """The device-flow half of OAuthServer."""

    _lock: threading.RLock
    _devices: dict[str, DeviceGrant]
    apps: AppRegistry
    device_expires_in_s: float
    device_interval_s: float

    def now(self) -> float:
        raise NotImplementedError

    @property
    def auto_approve(self) -> bool:
        raise NotImplementedError

    def _prune(self) -> None:
        raise NotImplementedError

    def _new_sign_in(self, client_id: str) -> None:
        raise NotImplementedError

    def _issue(self, client_id: str, scope: str, request: Request, *, record: Any = None,
               reuse_refresh: str | None = None, refresh_scope: str | None = None,
               family: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

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
        self._new_sign_in(client_id)
        return self._issue(client_id, grant.scope, request)

    async def device_authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        params.update(parse_form(await request.body()))
        client_id = basic_client(request) or params.get("client_id", "").strip()
        if not client_id:
            return OAuthError("invalid_client", "client_id is required.", 401).response()
        try:
            self.apps.check_grant(client_id, "device")
        except OAuthError as exc:
            return exc.response()
        scopes = split_scope(params.get("scope", ""))
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
        }, headers=NO_STORE)

    async def activate(self, request: Request) -> Response:
        """The page where the user types (or arrives with) the user code and approves or denies it."""
        if request.method == "POST":
            form = parse_form(await request.body())
            decision: DeviceStatus = "approved" if form.get("decision") == "approve" else "denied"
            try:
                self._decide_device(form.get("user_code", ""), decision)
            except KeyError:
                return page("Device sign-in", "<p>That code is unknown, expired or already used.</p>", 400)
            word = "approved: return to the application" if decision == "approved" else "denied"
            return page("Device sign-in", f"<p>Access {word}. You can close this tab.</p>")
        user_code = request.query_params.get("user_code", "")
        if not user_code:
            return page("Activate a device", f"""<form method="get" action="{ACTIVATE_PATH}">
<label>Code shown by the application <input name="user_code" autofocus autocomplete="off"></label>
<button type="submit">Next</button></form>""")
        with self._lock:
            grant = self._find_device(user_code)
            usable = grant is not None and grant.status == "pending" and grant.expires_at > self.now()
        if grant is None or not usable:
            return page("Activate a device", "<p>That code is unknown, expired or already used.</p>", 400)
        code = html.escape(grant.user_code)
        return page("Activate a device", f"""<p>Allow <b>{html.escape(grant.client_id)}</b> to access your
Constant Contact account (<code>{html.escape(grant.scope)}</code>)? Code: <b>{code}</b></p>
<form method="post" action="{ACTIVATE_PATH}"><input type="hidden" name="user_code" value="{code}">
<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>""")

    def _find_device(self, user_code: str) -> DeviceGrant | None:
        wanted = norm_user_code(user_code)
        return next((g for g in self._devices.values() if norm_user_code(g.user_code) == wanted), None)

    def _new_user_code(self) -> str:
        taken = {g.user_code for g in self._devices.values()}
        while True:
            raw = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            if code not in taken:
                return code
