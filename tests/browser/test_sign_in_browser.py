"""Signing in as a person does: the ccdesk window opens the desktop's default web browser (headless Chromium, driven
by Selenium), the person answers the sandbox's consent page, the browser follows the redirect to ccdesk's loopback
listener, and the window is signed in with the tokens in the Secret Service keyring. Also: Deny, a browser closed
without answering, an answer from a stale tab of an earlier attempt, and the device code typed into the activation
page (approved, and denied)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.conftest import CLIENT_ID, CONTACTS, Desk
from tests.browser.desktop import Browser, own_browser

pytestmark = pytest.mark.keyring


def signed_in_window(desk: Desk) -> dict[str, Any]:
    """Wait for the main window, signed in: the sign-in screen gone and the account's contacts read with the token."""
    shown = desk.app.wait_for("the main window with the account's contacts",
                              lambda s: s["main"] is not None and s["main"]["pull_finished"], timeout=40)
    assert shown["sign_in"] is None, "the sign-in screen is still shown"
    assert shown["main"]["title"] == "ccdesk — Constant Contact account"
    assert shown["main"]["contacts"] == CONTACTS
    return shown["main"]


def assert_tokens_in_keyring(desk: Desk, client_id: str | None = CLIENT_ID) -> None:
    """The tokens are in the keyring, the sandbox accepts them, and no file of the app's holds them."""
    tokens = desk.stored_tokens(client_id)
    assert tokens is not None, "no sign-in in the Secret Service keyring"
    assert tokens.refresh_token
    answer = httpx.get(desk.server.api_base + "/contact_lists",
                       headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=10)
    assert answer.status_code == 200, "the token in the keyring is not one the sandbox issued"
    secrets = [tokens.access_token.encode(), tokens.refresh_token.encode()]
    for sub in ("config/ccdesk", "data/ccdesk", "state", "cache", "tmp"):  # not the browser's own profile
        for path in (desk.home / sub).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not any(secret in data for secret in secrets), f"a token is written in {path}"


def listener_closed(port: int, within: float = 5) -> bool:
    """Whether nothing listens on the port (any more: the listener closes as its task ends, soon after)."""
    deadline = time.monotonic() + within
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def open_consent_page(desk: Desk, number: int = 0) -> Browser:
    """Press 'Sign in with your browser'; return the browser ccdesk opened, showing the consent page."""
    assert desk.app.sign_in_screen()["browser_enabled"]
    desk.app.ask("click browser")
    browser = desk.browser.attach(number)
    browser.wait_for_title("Allow access?")
    waiting = desk.app.sign_in_screen("browser")
    url = browser.driver.current_url
    assert url == waiting["browser_url"], "the browser opened another address than the window shows"
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(desk.server.base_url + "/oauth2/default/v1/authorize?")
    assert query["redirect_uri"] == [desk.redirect_uri] and query["code_challenge_method"] == ["S256"]
    assert CLIENT_ID in browser.text()
    return browser


def test_approve_in_the_browser_signs_the_window_in(desk: Desk, shots: Path) -> None:
    browser = open_consent_page(desk)
    browser.screenshot(shots / "sign-in-consent.png")
    browser.click("Approve")
    browser.wait_for_title("ccdesk: Signed in")
    assert browser.driver.current_url.startswith(desk.redirect_uri + "?code=")
    assert "You can close this tab and return to ccdesk." in browser.text()
    browser.screenshot(shots / "sign-in-callback.png")
    signed_in_window(desk)
    assert_tokens_in_keyring(desk)
    assert listener_closed(desk.port)
    assert desk.app.ask(f"grab main {shots / 'sign-in-main-window.png'}")["saved"]
    assert len(desk.browser.launches()) == 1, "one sign-in opens one browser"


def test_deny_in_the_browser_says_so_and_stores_nothing(desk: Desk) -> None:
    browser = open_consent_page(desk)
    browser.click("Deny")
    browser.wait_for_title("ccdesk: Access declined")
    assert "You declined access. You can close this tab and return to ccdesk." in browser.text()
    screen = desk.app.wait_for("the declined message", lambda s: s["sign_in"] and s["sign_in"]["error"])["sign_in"]
    assert screen["page"] == "start"
    assert screen["error"] == "You declined access in the browser. Sign in again when you are ready."
    assert desk.stored_tokens(None) is None
    assert desk.oauth.token_requests["authorization_code"] == 0
    assert listener_closed(desk.port)


