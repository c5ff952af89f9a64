"""Run the sandbox under uvicorn on 127.0.0.1 in a background thread (tests, `ccdesk --demo`)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .config import SandboxConfig
from .state import Sandbox


class SandboxServer:
    """`with SandboxServer(SandboxConfig(tokens=["t"])) as s: httpx.get(s.api_base + "/contacts", ...)`.

    Port 0 picks a free port; `base_url` is known once `start()` returns.
    """

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.app: Starlette = create_app(self.config)
        self.sandbox: Sandbox = self.app.state.sandbox
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None or not self._server.started:
            raise RuntimeError("the sandbox server is not running")
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v3"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        config = uvicorn.Config(
            self.app, host=self.host, port=self._port, log_level="warning", access_log=False,
            lifespan="off", http="h11", ws="none", timeout_graceful_shutdown=1,
            date_header=False,  # the app writes Date from the sandbox clock (app.py)
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="ccdesk-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        self.sandbox.tokens.issuer = f"{self.base_url}/oauth2/default"  # the access tokens' `iss` claim
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
