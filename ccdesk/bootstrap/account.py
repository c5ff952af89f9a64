"""The settings and the API client of a signed-in account, the same for the window and every command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ccdesk.api import CCClient, RateLimiter
from ccdesk.api.shared_budget import SharedBudget
from ccdesk.api.tokens import TokenProvider
from ccdesk.auth.session import AuthSession
from ccdesk.preferences import Preferences
from ccdesk.store.audit import set_identity
from ccdesk.store.sqlite_file import default_db_path


def load_settings(args: argparse.Namespace) -> Preferences:
    """The saved settings, with this run's `--api-base`/`--auth-base` (not saved: they are for this run)."""
    prefs = Preferences.load()
    if getattr(args, "api_base", None):
        prefs.for_this_run("api_base", args.api_base)
    if getattr(args, "auth_base", None):
        prefs.for_this_run("auth_base", args.auth_base)
    return prefs


def record_identity(prefs: Preferences) -> None:
    """The desk name and Constant Contact user from Settings go into every journal row from now on."""
    set_identity(desk=prefs.desk_name, cc_user=prefs.cc_user)


def account_client(session: AuthSession, prefs: Preferences, tokens: TokenProvider | None = None) -> CCClient:
    """The API client over a sign-in. Every ccdesk process of this desk using this API key draws from one
    request budget (api/shared_budget.py); in team mode, every desk of the team (team/budget.py). `tokens`:
    where its tokens come from when not always from `session` (the window: whichever session is in use)."""
    return CCClient(tokens or session, base_url=prefs.api_base, rate_limiter=account_limiter(session.config.client_id,
                                                                                           prefs))


def account_limiter(api_key: str, prefs: Preferences) -> RateLimiter:
    """The request budget of one API key: the desk's (api/shared_budget.py), or in team mode the team's."""
    if prefs.team_dsn.strip():
        from ccdesk.team.config import current
        from ccdesk.team.wiring import rate_limiter

        return rate_limiter(api_key, current(prefs))
    return SharedBudget(api_key)


def team_link(prefs: Preferences) -> Any:
    """This desk's TeamLink when it is in a team (Settings → Team, `ccdesk team join`, or IT's machine-wide
    `team_dsn`), else None: a single desk never imports team mode."""
    if not prefs.team_dsn.strip():
        return None
    from ccdesk.team.config import current
    from ccdesk.team.link import TeamLink

    settings = current(prefs)
    return TeamLink(settings) if settings is not None else None


def cache_path(args: argparse.Namespace) -> Path:
    """`--db`, or the cache file in the user data directory."""
    return Path(args.db) if getattr(args, "db", None) else default_db_path()
