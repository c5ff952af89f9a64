"""The sandbox ASGI application: /v3 (the emulated API), the OAuth server at the root, /_sandbox controls."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Router
from starlette.types import Message, Receive, Scope, Send

from . import errors, routes_activities, routes_contacts, routes_control, routes_custom_fields, routes_lists
from .config import SandboxConfig
from .faults import FaultInjector
from .guard import V3Guard
from .oauth import oauth_routes
from .state import Sandbox

__all__ = ["Sandbox", "SandboxApp", "SandboxConfig", "create_app"]

_HTTP_KEYS = {
    404: (errors.NOT_FOUND, "Not found."),
    405: (errors.METHOD_NOT_ALLOWED, "Method not allowed."),
}


class SandboxApp(Starlette):
    """Starlette with the sandbox's outermost layer: request counting, then faults, then the app."""

    def __init__(self, sandbox: Sandbox, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sandbox = sandbox
        self.state.sandbox = sandbox
        self._with_faults = FaultInjector(self._recording_writes, sandbox.faults)

    async def _recording_writes(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the writes the API actually applied (2xx), even if a fault then loses the answer on the way."""
        if scope["type"] != "http" or scope["method"] not in ("PUT", "POST", "PATCH", "DELETE") \
                or not scope["path"].startswith("/v3"):
            await super().__call__(scope, receive, send)
            return

        body = hashlib.sha256()

        async def watching_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.update(message.get("body", b""))
            return message

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                self.sandbox.record_applied_write(scope["method"], scope["path"], body.hexdigest()[:16])
            await send(message)

        await super().__call__(scope, watching_receive, watching_send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sandbox"):
            self.sandbox.record_request(scope["method"], scope["path"], scope.get("query_string", b"").decode())
        try:
            await self._with_faults(scope, receive, DatedSend(send, self.sandbox.clock))
        except ClientDisconnect:
            return  # the client gave up (a timeout) before sending the whole body: nothing to answer


class DatedSend:
    """Every answer carries the service's Date (RFC 9110 §6.6.1), from the sandbox clock: a test that sets the
    clock apart from this PC's sees what a PC whose clock is wrong sees. `wrapped` is the server's own send (a
    dropped-connection fault aborts its transport)."""

    def __init__(self, send: Send, clock: Callable[[], float]) -> None:
        self.wrapped = send
        self._clock = clock

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
            stamp = formatdate(self._clock(), usegmt=True).encode()
            message = {**message, "headers": [*headers, (b"date", stamp)]}
        await self.wrapped(message)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ServiceError)
    return errors.error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    key, message = _HTTP_KEYS.get(exc.status_code, (errors.BAD_REQUEST, exc.detail))
    return JSONResponse([{"error_key": key, "error_message": message}], status_code=exc.status_code,
                        headers=exc.headers)


def create_app(config: SandboxConfig) -> Starlette:
    sandbox = Sandbox(config)
    v3 = Router(
        routes=[*routes_contacts.routes, *routes_lists.routes, *routes_activities.routes,
                *routes_custom_fields.routes],
        redirect_slashes=False,
    )
    app = SandboxApp(
        sandbox,
        routes=[
            Mount("/v3", app=V3Guard(v3, sandbox)),
            Mount("/_sandbox", routes=routes_control.routes),
            *oauth_routes(sandbox.tokens, config),
        ],
        exception_handlers={errors.ServiceError: _api_error, HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    return app
