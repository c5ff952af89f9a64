"""The one way ccdesk opens an SQLite file read-only by URI (the store's checks and rank builds, the request budget)."""

from __future__ import annotations

import os
from urllib.parse import quote

_KEPT = "/:\\"  # path separators and a drive's colon stay as they are


def read_only_uri(path: str | os.PathLike[str]) -> str:
    """An SQLite URI that opens `path` read-only. Pasted into "file:...?mode=ro" as is, a "#" or "?" in a folder name
    (say "Team #2") cut the path short, and SQLite opened, or created, another file read-write; so those, "%" and
    spaces are escaped, and nothing else changes: no `resolve()`/`as_uri()`, which turn a Windows mapped drive into
    a UNC path, "file://server/...", a URI authority SQLite refuses."""
    return "file:" + quote(os.fspath(path), safe=_KEPT) + "?mode=ro"
