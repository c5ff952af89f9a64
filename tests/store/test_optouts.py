"""Opt-out range queries (mixed offsets) and streaming."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta, timezone

from ccdesk.store import DeskDatabase
from tests.store.conftest import cid, make_contact

T0 = datetime(2024, 6, 1, tzinfo=UTC)
EST = timezone(timedelta(hours=-5))

OPTOUTS = {
    1: ("2024-03-01T10:00:00-05:00", "Contact"),  # 15:00:00Z
    2: ("2024-03-01T14:59:59Z", "Account"),
    3: ("2024-03-01T15:00:00.5Z", "Contact"),
    4: ("2024-03-02T01:00:00+09:00", "Contact"),  # 2024-03-01T16:00Z
    5: ("2024-02-28T23:00:00-02:00", "Account"),  # 2024-02-29T01:00Z
}


def _fill(store: DeskDatabase) -> None:
    page = [
        make_contact(n, permission="unsubscribed", opt_out_date=d, opt_out_source=s) for n, (d, s) in OPTOUTS.items()
    ]
    page.append(
        make_contact(6, permission="unsubscribed", opt_out_date="2024-03-01T15:30:00Z", deleted_at="2024-04-01")
    )
    page.append(make_contact(7))  # mailable
    page.append(make_contact(8, permission="unsubscribed"))  # no date at all
    store.upsert_contacts(page, T0)


def _n(rows: object) -> list[int]:
    return [int(r.contact_id[-4:], 16) for r in rows]  # type: ignore[attr-defined]


def test_range_with_mixed_offsets(store: DeskDatabase) -> None:
    _fill(store)
    assert _n(store.optouts()) == [5, 2, 1, 3, 6, 4]
    # [10:00-05:00, 15:30Z): 15:00Z inclusive, 15:30Z exclusive
    since = datetime(2024, 3, 1, 10, 0, tzinfo=EST)
    until = datetime(2024, 3, 1, 15, 30, tzinfo=UTC)
    assert _n(store.optouts(since, until)) == [1, 3]
    assert _n(store.optouts(since=until)) == [6, 4]  # deleted contacts included
    assert _n(store.optouts(until=since)) == [5, 2]
    assert _n(store.optouts(source="Account")) == [5, 2]
    assert _n(store.optouts(newest_first=True)) == [4, 6, 3, 1, 2, 5]


def test_do_not_mail_is_every_unsubscribed(store: DeskDatabase) -> None:
    _fill(store)
    assert sorted(_n(store.iter_do_not_mail())) == [1, 2, 3, 4, 5, 6, 8]
    emails = [r.email for r in store.iter_do_not_mail()]
    assert emails == sorted(emails)


def test_streams_lazily(store: DeskDatabase) -> None:
    store.upsert_contacts(
        [
            make_contact(i, permission="unsubscribed", opt_out_date=f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z")
            for i in range(1, 1201)
        ],
        T0,
    )
    stream = store.optouts()
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert first.contact_id == cid(1)
    stream.close()  # releases the cursor (and its read snapshot)
    dnm = store.iter_do_not_mail()
    assert inspect.isgenerator(dnm)
    assert sum(1 for _ in dnm) == 1200