def test_browser_closed_without_answering_then_cancel(desk: Desk) -> None:
    browser = open_consent_page(desk)
    assert browser.running()
    browser.close()
    assert not browser.running(), "the browser did not close"
    screen = desk.app.sign_in_screen("browser")  # nothing told the window: it keeps waiting, and says so
    assert screen["browser_status"] == "Waiting for you to approve in the browser…"
    assert not listener_closed(desk.port, within=0)
    desk.app.ask("click cancel")
    screen = desk.app.sign_in_screen("start")
    assert screen["error"] == "" and screen["browser_enabled"]
    assert listener_closed(desk.port), "the listener must stop when the sign-in is cancelled"
    assert desk.stored_tokens(None) is None


def test_approving_in_a_stale_tab_fails_the_security_check(desk: Desk) -> None:
    """Cancel, sign in again, then approve in the first attempt's tab: its answer carries the old state, so it is
    ignored; approving in the current tab then signs in."""
    first = open_consent_page(desk, 0)
    desk.app.ask("click cancel")
    desk.app.sign_in_screen("start")
    second = open_consent_page(desk, 1)
    assert second.driver.current_url != first.driver.current_url
    first.click("Approve")
    first.wait_for_title_not("Allow access?")
    assert first.driver.current_url.startswith(desk.redirect_uri + "?code="), "the answer went to the listener"
    page = first.text()
    assert first.driver.title != "ccdesk: Signed in" and "return to ccdesk" not in page, page
    assert desk.oauth.token_requests["authorization_code"] == 0, "a code from a stale tab must not be exchanged"
    assert desk.stored_tokens(None) is None
    shown = desk.app.ask("state")["sign_in"]
    assert shown["page"] == "browser" and not shown["error"], "the listener ignores a stale answer and keeps waiting"
    second.click("Approve")  # ... for the answer of this attempt's tab
    second.wait_for_title("ccdesk: Signed in")
    signed_in_window(desk)
    assert_tokens_in_keyring(desk)


def answer_device_code(desk: Desk, decision: str) -> None:
    """Press 'Sign in with a code', then type the code shown into the activation page and answer it."""
    desk.oauth.device_interval_s = 1
    desk.app.sign_in_screen()
    desk.app.ask("click device")
    screen = desk.app.wait_for("a sign-in code", lambda s: s["sign_in"] and s["sign_in"]["user_code"] not in ("", "—"))
    code, address = screen["sign_in"]["user_code"], screen["sign_in"]["device_url"]
    assert address == desk.server.base_url + "/activate"
    browser = own_browser()  # the person's browser, on this or any other device
    try:
        browser.driver.get(address)
        browser.wait_for_title("Activate a device")
        browser.type_into("user_code", code)
        browser.click("Next")
        browser.wait_for_title("Activate a device")
        assert f"Code: {code}" in browser.text() and CLIENT_ID in browser.text()
        browser.click(decision)
        browser.wait_for_title("Device sign-in")
        assert ("Access approved" if decision == "Approve" else "Access denied") in browser.text()
    finally:
        browser.close()
    assert desk.browser.launches() == [], "the device flow opens no browser by itself"


def test_device_code_typed_into_the_activation_page(desk: Desk) -> None:
    answer_device_code(desk, "Approve")
    signed_in_window(desk)
    assert_tokens_in_keyring(desk, None)  # under the device app's key where ccdesk has one


def test_device_code_denied_on_the_activation_page(desk: Desk) -> None:
    answer_device_code(desk, "Deny")
    screen = desk.app.wait_for("the declined message", lambda s: s["sign_in"] and s["sign_in"]["error"])["sign_in"]
    assert "declined access on the verification page" in screen["error"], screen
    assert screen["page"] == "start" and desk.stored_tokens(None) is None
