"""SandboxServer (uvicorn in a thread) and `python -m ccdesk.sandbox`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ccdesk.sandbox.app import SandboxConfig
from ccdesk.sandbox.server import SandboxServer

from .conftest import AUTH

ROOT = Path(__file__).resolve().parents[2]


def test_server_context_manager() -> None:
    with SandboxServer(SandboxConfig(contacts=5, tokens=["test-token"])) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        assert server.api_base == server.base_url + "/v3"
        assert server.app.state.sandbox is server.sandbox
        r = httpx.get(server.api_base + "/contacts", headers=AUTH)
        assert r.status_code == 200 and len(r.json()["contacts"]) == 5
        port = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v3/contacts", headers=AUTH, timeout=2)
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_sandbox_server_fixture(server: SandboxServer) -> None:
    r = httpx.get(server.api_base + "/contacts/counts", headers=AUTH)
    assert r.status_code == 200 and r.json()["total"] > 150


def test_command_line() -> None:
    args = [sys.executable, "-m", "ccdesk.sandbox", "--contacts", "30", "--seed", "4", "--token", "cli-token",
            "--token", "other", "--rate-limit", "0", "--fault-5xx", "1", "--fault-5xx-status", "502",
            "--latency-ms", "1", "--activity-seconds", "0.5"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          cwd=ROOT) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            m = re.fullmatch(r"ccdesk sandbox serving (http://127\.0\.0\.1:\d+/v3) \(30 contacts, seed 4\)\n", line)
            assert m, line
            api = m.group(1)
            headers = {"Authorization": "Bearer cli-token"}
            assert httpx.get(api + "/contacts", headers=headers).status_code == 502
            r = httpx.get(api + "/contacts", headers=headers, params={"limit": 500, "status": "all"})
            assert r.status_code == 200 and len(r.json()["contacts"]) == 30
            assert httpx.get(api + "/contacts", headers={"Authorization": "Bearer other"}).status_code == 200
            faults = httpx.get(api.removesuffix("/v3") + "/_sandbox/faults").json()
            assert faults["latency_ms"] == 1 and faults["error_next"] == 0
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err


def test_reading_flags_map_onto_the_config() -> None:
    from ccdesk.sandbox.__main__ import parse_args
    from ccdesk.sandbox.state import Sandbox

    a = parse_args(["--resubscribe-state", "unsubscribed", "--link-ttl", "30", "--contact-optout-overrides-account"])
    assert (a.resubscribe_state, a.link_ttl, a.contact_optout_overrides_account) == ("unsubscribed", 30.0, True)
    d = parse_args([])
    assert (d.resubscribe_state, d.link_ttl, d.contact_optout_overrides_account) == ("pending_confirmation", 0.0,
                                                                                     False)
    with pytest.raises(SystemExit):
        parse_args(["--resubscribe-state", "maybe"])
    with pytest.raises(ValueError, match="resubscribe_state"):
        Sandbox(SandboxConfig(contacts=0, resubscribe_state="maybe"))
