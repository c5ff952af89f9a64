"""The sandbox OAuth server's app registry (as in Constant Contact's developer portal) and the token endpoint's
own limits and faults.

Registry (`--app ID=pkce:REDIRECT_URI[,REDIRECT_URI...]`, `--app ID=device`, repeatable): a registered app gets
only its flow ("app setup picks one flow per app"; the device flow needs "a V3 API application configured to use
the Device Flow" [device_flow.html]), and a PKCE app's redirect URIs must match exactly [apps_create, forum].
With no app registered, any client id is accepted (demo mode).

Token endpoint: limited to about one request per second per app [forum], so `token_rate_limit` (requests per
second per client id, 0 = off) answers 429 beyond it; `fail_next` answers the next K token requests with a 429
or a `temporarily_unavailable` error, to test that a client stays signed in through them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .oauth_web import NO_STORE, OAuthError

Flow = Literal["pkce", "device"]
TOKEN_FAULTS: tuple[str, ...] = ("429", "temporarily_unavailable")


@dataclass(frozen=True)
class App:
    client_id: str
    flow: Flow
    redirect_uris: tuple[str, ...] = ()


def parse_app(spec: str) -> App:
    """`ID=pkce:URI[,URI...]` or `ID=device`; ValueError in plain words otherwise."""
    client_id, sep, rest = spec.partition("=")
    client_id = client_id.strip()
    if not sep or not client_id:
        raise ValueError(f"--app {spec!r}: expected ID=pkce:REDIRECT_URI[,REDIRECT_URI...] or ID=device")
    if rest == "device":
        return App(client_id, "device")
    kind, _, uris = rest.partition(":")
    redirect_uris = tuple(u.strip() for u in uris.split(",") if u.strip())
    if kind != "pkce" or not redirect_uris:
        raise ValueError(f"--app {spec!r}: expected ID=pkce:REDIRECT_URI[,REDIRECT_URI...] or ID=device")
    return App(client_id, "pkce", redirect_uris)


class AppRegistry:
    """Which apps exist and how they may sign in. Empty = demo mode: any client id, any loopback redirect."""

    def __init__(self, specs: list[str] | tuple[str, ...] = ()) -> None:
        self.apps = {app.client_id: app for app in map(parse_app, specs)}

    @property
    def open(self) -> bool:
        return not self.apps

    def authorize_problem(self, client_id: str, redirect_uri: str) -> str | None:
        """Why the browser flow is refused outright (shown as a page: never redirected), or None."""
        if self.open:
            return None
        app = self.apps.get(client_id)
        if app is None:
            return "The client_id is not a registered application."
        if app.flow != "pkce":
            return "This application is configured for the device flow, not for a browser sign-in."
        if redirect_uri not in app.redirect_uris:
            return "The redirect_uri is not registered for this application (it must match exactly)."
        return None

    def check_grant(self, client_id: str, grant: str) -> None:
        """Raise the token endpoint's OAuthError when this app may not use `grant` ("code", "device", "refresh")."""
        if self.open:
            return
        app = self.apps.get(client_id)
        if app is None:
            raise OAuthError("invalid_client", "The client_id is not a registered application.", 401)
        if (grant == "device") != (app.flow == "device") and grant != "refresh":
            raise OAuthError("unauthorized_client", f"This application is configured for the {app.flow} flow "
                             "only.")


class TokenEndpointLimits:
    """The token endpoint's per-app rate limit (sliding one-second window) and its switchable faults."""

    def __init__(self, options: Any, clock: Any) -> None:
        self._options = options
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: dict[str, list[float]] = {}
        self.fail_next = int(getattr(options, "token_fault_next", 0))
        self.fault: str = str(getattr(options, "token_fault", "429"))
        self.refused = 0  # answers this endpoint refused because of a limit or a fault

    @property
    def rate(self) -> float:
        return float(getattr(self._options, "token_rate_limit", 0.0) or 0.0)

    def check(self, client_id: str) -> Response | None:
        """An answer that refuses this request, or None to go on."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.refused += 1
                return self._refusal(self.fault)
            if self.rate > 0:
                now = self._clock()
                window = [t for t in self._recent.get(client_id, []) if now - t < 1.0]
                if len(window) >= max(1, int(self.rate)):
                    self._recent[client_id] = window
                    self.refused += 1
                    return self._refusal("429")
                self._recent[client_id] = [*window, now]
        return None

    def set_fault(self, kind: str, count: int) -> None:
        with self._lock:
            self.fault, self.fail_next = kind, count

    @staticmethod
    def _refusal(kind: str) -> Response:
        if kind == "temporarily_unavailable":
            return OAuthError("temporarily_unavailable", "The authorization server is temporarily unable to "
                              "handle the request. Try again later.").response()
        # Okta's documented rate-limit answer (the authorization server is Okta's "default" server).
        return JSONResponse({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too "
                             "many requests.", "errorCauses": []}, 429, headers=NO_STORE)


async def oauth_controls(request: Request) -> Response:
    """GET/POST /_sandbox/oauth: {"token_fault_next": K, "token_fault": "429"|"temporarily_unavailable",
    "token_rate_limit": R, "new_sign_in_expires_old": bool, "refresh_tokens": "rotating"|"long-lived"}."""
    server = request.app.state.sandbox.tokens.oauth
    if request.method == "POST":
        try:
            body = await request.json()
        except ValueError:
            body = None
        problem = _apply(server, body)
        if problem:
            return JSONResponse([{"error_key": "validation_error", "error_message": problem}], 400)
    options = server.options
    return JSONResponse({
        "token_fault_next": server.limits.fail_next, "token_fault": server.limits.fault,
        "token_rate_limit": server.limits.rate, "token_refused": server.limits.refused,
        "new_sign_in_expires_old": bool(getattr(options, "new_sign_in_expires_old", False)),
        "refresh_tokens": getattr(options, "refresh_tokens", "rotating"),
        "apps": sorted(server.apps.apps), "token_requests": dict(server.token_requests),
    })


def _apply(server: Any, body: Any) -> str | None:
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    fault = body.get("token_fault", server.limits.fault)
    if fault not in TOKEN_FAULTS:
        return f"token_fault must be one of {', '.join(TOKEN_FAULTS)}."
    nxt = body.get("token_fault_next", server.limits.fail_next)
    rate = body.get("token_rate_limit", server.limits.rate)
    if not isinstance(nxt, int) or nxt < 0 or not isinstance(rate, int | float) or rate < 0:
        return "token_fault_next and token_rate_limit must be numbers >= 0."
    mode = body.get("refresh_tokens", getattr(server.options, "refresh_tokens", "rotating"))
    if mode not in ("rotating", "long-lived"):
        return "refresh_tokens must be 'rotating' or 'long-lived'."
    server.limits.set_fault(fault, nxt)
    server.options.token_rate_limit = float(rate)
    server.options.refresh_tokens = mode
    if "new_sign_in_expires_old" in body:
        server.options.new_sign_in_expires_old = bool(body["new_sign_in_expires_old"])
    return None
