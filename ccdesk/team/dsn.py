"""The team database's address (DSN): kept without its password; the password lives in the OS keyring.

Accepts libpq's two forms (`postgresql://user:pw@host:5432/db?sslmode=require` and `host=... user=...`).
Every libpq parameter is kept as given, `sslmode` included, so IT's choice (`verify-full` with a CA file) is what
the desk uses. A DSN without `connect_timeout` gets 5 seconds, so an unreachable database costs seconds, not
minutes.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import keyring
import keyring.errors
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .errors import TeamError, TeamLoginRefused, TeamUnreachable
from .redact import remember

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ccdesk-team-database"
CONNECT_TIMEOUT_S = "5"


def parse(dsn: str) -> dict[str, Any]:
    """The DSN's parameters; TeamError with a plain message when it is not a DSN."""
    remember(dsn)  # before libpq may quote it back in an error
    try:
        params = conninfo_to_dict(dsn.strip())
    except psycopg.ProgrammingError as exc:
        raise TeamError(f"This is not a PostgreSQL address ({str(exc).strip()}). Write it like "
                        "postgresql://USER@HOST:5432/DATABASE?sslmode=require") from None
    if not params.get("dbname") and not params.get("host"):
        raise TeamError("The address names no database server. Write it like "
                        "postgresql://USER@HOST:5432/DATABASE?sslmode=require")
    return params


def without_password(dsn: str) -> tuple[str, str | None]:
    """(the DSN as saved: no password, in key=value form; the password it carried, if any)."""
    params = parse(dsn)
    password = params.pop("password", None)
    return make_conninfo("", **params), password


def keyring_user(dsn: str) -> str:
    """The keyring entry's name for this database and role: user@host:port/dbname."""
    p = parse(dsn)
    return f"{p.get('user', '')}@{p.get('host', '')}:{p.get('port', '5432')}/{p.get('dbname', '')}"


def save_password(dsn: str, password: str) -> None:
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_user(dsn), password)
    except keyring.errors.KeyringError as exc:
        raise TeamError(f"The database password could not be saved in the OS keyring ({exc}). On Linux a Secret "
                        "Service (e.g. gnome-keyring) must be running and unlocked; or give the password through "
                        "~/.pgpass instead of the address.") from None


def forget_password(dsn: str) -> None:
    with contextlib.suppress(keyring.errors.KeyringError):  # nothing saved (or no keyring): nothing to forget
        keyring.delete_password(KEYRING_SERVICE, keyring_user(dsn))


def _password(dsn: str) -> str | None:
    try:
        password = keyring.get_password(KEYRING_SERVICE, keyring_user(dsn))
        remember(password=password)
        return password
    except keyring.errors.KeyringError as exc:
        log.info("no team database password from the keyring (%s); libpq's own sources apply", type(exc).__name__)
        return None


KEEPALIVE = {"keepalives": "1", "keepalives_idle": "20", "keepalives_interval": "10", "keepalives_count": "3",
             "tcp_user_timeout": "60000"}  # libpq names; tcp_user_timeout is in milliseconds

def conninfo(dsn: str) -> str:
    """The full connection string: the saved DSN, the keyring's password (unless the DSN has one; libpq still
    reads ~/.pgpass and PGPASSWORD when neither does) and a connect timeout."""
    params = parse(dsn)
    if "password" not in params and (password := _password(dsn)):
        params["password"] = password
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    # A link that dies mid-query (VPN, Wi-Fi) must fail in about a minute, not after the OS's ~15-minute TCP
    # timeout: the replica exchange runs on the store's thread and would hold the desk's searches meanwhile.
    for name, value in KEEPALIVE.items():
        params.setdefault(name, value)
    params.setdefault("application_name", "ccdesk")
    return make_conninfo("", **params)


def describe(dsn: str) -> str:
    """The DSN for messages and logs: never a password."""
    p = parse(dsn)
    where = f"{p.get('host', 'local socket')}:{p.get('port', '5432')}/{p.get('dbname', '')}"
    return f"{p.get('user', '')}@{where}" if p.get("user") else where


def failure(exc: Exception) -> str:
    """libpq's reason without its framing: 'Connection refused', 'FATAL:  password authentication failed ...'
    (its first line ends with it; the next ones are hints such as 'Is the server running ...?')."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[0].rsplit(" failed: ", 1)[-1].replace("FATAL:  ", "")


# libpq's words when the server answered and refused the login (not when it could not be reached)
_LOGIN_REFUSED = re.compile(r"password authentication failed|no password supplied|authentication failed|"
                            r"role \S+ does not exist|password is required", re.IGNORECASE)


def connect(dsn: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A connection, or TeamUnreachable saying why (no password in the message)."""
    try:
        return psycopg.connect(conninfo(dsn), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        reason = failure(exc)
        if _LOGIN_REFUSED.search(reason):
            raise TeamLoginRefused(f"The team database {describe(dsn)} refused this desk's login ({reason}). Check "
                                   "the user name and password: `ccdesk team join` (or Settings → Team) saves the "
                                   "password in this computer's keyring. Meanwhile ccdesk works from this desk's "
                                   "own copy.") from None
        raise TeamUnreachable(f"The team database {describe(dsn)} cannot be reached ({reason}). ccdesk keeps "
                              "working from this desk's own copy and sends its changes when the database is "
                              "back.") from None
