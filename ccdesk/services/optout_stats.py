"""Opt-outs per week split by who opted the contact out, and the most frequent reasons (no Qt)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ccdesk.store.rows import ContactRow


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class OptOutStats:
    weeks: list[date] = field(default_factory=list)
    by_contact: list[int] = field(default_factory=list)
    by_account: list[int] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0

    @property
    def contact_total(self) -> int:
        return sum(self.by_contact)

    @property
    def account_total(self) -> int:
        return sum(self.by_account)


def optout_stats(rows: Iterable[ContactRow], since: datetime, until: datetime, top: int = 8) -> OptOutStats:
    """Weekly buckets (Monday starts, local time) from `since` to `until`, every week present, zeros included."""
    first, last = week_start(since.astimezone().date()), week_start(until.astimezone().date())
    weeks = []
    day = first
    while day <= last:
        weeks.append(day)
        day += timedelta(days=7)
    index = {w: i for i, w in enumerate(weeks)}
    stats = OptOutStats(weeks=weeks, by_contact=[0] * len(weeks), by_account=[0] * len(weeks))
    reasons: Counter[str] = Counter()
    for row in rows:
        if row.opt_out_date is None:
            continue
        i = index.get(week_start(row.opt_out_date.astimezone().date()))
        if i is None:
            continue
        if row.opt_out_source == "Account":
            stats.by_account[i] += 1
        else:
            stats.by_contact[i] += 1
        reasons[(row.opt_out_reason or "").strip() or "(no reason given)"] += 1
        stats.total += 1
    stats.reasons = reasons.most_common(top)
    return stats
