"""The service's clock from the answers' Date headers (ccdesk/api/service_clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccdesk.api.service_clock import ServiceClock

LOCAL = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def test_the_offset_is_what_the_date_header_says() -> None:
    clock = ServiceClock(lambda: LOCAL)
    assert clock.service_time(LOCAL) == LOCAL  # no answer yet: this PC's clock
    clock.note("Wed, 02 Dec 2026 11:30:00 GMT")  # the service is half an hour behind
    assert clock.offset == timedelta(minutes=-30)
    assert clock.service_time(LOCAL + timedelta(hours=1)) == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    clock.note("Wed, 02 Dec 2026 12:00:07 -0000")  # "-0000" (no zone told) is read as GMT
    assert clock.offset == timedelta(seconds=7)


def test_a_missing_or_malformed_date_changes_nothing() -> None:
    clock = ServiceClock(lambda: LOCAL)
    clock.note("Wed, 02 Dec 2026 11:59:00 GMT")
    for bad in (None, "", "yesterday", "Wed, 32 Foo 2026 99:99:99 GMT", "0"):
        clock.note(bad)
        assert clock.offset == timedelta(minutes=-1), bad
