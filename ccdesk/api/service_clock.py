"""The service's clock, as seen from this PC: every answer's `Date` header (RFC 9110 §6.6.1) against the local time
it arrived.

Sync bookmarks are compared with times the service wrote (`updated_after`, `optout_after`), so they must be in
the service's time: a PC whose clock runs ahead would otherwise ask for changes "after" a moment the service has
not reached yet and skip what happens in between. `Date` has whole seconds and is written before the answer
travels, so the offset measured from it errs towards the past: a bookmark built from it is early, never late,
and reading a change twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

log = logging.getLogger(__name__)

WARN_SKEW = timedelta(minutes=2)  # worth a line in the log: the PC's clock is this far from the service's


class ServiceClock:
    def __init__(self, local: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._local = local
        self.offset: timedelta | None = None  # service time minus local time; None until an answer had a Date
        self._warned = False

    def note(self, date_header: str | None) -> None:
        """Record the offset an answer's `Date` shows (an answer without one, or with a malformed one, is
        ignored)."""
        if not date_header:
            return
        try:
            service = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if service.tzinfo is None:  # "-0000" or an obsolete zone: RFC 9110 says GMT
            service = service.replace(tzinfo=UTC)
        self.offset = service - self._local()
        if abs(self.offset) > WARN_SKEW and not self._warned:
            self._warned = True
            log.warning("this computer's clock is %+.0f s from Constant Contact's; sync bookmarks use the "
                        "service's time", -self.offset.total_seconds())

    def service_time(self, local: datetime) -> datetime:
        """`local` (a time on this PC's clock) in the service's time, as far as the answers so far tell."""
        return local if self.offset is None else local + self.offset
