"""`ccdesk sign-in [--device] [--client-id ID]`, `ccdesk sign-out`, `ccdesk status [--json]`: the desk's sign-in
without the window (a scheduled job on a server, a locked-down desk).

`sign-in` opens the browser flow where a browser can be opened (the address is printed too) and the device flow
with `--device` (prints the code and the address, waits, exit 0 once approved). `--client-id` sets and remembers
the API key for that flow: the browser app's key, or with `--device` the device-flow app's key (Constant Contact
registers one flow per app). The sign-in is saved to the OS keyring, where the window and every command find it.
"""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Any

from ccdesk.auth.config import AuthConfig
from ccdesk.auth.flows import DeviceCode, DeviceFlow, sign_in_pkce
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import KeyringTokenStore, TokenStoreError
from ccdesk.bootstrap.account import cache_path, load_settings
from ccdesk.preferences import Preferences, preferences_path
from ccdesk.wording import plural

from .account import NotSignedIn, sign_in_keys
from .exit_codes import Exit
from .output import Output

ACCOUNT_COMMANDS = ("sign-in", "sign-out", "status")
BROWSER_TIMEOUT_S = 300.0


def add_parsers(sub: Any, common: argparse.ArgumentParser, epilog: str) -> None:
    p = sub.add_parser("sign-in", parents=[common], epilog=epilog, help="sign in to Constant Contact (browser, "
                       "or --device for a code)", description="Sign in and save the sign-in to the OS keyring, "
                       "for the window and every command on this desk.")
    p.add_argument("--device", action="store_true", help="sign in with a code on any other device (no browser "
                   "needed on this computer)")
    p.add_argument("--client-id", metavar="ID", help="the API key to use for this flow, remembered for next time")
    p.add_argument("--timeout", type=float, default=BROWSER_TIMEOUT_S, metavar="SECONDS",
                   help="how long to wait for the browser (default 300; a code lasts as long as it is valid)")
    sub.add_parser("sign-out", parents=[common], epilog=epilog, help="remove this desk's saved sign-in",
                   description="Sign out: remove the saved sign-in from the OS keyring (the window and every "
                   "command on this desk are then signed out).")
    sub.add_parser("status", parents=[common], epilog=epilog, help="who is signed in, the keyring, the API key, "
                   "requests today, last sync, changes waiting")


async def run(args: argparse.Namespace, out: Output) -> int:
    handler = {"sign-in": sign_in, "sign-out": sign_out, "status": status}[args.command]
    return int(await handler(args, out))


# ---- sign-in -----------------------------------------------------------------------------------------------------

async def sign_in(args: argparse.Namespace, out: Output) -> Exit:
    prefs = load_settings(args)
    if args.client_id is not None:
        key = args.client_id.strip()
        if not key:
            raise NotSignedIn("--client-id needs the API key of your Constant Contact app.")
        saved = Preferences.load()  # remember the key, not the hidden --api-base/--auth-base of this run
        if args.device:
            saved.device_client_id = prefs.device_client_id = key
        else:
            saved.client_id = prefs.client_id = key
        saved.save()
    key = (prefs.device_client_id or prefs.client_id) if args.device else prefs.client_id
    if not key:
        raise NotSignedIn(f"ccdesk has no API key yet ({preferences_path()} has none). Run `ccdesk sign-in "
                          f"{'--device ' if args.device else ''}--client-id YOUR_API_KEY` with the key of your "
                          "organisation's Constant Contact app.")
    try:
        config = prefs.auth_config(key)
    except ValueError as exc:
        raise NotSignedIn(f"The saved settings cannot be used ({exc}). Fix them in ccdesk's Settings.") from exc
    store = KeyringTokenStore(key)
    problem = store.problem()
    if problem:
        raise NotSignedIn(f"ccdesk cannot keep a sign-in here: {problem}.")
    try:
        await store.aload()  # a locked or unreachable keyring shows now, not after the user has signed in
    except TokenStoreError as exc:
        raise NotSignedIn(f"ccdesk cannot keep a sign-in here: {exc.cause}.") from exc
    tokens = await (_device(config, out) if args.device else _browser(config, out, args.timeout))
    session = AuthSession(config, store)
    try:
        if not await session.sign_in(tokens):
            raise NotSignedIn(f"You signed in, but the sign-in could not be saved: {session.store_problem}")
        for other in sign_in_keys(prefs):  # one sign-in chain per desk: the other app's saved sign-in goes
            if other != key:
                try:
                    KeyringTokenStore(other).clear()
                except TokenStoreError as exc:
                    out.warn(f"Could not remove the older sign-in of API key {other}: {exc.cause}")
    finally:
        await session.aclose()
    out.say(f"Signed in to Constant Contact with API key {key} ({'device flow' if args.device else 'browser'}); "
            f"the sign-in is saved in the {store.backend_name()} for the window and every command on this desk.")
    out.result({"command": "sign-in", "ok": True, "exit_code": 0, "api_key": key,
                "flow": "device" if args.device else "browser", "keyring": store.backend_name()})
    return Exit.OK


