"""One wording for counts and dates, used by the window, the commands and the reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ccdesk.wording import clock, day, is_are, moment, noun, plural, was_were


def test_counts_take_their_plural_and_a_thousands_separator() -> None:
    assert plural(1, "contact") == "1 contact"
    assert plural(0, "contact") == "0 contacts"
    assert plural(1200, "change") == "1,200 changes"
    assert plural(2, "address", "addresses") == "2 addresses"
    assert plural(["a", "b"], "list") == "2 lists"  # anything with a length
    assert noun(1, "opt-out") == "opt-out" and noun(3, "opt-out") == "opt-outs"
    assert (is_are(1), is_are(2), was_were([1]), was_were(0)) == ("is", "are", "was", "were")


def test_dates_read_the_same_everywhere() -> None:
    at = datetime(2026, 5, 1, 9, 30, 15, tzinfo=UTC)
    local = at.astimezone()
    assert day(at) == local.strftime("%d %b %Y")
    assert day(None) == "an unknown date" and day(None, "never") == "never"
    assert clock(at) == local.strftime("%H:%M")
    assert moment(at) == local.strftime("%Y-%m-%d %H:%M %Z")
    assert moment(at, zone=False) == local.strftime("%Y-%m-%d %H:%M")
    assert moment(at.astimezone(timezone(timedelta(hours=5, minutes=30))), utc=True) == "2026-05-01 09:30 UTC"
    assert moment(None) == "" and moment(None, "date unknown", utc=True) == "date unknown"
