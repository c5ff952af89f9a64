"""The signed-in account for a command: the window's saved settings and the sign-in it keeps in the OS keyring.

A command never opens a browser or asks for a password: without a usable sign-in it stops with a message
that says how to sign in (in the window), and exit code 3.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccdesk.api import CCClient
from ccdesk.auth.session import AuthSession
from ccdesk.auth.token_store import KeyringTokenStore
from ccdesk.bootstrap.account import account_client, cache_path, load_settings, record_identity, team_link
from ccdesk.preferences import Preferences, preferences_path

HOW_TO_SIGN_IN = ("Run `ccdesk sign-in` (`ccdesk sign-in --device` on a computer without a browser), or open the "
                  "ccdesk window as this user and sign in there; then run the command again.")


class NotSignedIn(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Account:
    session: AuthSession
    client: CCClient
    db_path: Path  # the client is closed with the Desk built on it; the session by the caller
    prefs: Preferences | None = None

    def team_link(self) -> Any:
        """A TeamLink for the Desk in team mode (docs/team.md), else None."""
        return team_link(self.prefs) if self.prefs is not None else None


def sign_in_keys(prefs: Preferences) -> list[str]:
    """The API keys a desk's sign-in may be saved under: the browser app's, then the device-flow app's."""
    return list(dict.fromkeys(k for k in (prefs.client_id, prefs.device_client_id) if k))


async def open_account(args: argparse.Namespace) -> Account:
    prefs = load_settings(args)
    record_identity(prefs)  # scheduled jobs are journaled like the window
    keys = sign_in_keys(prefs)
    if not keys:
        raise NotSignedIn(f"ccdesk has no API key yet ({preferences_path()} has none). {HOW_TO_SIGN_IN}")
    session: AuthSession | None = None
    for key in keys:
        try:
            config = prefs.auth_config(key)
        except ValueError as exc:
            raise NotSignedIn(f"The saved settings cannot be used ({exc}). Fix them in ccdesk's Settings.") from exc
        store = KeyringTokenStore(config.client_id)
        problem = store.problem()
        if problem:
            raise NotSignedIn(f"This command cannot read the sign-in from the keyring: {problem}. Run it in the "
                              "same user's session as the window (on Linux: a Secret Service such as gnome-keyring "
                              "must be running and unlocked).")
        session = await AuthSession.restore(config, store)
        if session.signed_in:
            break
        await session.aclose()
        if session.store_problem:
            raise NotSignedIn(f"{session.store_problem} {HOW_TO_SIGN_IN}")
    if session is None or not session.signed_in:
        raise NotSignedIn(f"Not signed in to Constant Contact. {HOW_TO_SIGN_IN}")
    return Account(session, account_client(session, prefs), cache_path(args), prefs)
