"""Datetime normalisation.

Every timestamp is stored as fixed-width ISO-8601 UTC text, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, so that
plain string comparison in SQL orders correctly. The API mixes ``-05:00`` offsets, ``Z`` and varying
fraction lengths, which do *not* sort as text until normalised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC. Naive datetimes are refused: their meaning is ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed (give a timezone): {value!r}")
    return value.astimezone(UTC)


def _fmt(value: datetime) -> str:
    """Format an aware UTC datetime (isoformat is faster than strftime)."""
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def dt_to_db(value: datetime) -> str:
    return _fmt(to_utc(value))


def parse_api_datetime(value: object) -> datetime | None:
    """Parse an API date-time; a missing offset means UTC. Unparseable values give None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # `0001-01-01T00:00:00+05:00` is before the first moment a datetime can hold in UTC
        return None


def api_to_db(value: object) -> str | None:
    """API date-time string -> canonical stored text (None if absent or unparseable)."""
    if isinstance(value, str) and value.endswith("+00:00"):
        value = value[:-6] + "Z"
    if (isinstance(value, str) and value[-1:] == "Z" and len(value) in _Z_PADDING and value[10] == "T"
            and value[19] in ".Z" and value[4] == value[7] == "-"):
        # The service's usual form (`2016-01-23T13:48:44.108Z`), already UTC: checked by the C parser, then
        # padded to microseconds as text (a fifth of the time of a parse, convert and format; a full read
        # stores five dates per contact).
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return None
        return value[:-1] + _Z_PADDING[len(value)]
    parsed = parse_api_datetime(value)
    return None if parsed is None else _fmt(parsed)


# length of `YYYY-MM-DDTHH:MM:SS[.f...]Z` -> what makes it `.ffffffZ`
_Z_PADDING = {20: ".000000Z", 22: "00000Z", 23: "0000Z", 24: "000Z", 25: "00Z", 26: "0Z", 27: "Z"}


def api_date_to_db(value: object) -> str | None:
    """API date (``YYYY-MM-DD``; a full date-time is accepted and reduced to its UTC date)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        parsed = parse_api_datetime(text)
        return None if parsed is None else parsed.date().isoformat()


def db_to_dt(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)  # C-fast; our canonical form always ends in Z


def db_to_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
