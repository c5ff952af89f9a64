"""Switchable failures, applied in front of everything except the /_sandbox control endpoints.

Counters ("the next K requests ...") count down as requests arrive; `only` narrows every fault to requests
whose `"METHOD /path"` matches a regular expression (e.g. `^PUT /v3/contacts/`).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, fields
from typing import Any

import anyio
import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors

PROXY_502_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
FIVE_XX = (500, 502, 503, 504)


class ConnectionDropped(httpx.RemoteProtocolError):
    """What an in-process (ASGITransport) client sees when the sandbox drops the connection; a TransportError
    like the one a real dropped connection produces."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response (sandbox fault).")


@dataclass
class Faults:
    latency_ms: float = 0.0  # added to every request
    throttle_next: int = 0  # next K requests: 429 throttled
    error_next: int = 0  # next K requests: `error_status` with a JSON error body
    error_status: int = 503
    drop_next: int = 0  # next K requests: connection closed, request not handled
    drop_after_next: int = 0  # next K requests: handled (effects applied!), then closed without a response
    malformed_next: int = 0  # next K responses: body cut in half (Content-Length matches the cut body)
    cut_next: int = 0  # next K requests: handled, then the connection drops halfway through the response body
    html_next: int = 0  # next K requests: a proxy's 502 text/html page
    rewrite_next: int = 0  # next K responses: every `rewrite_from` in the body replaced by `rewrite_to` (bytes as
    rewrite_from: str = ""  # UTF-8; Content-Length follows): a hostile answer, e.g. a lone surrogate `\ud83d`
    rewrite_to: str = ""    # in a name, `NaN`, an empty contact_id, a next link to the same page
    only: str = ""  # regex on "METHOD /path"; empty = every request
    retry_after: int = 0  # seconds sent as Retry-After on every 429 throttled (the limit's and the fault's); 0 = none
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def update(self, changes: dict[str, Any]) -> None:
        """Set switches from a JSON object (unknown names and wrong types raise ValueError)."""
        known = {f.name: f for f in fields(self) if not f.name.startswith("_")}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault {name!r}")
            if name in ("rewrite_from", "rewrite_to"):
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
                continue
            if name == "only":
                if not isinstance(value, str):
                    raise ValueError("only must be a string")
                try:
                    re.compile(value)
                except re.error as exc:
                    raise ValueError(f"only is not a regular expression: {exc}") from None
                continue
            is_number = isinstance(value, (int, float)) if name == "latency_ms" else isinstance(value, int)
            if isinstance(value, bool) or not is_number or value < 0:
                raise ValueError(f"{name} must be a non-negative {'number' if name == 'latency_ms' else 'integer'}")
            if name == "error_status" and value not in FIVE_XX:
                raise ValueError(f"error_status must be one of {FIVE_XX}")
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def reset(self) -> None:
        self.update(Faults().as_json())

    def take(self, method: str, path: str) -> tuple[float, set[str]]:
        """(latency in s, the faults this request gets), counting down the counters it uses."""
        with self._lock:
            if self.only and not re.search(self.only, f"{method} {path}"):
                return 0.0, set()
            chosen = set()
            for name in ("drop_next", "html_next", "error_next", "throttle_next", "drop_after_next",
                         "malformed_next", "cut_next", "rewrite_next"):
                if getattr(self, name) > 0:
                    setattr(self, name, getattr(self, name) - 1)
                    chosen.add(name)
                    if name in ("drop_next", "html_next", "error_next", "throttle_next"):
                        break  # the request is answered (or dropped) right here
            return self.latency_ms / 1000, chosen


async def drop_connection(send: Send) -> None:
    """Close the connection without any response. Under uvicorn the ASGI `send` is a method of its
    request cycle, whose transport we abort; anywhere else the client gets ConnectionDropped raised."""
    send = getattr(send, "wrapped", send)  # under app.DatedSend
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None or not hasattr(cycle, "disconnected"):
        raise ConnectionDropped()
    cycle.disconnected = True  # so uvicorn neither answers 500 nor logs a missing response
    transport.abort()


async def _send_simple(send: Send, status: int, body: bytes, content_type: bytes,
                       extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": body})


class FaultInjector:
    """ASGI wrapper: applies the faults chosen for each request."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        latency, chosen = self.faults.take(scope["method"], scope["path"])
        if latency:
            await anyio.sleep(latency)
        if "drop_next" in chosen:
            await drop_connection(send)
        elif "html_next" in chosen:
            await _send_simple(send, 502, PROXY_502_HTML, b"text/html")
        elif "error_next" in chosen:
            body = errors.ServiceError.one(self.faults.error_status, errors.SERVER_ERROR,
                                       "The service is temporarily unavailable (sandbox fault).").body()
            await _send_simple(send, self.faults.error_status, _json(body), b"application/json")
        elif "throttle_next" in chosen:
            after = [(b"retry-after", str(self.faults.retry_after).encode())] if self.faults.retry_after else []
            await _send_simple(send, 429, _json(errors.THROTTLED_BODY), b"application/json", after)
        elif "drop_after_next" in chosen:
            await self.app(scope, receive, _swallow)
            await drop_connection(send)
        elif "malformed_next" in chosen:
            await self.app(scope, receive, _Truncating(send))
        elif "cut_next" in chosen:
            await self.app(scope, receive, _Truncating(send, mid_body=True))
        elif "rewrite_next" in chosen and self.faults.rewrite_from:
            await self.app(scope, receive, _Rewriting(send, self.faults.rewrite_from.encode(),
                                                      self.faults.rewrite_to.encode()))
        else:
            await self.app(scope, receive, send)


async def _swallow(message: Message) -> None:
    return None


class _Buffered:
    """Buffers a response; `deliver(start, body)` sends it once its whole body is in."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        self._body += message.get("body", b"")
        if message.get("more_body", False):
            return
        assert self._start is not None
        await self.deliver(self._start, bytes(self._body))

    async def deliver(self, start: Message, body: bytes) -> None:
        raise NotImplementedError

    async def _send_whole(self, start: Message, body: bytes, length: int | None = None) -> None:
        """The start with Content-Length `length` (the body's own by default), then the body."""
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body) if length is None else length).encode()))
        await self._send({**start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": length is not None})


class _Truncating(_Buffered):
    """Sends the body cut in half: with a matching Content-Length (a complete but broken answer), or `mid_body`
    with the full Content-Length and then the connection dropped."""

    def __init__(self, send: Send, *, mid_body: bool = False) -> None:
        super().__init__(send)
        self._mid_body = mid_body

    async def deliver(self, start: Message, body: bytes) -> None:
        cut = body[: len(body) // 2]
        if self._mid_body:
            await self._send_whole(start, cut, length=len(body))
            await drop_connection(self._send)
        else:
            await self._send_whole(start, cut)


class _Rewriting(_Buffered):
    """Sends the body with every `old` replaced by `new` (Content-Length to match)."""

    def __init__(self, send: Send, old: bytes, new: bytes) -> None:
        super().__init__(send)
        self._old, self._new = old, new

    async def deliver(self, start: Message, body: bytes) -> None:
        await self._send_whole(start, body.replace(self._old, self._new))


def _json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
