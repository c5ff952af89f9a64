"""The 10-business-day opt-out clock (no Qt)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ccdesk.services.compliance import (
    OPT_OUT_BUSINESS_DAYS,
    add_business_days,
    business_days_left,
    compliance_due_date,
    is_overdue,
)

FRI_21_NOV = date(2025, 11, 21)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2025, 11, 21), date(2025, 12, 5)),  # Fri -> Fri, two weekends skipped
        (date(2025, 11, 22), date(2025, 12, 5)),  # Sat: counting starts on Monday
        (date(2025, 11, 23), date(2025, 12, 5)),  # Sun: likewise
        (date(2025, 11, 24), date(2025, 12, 8)),  # Mon -> Mon two weeks later
        (date(2025, 11, 26), date(2025, 12, 10)),  # Wed -> Wed
        (date(2025, 12, 24), date(2026, 1, 7)),  # across the new year
        (date(2024, 2, 26), date(2024, 3, 11)),  # across a leap day
    ],
)
def test_compliance_due_date(received: date, due: date) -> None:
    assert compliance_due_date(received) == due


def test_holidays_push_the_date_out() -> None:
    thanksgiving = date(2025, 11, 27)
    assert compliance_due_date(FRI_21_NOV, holidays=[thanksgiving]) == date(2025, 12, 8)
    # A holiday on a weekend changes nothing.
    assert compliance_due_date(FRI_21_NOV, holidays={date(2025, 11, 29)}) == date(2025, 12, 5)


def test_add_business_days_edges() -> None:
    assert add_business_days(FRI_21_NOV, 0) == FRI_21_NOV
    assert add_business_days(date(2025, 11, 22), 0) == date(2025, 11, 22)
    assert add_business_days(FRI_21_NOV, 1) == date(2025, 11, 24)
    assert add_business_days(date(2025, 11, 24), -1) == FRI_21_NOV
    assert add_business_days(date(2025, 12, 5), -10) == FRI_21_NOV


def test_due_date_is_always_ten_weekdays_later_for_a_whole_year() -> None:
    for offset in range(366):
        received = date(2025, 1, 1) + timedelta(days=offset)
        due = compliance_due_date(received)
        assert due.weekday() < 5
        between = [received + timedelta(days=i) for i in range(1, (due - received).days + 1)]
        assert sum(d.weekday() < 5 for d in between) == OPT_OUT_BUSINESS_DAYS


def test_overdue_and_days_left() -> None:
    due = compliance_due_date(FRI_21_NOV)
    assert not is_overdue(FRI_21_NOV, due)
    assert is_overdue(FRI_21_NOV, due + timedelta(days=1))
    assert business_days_left(due, FRI_21_NOV) == 10
    assert business_days_left(due, date(2025, 11, 24)) == 9
    assert business_days_left(due, due) == 0
    assert business_days_left(due, date(2025, 12, 8)) == -1  # the Monday after
