"""The opt-out compliance clock: by when must an unsubscribe request take effect?

Plain Python (no Qt). Business days are Monday to Friday, minus any holidays the caller passes. Public
holidays differ by country, province and state, so none are built in: without them the computed due date is
never later than the legal one (skipping a holiday only moves the deadline out), which errs on the safe side.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

__all__ = ["OPT_OUT_BUSINESS_DAYS", "add_business_days", "business_days_left", "compliance_due_date", "is_overdue"]

OPT_OUT_BUSINESS_DAYS = 10
"""CAN-SPAM and CASL both allow at most 10 business days (see :func:`compliance_due_date`)."""


def _is_business_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: date, days: int, holidays: Collection[date] = ()) -> date:
    """The date ``days`` business days after ``start`` (before it when ``days`` is negative).

    ``start`` itself is not counted, and it may fall on a weekend or holiday: a request received on a Saturday
    starts counting on Monday, so ``add_business_days(Sat 22 Nov 2025, 1)`` is Mon 24 Nov 2025.
    ``days == 0`` returns ``start`` unchanged.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    holiday_set = holidays if isinstance(holidays, (set, frozenset)) else frozenset(holidays)
    while remaining:
        day += timedelta(days=step)
        if _is_business_day(day, holiday_set):
            remaining -= 1
    return day


def compliance_due_date(received: date, holidays: Collection[date] = ()) -> date:
    """The last day by which an opt-out received on ``received`` must take effect: 10 business days later.

    - CAN-SPAM (US): a request must be honoured within 10 business days of receipt, 15 U.S.C.
      §7704(a)(4)(A) (reference/user-needs.md §0 item 9 and §4 "CAN-SPAM").
    - CASL (Canada): unsubscribes must take effect within 10 business days, s.11(3)
      (reference/user-needs.md §0 item 9 and §4 "CASL").

    Example: received Fri 21 Nov 2025 -> due Fri 5 Dec 2025 (two weekends skipped).
    """
    return add_business_days(received, OPT_OUT_BUSINESS_DAYS, holidays)


def is_overdue(received: date, today: date, holidays: Collection[date] = ()) -> bool:
    """True when ``today`` is past the due date of a request received on ``received``."""
    return today > compliance_due_date(received, holidays)


def business_days_left(due: date, today: date, holidays: Collection[date] = ()) -> int:
    """Business days from ``today`` (not counted) up to and including ``due``; negative once overdue, 0 on the day."""
    if due == today:
        return 0
    holiday_set = frozenset(holidays)
    lo, hi, sign = (today, due, 1) if due > today else (due, today, -1)
    count = 0
    day = lo
    while day < hi:
        day += timedelta(days=1)
        if _is_business_day(day, holiday_set):
            count += 1
    return sign * count
