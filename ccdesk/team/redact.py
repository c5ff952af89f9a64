"""The team database's password out of every message team code shows or logs.

libpq quotes what it could not parse, and a malformed address may be quoted whole, password included
(`... in URI: "postgresql://desk:PASSWORD@[::1/ccdesk"`, `invalid percent-encoded token: "PASSWORD"`). Every DSN
that team code parses, and every password it reads from the keyring, is remembered here for this process, and
every TeamError message goes through `redact()`: a remembered password is hidden wherever it appears, and a
quoted fragment that overlaps one is hidden whole (a short or split password cannot be found by search alone).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote

HIDDEN = "[hidden]"
_KEYWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s&#]*)", re.IGNORECASE)
_USERINFO = re.compile(r"^\s*[a-z][a-z0-9+.-]*://([^/?#]*)@", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]*)"')
_secrets: set[str] = set()
_lock = threading.Lock()


def passwords_in(dsn: str) -> set[str]:
    """What may be a password in `dsn`, parsed or not: `password=` values (key=value or URI query) and the URI's
    user:password@. Percent-decoded forms too."""
    found = {m.group(1).strip("'") for m in _KEYWORD.finditer(dsn)}
    userinfo = _USERINFO.match(dsn)
    if userinfo and ":" in userinfo.group(1):
        found.add(userinfo.group(1).split(":", 1)[1])
    found |= {unquote(s) for s in found}
    return {s for s in found if s}


def remember(dsn: str = "", password: str | None = None) -> None:
    """Hide these from now on (a DSN's passwords, or one password)."""
    new = passwords_in(dsn) | ({password} if password else set())
    if new:
        with _lock:
            _secrets.update(new)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    if not secrets or not text:
        return text

    def quoted(m: re.Match[str]) -> str:
        inner = m.group(1)
        if any(s in inner or (len(inner) >= 3 and inner in s) for s in secrets):
            return f'"{HIDDEN}"'
        return m.group(0)

    text = _QUOTED.sub(quoted, text)
    for secret in secrets:
        if len(secret) >= 4:  # shorter ones only inside quotes (above): they would hide ordinary words
            text = text.replace(secret, HIDDEN)
    return text
