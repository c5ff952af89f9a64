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
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$"
)
DAY_MS = 86_400_000
# The instants a date-time given by a client may name: those iso_z can write back (years 0001-9999 in UTC).
_MIN_MS = int(datetime(1, 1, 1, tzinfo=UTC).timestamp()) * 1000
_MAX_MS = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()) * 1000 + 999


def now_ms(clock: Callable[[], float]) -> int:
    return int(clock() * 1000)


def _dt(ms: int, tz: timezone) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def _stamp(d: datetime) -> str:
    # Not strftime("%Y"): glibc writes year 200 as "200", which is not ISO-8601 (and which the sandbox itself
    # then refuses when a client sends the value back).
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}."


def iso_z(ms: int) -> str:
    """`2024-01-05T13:48:44.108Z`."""
    return _stamp(_dt(ms, UTC)) + f"{ms % 1000:03d}Z"


def iso_offset(ms: int) -> str:
    """`2024-01-05T08:48:44.108-05:00`."""
    d = _dt(ms, EMAIL_TZ)
    return _stamp(d) + f"{ms % 1000:03d}" + d.strftime("%z")[:3] + ":00"


def iso_date(ms: int) -> str:
    """`2024-01-05` (UTC day), the format of `deleted_at`."""
    return _dt(ms, UTC).date().isoformat()


def parse_datetime(text: str) -> int:
    """An ISO-8601 date-time with seconds and a zone (`Z`, `±hh:mm` or `±hhmm`) → epoch ms; ValueError else.

    `±hhmm` (the basic offset) is what the official Python SDK sends (`%Y-%m-%dT%H:%M:%S.%f%z`, e.g.
    `2026-11-30T21:48:34.491844+0000`); the spec says only "ISO-8601", and a service generated from the spec
    accepts what its own SDK sends. Zone-less and date-only values stay refused (their instant is unknown).
    An instant outside the years 0001-9999 in UTC (e.g. `0001-01-01T00:00:00+14:00`) is refused too: it could
    not be written back as a date-time.
    """
    m = _DATETIME_RE.match(text)
    if not m:
        raise ValueError(text)
    frac = (m.group(7) or ".0")[1:]
    zone = m.group(8)
    if zone != "Z" and int(zone[-2:]) > 59:
        raise ValueError(text)
    tz = UTC if zone == "Z" else timezone(
        (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    )
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    d = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    ms = int(d.timestamp()) * 1000 + int(frac[:3].ljust(3, "0"))
    if not _MIN_MS <= ms <= _MAX_MS:
        raise ValueError(text)
    return ms


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
