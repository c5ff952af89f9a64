"""A one-shot HTTP listener on 127.0.0.1 that receives the browser's redirect after sign-in (RFC 8252 §7.3).

It binds to 127.0.0.1 only (never all interfaces), even when the registered redirect URI says `localhost`, answers
exactly one callback at the redirect path, checks `state` in constant time, shows the browser a short page, and
gives the code to the caller, or an error in plain words. Anything else does not end the wait: a favicon request
or another path gets a 404; a request whose Host header is not 127.0.0.1 or localhost (DNS rebinding), a callback
with no state, a wrong state, or a repeated `code`/`state`/`error` parameter (forged, or a stale tab) gets a 400
and is logged, and the listener keeps waiting for the real answer until the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import logging
from urllib.parse import parse_qs, urlsplit

from ccdesk.wording import plural, was_were

from .errors import OAuthServerError, SignInDenied, SignInError, SignInTimeout
from .pkce import states_match

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
HEADER_TIMEOUT_S = 10.0
MAX_REQUEST_HEAD = 16 * 1024

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class LoopbackListener:
    """Use as `async with LoopbackListener(state, port=..) as listener: ...; code = await listener.wait()`."""

    def __init__(self, expected_state: str, *, port: int = 0, path: str = "/callback",
                 timeout_s: float = 300.0, host_name: str = HOST) -> None:
        if not expected_state:
            raise ValueError("expected_state is required")
        self._state = expected_state
        self._wanted_port = port
        self.path = path or "/"
        self.timeout_s = timeout_s
        self.host_name = host_name if host_name in ALLOWED_HOSTS else HOST  # only in the redirect URI
        self.ignored = 0  # callbacks ignored as forged, stale or malformed
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[str] | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the listener is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host_name}:{self.port}{self.path}"

    async def start(self) -> None:
        self._result = asyncio.get_running_loop().create_future()
        try:
            self._server = await asyncio.start_server(self._handle, HOST, self._wanted_port, limit=MAX_REQUEST_HEAD)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise SignInError(
                    f"ccdesk could not wait for the browser on port {self._wanted_port}: another program is using "
                    "it. Close that program and try again, or sign in with a code instead.") from exc
            raise SignInError(f"ccdesk could not open port {self._wanted_port} on this computer for the browser's "
                              f"answer ({exc.strerror or exc}).") from exc
        log.info("Waiting for the browser's sign-in answer on %s:%d%s", HOST, self.port, self.path)

    async def wait(self) -> str:
        """The authorization code; raises SignInError (denied, wrong state, timeout...) otherwise."""
        if self._result is None:
            raise RuntimeError("the listener is not started")
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), self.timeout_s)
        except TimeoutError:
            ignored = (f" ({plural(self.ignored, 'answer')} that did not belong to this sign-in "
                       f"{was_were(self.ignored)} ignored.)"
                       if self.ignored else "")
            raise SignInTimeout(f"No answer from the browser within {_duration(self.timeout_s)}. "
                                f"Try signing in again.{ignored}") from None
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None
        # Let a browser's connection that is still being answered finish (briefly): a handler left running
        # would outlive the sign-in and keep a socket registered with the event loop.
        handlers = [t for t in self._handlers if t is not asyncio.current_task() and not t.done()]
        if handlers:
            _done, stuck = await asyncio.wait(handlers, timeout=2)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
        if self._result is not None and not self._result.done():
            self._result.cancel()

    async def __aenter__(self) -> LoopbackListener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- one connection ------------------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEADER_TIMEOUT_S)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            status, title, text, outcome = self._answer(lines[0], _header(lines[1:], "host"))
            # Claim the one answer before the first await, so two callbacks cannot both count.
            if outcome is not None and self._result is not None and not self._result.done():
                if isinstance(outcome, BaseException):
                    self._result.set_exception(outcome)
                else:
                    self._result.set_result(outcome)
            await self._respond(writer, status, title, text)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await writer.wait_closed()

    def _answer(self, request_line: str, host: str | None = None) -> tuple[int, str, str, str | SignInError | None]:
        """(HTTP status, page title, page text, code or error to finish the wait with, or None to keep waiting)."""
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, "Bad request", "This address only receives the sign-in answer.", None
        if host not in {f"{name}:{self.port}" for name in ALLOWED_HOSTS}:
            return self._ignore("a request for another host name (Host header)")
        method, target = parts[0], urlsplit(parts[1])
        if target.path != self.path:
            return 404, "Not found", "This address only receives the sign-in answer.", None
        if method != "GET":
            return 405, "Not allowed", "This address only receives the sign-in answer.", None
        if self._result is None or self._result.done():
            return 400, "Already done", "This sign-in was already handled. You can close this tab.", None
        query = parse_qs(target.query, keep_blank_values=True)
        if any(len(query.get(k, ())) > 1 for k in ("code", "state", "error")):
            return self._ignore("a callback with a repeated code, state or error parameter")
        value = {k: v[0] for k, v in query.items()}
        if not states_match(self._state, value.get("state")):
            return self._ignore("a callback with a wrong or missing state (a stale tab or a forged request)")
        if "error" in value:
            return self._server_error(value["error"], value.get("error_description", ""))
        code = value.get("code", "")
        if not code:
            error = SignInError("The browser came back without an authorization code. Please try again.")
            return 400, "Sign-in failed", error.message, error
        log.info("Received the authorization code from the browser")
        return 200, "Signed in", "You can close this tab and return to ccdesk.", code

    def _ignore(self, what: str) -> tuple[int, str, str, None]:
        self.ignored += 1
        log.warning("Sign-in listener ignored %s; still waiting for the real answer", what)
        return (400, "Not this sign-in", "This answer does not belong to the sign-in ccdesk is waiting for, so it "
                "was ignored. If you are signing in, finish in the tab ccdesk opened.", None)

    @staticmethod
    def _server_error(error: str, description: str) -> tuple[int, str, str, SignInError]:
        if error == "access_denied":
            log.info("The user declined access in the browser")
            denied = SignInDenied("You declined access in the browser. Sign in again when you are ready.",
                                  error_key=error)
            return 200, "Access declined", "You declined access. You can close this tab and return to ccdesk.", \
                denied
        log.warning("The authorization server redirected with error %s", error)
        failed = OAuthServerError(f"Constant Contact could not sign you in: {description or error}.",
                                  error=error, description=description)
        return 200, "Sign-in failed", f"{failed.message} You can close this tab and return to ccdesk.", failed

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: int, title: str, text: str) -> None:
        body = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>ccdesk: {html.escape(title)}"
                "</title><style>body{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em}"
                f"</style></head><body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
                ).encode()
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
                "Connection: close\r\n\r\n").encode()
        writer.write(head + body)
        await asyncio.wait_for(writer.drain(), HEADER_TIMEOUT_S)


def _header(lines: list[str], name: str) -> str | None:
    """The value of one header (None when absent or repeated: a repeated Host is not trusted either)."""
    values = [line.split(":", 1)[1].strip() for line in lines
              if ":" in line and line.split(":", 1)[0].strip().lower() == name]
    return values[0].lower() if len(values) == 1 else None


def _duration(seconds: float) -> str:
    if seconds >= 60:
        minutes = round(seconds / 60)
        return plural(minutes, "minute")
    return f"{seconds:g} seconds"
