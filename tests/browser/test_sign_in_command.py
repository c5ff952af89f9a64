"""`ccdesk sign-in` (where ccdesk has it) through a real browser: the command opens the desktop's default browser
(Python's webbrowser → xdg-open → headless Chromium), the person approves, the command exits 0 with the sign-in
in the Secret Service keyring."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest

from ccdesk.cli import COMMANDS
from tests.browser.conftest import CLIENT_ID, ROOT, Desk

pytestmark = [pytest.mark.keyring,
              pytest.mark.skipif("sign-in" not in COMMANDS, reason="this ccdesk has no `ccdesk sign-in` command")]


def test_sign_in_command_opens_the_default_browser(desk_without_window: Desk) -> None:
    desk = desk_without_window
    out, err = desk.home / "sign-in.out", desk.home / "sign-in.err"
    # Files, not pipes: the browser the command starts inherits them and outlives the command.
    with out.open("w") as stdout, err.open("w") as stderr:
        command = subprocess.Popen([sys.executable, "-m", "ccdesk", "sign-in", "--json", "--timeout", "60"],
                                   cwd=ROOT, env=desk.env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        try:
            browser = desk.browser.attach(0)
            browser.wait_for_title("Allow access?")
            opened = browser.driver.current_url
            assert parse_qs(urlsplit(opened).query)["redirect_uri"] == [desk.redirect_uri]
            browser.click("Approve")
            browser.wait_for_title("ccdesk: Signed in")
            code = command.wait(30)
        finally:
            if command.poll() is None:
                command.kill()
                command.wait(5)
    assert code == 0, err.read_text()
    result = json.loads(out.read_text())
    assert result["ok"] and result["flow"] == "browser" and result["api_key"] == CLIENT_ID
    tokens = desk.stored_tokens()
    assert tokens is not None and tokens.refresh_token
    assert opened in err.read_text(), "the address is printed too, for when no browser opens"