async def _browser(config: AuthConfig, out: Output, timeout_s: float) -> Any:
    def opener(url: str) -> bool:
        out.warn("Opening Constant Contact's sign-in page in your browser. If it does not open, open this address "
                 f"in a browser on this computer:\n  {url}")
        try:
            opened = webbrowser.open(url)
        except Exception:  # no browser at all: the printed address still works
            opened = False
        if not opened:
            out.warn("No browser could be opened here. Open the address above in a browser on this computer, or "
                     "press Ctrl+C and run `ccdesk sign-in --device` to sign in with a code on another device.")
        return opened

    out.warn("(On a computer without a browser, use `ccdesk sign-in --device` instead.)")
    return await sign_in_pkce(config, opener, timeout_s=timeout_s)


async def _device(config: AuthConfig, out: Output) -> Any:
    def show(code: DeviceCode) -> None:
        minutes = max(1, round(code.expires_in / 60))
        lines = [f"To sign in, open {code.verification_uri} on any device and enter the code:",
                 f"    {code.user_code}"]
        if code.verification_uri_complete:
            lines.append(f"(or open {code.verification_uri_complete})")
        lines.append(f"Waiting for approval; the code expires in {plural(minutes, 'minute')}. Ctrl+C cancels.")
        text = "\n".join(lines)
        if out.json_mode:  # stdout holds only the one JSON result
            out.warn(text)
        else:
            out.say(text)

    flow = DeviceFlow(config)
    return await flow.run(show)


# ---- sign-out ----------------------------------------------------------------------------------------------------

async def sign_out(args: argparse.Namespace, out: Output) -> Exit:
    prefs = load_settings(args)
    removed: list[str] = []
    for key in sign_in_keys(prefs):
        store = KeyringTokenStore(key)
        problem = store.problem()
        if problem:
            raise NotSignedIn(f"ccdesk cannot reach the keyring to sign out: {problem}.")
        if await store.aload() is not None:
            await store.aclear()
            removed.append(key)
    out.say("Signed out: the saved sign-in was removed from the keyring." if removed else
            "No sign-in was saved on this desk; nothing to remove.")
    out.result({"command": "sign-out", "ok": True, "exit_code": 0, "removed": removed})
    return Exit.OK


# ---- status ------------------------------------------------------------------------------------------------------

async def status(args: argparse.Namespace, out: Output) -> Exit:
    prefs = load_settings(args)
    info: dict[str, Any] = {"command": "status", "signed_in": False, "api_key": None, "flow": None,
                            "keyring": None, "keyring_problem": None, "access_token_expires_at": None,
                            "browser_api_key": prefs.client_id or None, "device_api_key": prefs.device_client_id
                            or None}
    for key in sign_in_keys(prefs):
        store = KeyringTokenStore(key)
        info["keyring"] = store.backend_name()
        problem = store.problem()
        if problem:
            info["keyring_problem"] = problem
            break
        try:
            tokens = await store.aload()
        except TokenStoreError as exc:
            info["keyring_problem"] = exc.cause
            break
        if tokens is not None:
            info.update(signed_in=True, api_key=key, flow="device" if key != prefs.client_id else "browser",
                        access_token_expires_at=tokens.expires_at.isoformat())
            break
    info.update(_store_figures(cache_path(args), info["api_key"] or prefs.client_id))
    info["ok"] = bool(info["signed_in"])
    info["exit_code"] = int(Exit.OK if info["signed_in"] else Exit.NOT_SIGNED_IN)
    for line in _status_lines(info):
        out.say(line)
    out.result(info)
    return Exit.OK if info["signed_in"] else Exit.NOT_SIGNED_IN


def _status_lines(info: dict[str, Any]) -> list[str]:
    if info["signed_in"]:
        who = f"Signed in to Constant Contact with API key {info['api_key']} ({info['flow']} sign-in)."
    elif info["keyring_problem"]:
        who = f"Not signed in: {info['keyring_problem']}."
    elif not (info["browser_api_key"] or info["device_api_key"]):
        who = "Not signed in, and no API key is set: run `ccdesk sign-in --client-id YOUR_API_KEY`."
    else:
        who = "Not signed in: run `ccdesk sign-in` (or `ccdesk sign-in --device` on a computer without a browser)."
    requests = info.get("requests_today")
    return [
        who,
        f"Keyring: {info['keyring'] or 'not checked (no API key)'}",
        f"API key for the browser sign-in: {info['browser_api_key'] or 'not set'}; for a code (device flow): "
        f"{info['device_api_key'] or 'not set'}",
        f"Requests used today (UTC): {requests:,} of 10,000" if requests is not None else
        "Requests used today (UTC): unknown (no API key)",
        f"Last sync: {info.get('last_sync') or 'never'}",
        f"Changes waiting to be sent: {info.get('waiting', 0):,}",
    ]


def _store_figures(db_path: Path, api_key: str | None) -> dict[str, Any]:
    """Requests today (every process of this desk with this API key: the shared request budget), last sync and
    waiting changes from the local cache, without creating it."""
    from ccdesk.api.shared_budget import requests_used_today

    figures: dict[str, Any] = {"db": str(db_path), "requests_today": requests_used_today(api_key) if api_key
                               else None, "last_sync": None, "waiting": 0}
    if not db_path.exists():
        return figures
    from ccdesk.services.sync import LAST_RUN
    from ccdesk.store.database import DeskDatabase

    try:
        store = DeskDatabase(db_path)
    except Exception as exc:  # reported, not fatal: status still says who is signed in
        figures["store_problem"] = str(getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}")
        return figures
    try:
        figures["last_sync"] = store.get_state(LAST_RUN)
        figures["waiting"] = len(store.pending())
    finally:
        store.close()
    return figures

