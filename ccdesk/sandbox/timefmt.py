"""Timestamps: stored as integer epoch milliseconds, written the way the service writes them.

Contact-level and activity dates use UTC with a `Z` suffix; email-address dates use a fixed `-05:00`
offset (both forms appear in the service's examples, so clients must parse both). Milliseconds are always
written, so a date read back and sent as a filter compares exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

EMAIL_TZ = timezone(timedelta(hours=-5))
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
)
DAY_MS = 86_400_000


def now_ms(clock: Callable[[], float]) -> int:
    return int(clock() * 1000)


def _dt(ms: int, tz: timezone) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def iso_z(ms: int) -> str:
    """`2024-01-05T13:48:44.108Z`."""
    return _dt(ms, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_offset(ms: int) -> str:
    """`2024-01-05T08:48:44.108-05:00`."""
    d = _dt(ms, EMAIL_TZ)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + d.strftime("%z")[:3] + ":00"


def iso_date(ms: int) -> str:
    """`2024-01-05` (UTC day), the format of `deleted_at`."""
    return _dt(ms, UTC).date().isoformat()


def parse_datetime(text: str) -> int:
    """A strict ISO-8601 date-time with seconds and a zone (`Z` or `±hh:mm`) → epoch ms; ValueError else.

    Stricter than the service probably is (it may accept more forms): a client that passes here passes there.
    """
    m = _DATETIME_RE.match(text)
    if not m:
        raise ValueError(text)
    frac = (m.group(7) or ".0")[1:]
    zone = m.group(8)
    tz = UTC if zone == "Z" else timezone(
        (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    )
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    d = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    return int(d.timestamp()) * 1000 + int(frac[:3].ljust(3, "0"))


def utc_day(ms: int) -> int:
    """Days since the epoch (UTC) — the daily quota's period."""
    return ms // DAY_MS


def parse_anniversary(text: str) -> str:
    """One of the documented anniversary formats → `YYYY-MM-DD`; ValueError if none matches or no such day."""
    for sep in ("/", "-"):
        parts = text.split(sep)
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue
        a, b, c = parts
        if len(a) == 4 and 1 <= len(b) <= 2 and 1 <= len(c) <= 2:  # YYYY/MM/DD, YYYY-M-D ...
            y, mo, d = int(a), int(b), int(c)
        elif len(c) == 4 and 1 <= len(a) <= 2 and 1 <= len(b) <= 2:  # MM/DD/YYYY, M-D-YYYY ...
            y, mo, d = int(c), int(a), int(b)
        else:
            continue
        return date(y, mo, d).isoformat()
    raise ValueError(text)
