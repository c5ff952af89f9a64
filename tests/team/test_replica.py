"""A desk's SQLite store as a replica of the team copy: what one desk stores reaches the other through
PostgreSQL (never through Constant Contact here: there is no client at all), an older read never undoes a newer
one, and nothing a desk applied from the team goes back to the team."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccdesk.store.database import DeskDatabase
from ccdesk.team import replica
from ccdesk.team.dsn import connect
from tests.store.conftest import LIST_A, cid, make_contact

from .conftest import DESK_PASSWORD
from .pgserver import PgServer


def _desk_conn(pg: PgServer, dsn: str, user: str):  # type: ignore[no-untyped-def]
    dbname = dsn.split("dbname=")[1].split()[0]
    return connect(pg.dsn(user=user, password=DESK_PASSWORD, dbname=dbname), autocommit=True)


def test_changes_travel_between_desks_through_the_team_copy(pg: PgServer, team_dsn: str, tmp_path: Path) -> None:
    a, b = DeskDatabase(tmp_path / "a.sqlite3"), DeskDatabase(tmp_path / "b.sqlite3")
    ca, cb = _desk_conn(pg, team_dsn, "desk_a"), _desk_conn(pg, team_dsn, "desk_b")
    try:
        a.upsert_contacts([make_contact(n, last=f"Person{n}") for n in range(1, 2501)])  # > one exchange page
        out = replica.exchange(a, ca, "A")
        assert out.published == 2500
        assert replica.exchange(a, ca, "A").published == 0  # what it applied from the team is not sent back

        got = replica.exchange(b, cb, "B")
        assert got.applied == 2500 and b.count() == 2500
        assert b.search("person17", limit=5)[0].contact_id == cid(17)

        # Desk B learns of an opt-out (a newer version of the contact); desk A sees it after its next exchange.
        optout = make_contact(17, last="Person17", permission="unsubscribed", opt_out_date="2024-02-01T10:00:00Z",
                              opt_out_source="Contact", updated_at="2024-02-01T10:00:00Z",
                              email_updated_at="2024-02-01T10:00:00Z")
        b.upsert_contacts([optout])
        assert replica.exchange(b, cb, "B").published == 1
        seen = replica.exchange(a, ca, "A")
        assert seen.applied == 1 and seen.new_optouts == [cid(17)]
        row = a.get_contact(cid(17))
        assert row is not None and row.status == "unsubscribed"

        # A desk publishing an older read (say it was offline) does not undo the opt-out in the team copy.
        c = DeskDatabase(tmp_path / "c.sqlite3")
        c.upsert_contacts([make_contact(17, last="Person17")])
        replica.exchange(c, ca, "C")
        raw = ca.execute("SELECT raw FROM ccdesk.contacts WHERE contact_id = %s", (cid(17),)).fetchone()[0]
        assert raw["email_address"]["permission_to_send"] == "unsubscribed"
        row = c.get_contact(cid(17))
        assert row is not None and row.status == "unsubscribed"  # and C's copy caught up instead
        c.close()
    finally:
        for s in (a, b):
            s.close()
        ca.close()
        cb.close()


def test_bookmarks_follow_the_team(pg: PgServer, team_dsn: str, tmp_path: Path) -> None:
    from ccdesk.services.cache_pull import COMPLETED_AT

    a, b = DeskDatabase(tmp_path / "a.sqlite3"), DeskDatabase(tmp_path / "b.sqlite3")
    ca, cb = _desk_conn(pg, team_dsn, "desk_a"), _desk_conn(pg, team_dsn, "desk_b")
    try:
        assert replica.adopt_bookmarks(b, cb) is False  # nobody has read the account yet
        a.set_state(COMPLETED_AT, "2024-03-01T00:00:00+00:00")
        replica.save_bookmarks(a, ca)
        assert replica.adopt_bookmarks(b, cb) is True
        assert b.get_state(COMPLETED_AT) == "2024-03-01T00:00:00+00:00"
    finally:
        for s in (a, b):
            s.close()
        ca.close()
        cb.close()


def test_a_reader_never_skips_a_change_committed_after_a_later_one(pg: PgServer, team_dsn: str) -> None:
    """A page still being published holds lower numbers than a change another desk commits meanwhile: a reader
    that followed `seq > bookmark` past that change would never see the page. Numbering under one lock keeps the
    committed changes a prefix, so the bookmark reader gets every change."""
    import threading
    from datetime import UTC, datetime

    from ccdesk.team import copy

    now = datetime.now(UTC)
    slow, quick, reader = (_desk_conn(pg, team_dsn, u) for u in ("desk_a", "desk_b", "desk_a"))
    try:
        slow.autocommit = False
        copy.publish_contacts(slow, [make_contact(n) for n in range(1, 4)], now, "A")  # not committed yet

        def quick_desk() -> None:
            copy.publish_contacts(quick, [make_contact(9)], now, "B")  # autocommit: commits at once

        t = threading.Thread(target=quick_desk)
        t.start()
        t.join(1.0)
        first = copy.changes_since(reader, 0, 100)  # what a desk catching up sees now
        bookmark = max((seq for seq, *_ in first), default=0)
        slow.commit()
        t.join(10)
        then = copy.changes_since(reader, bookmark, 100)  # its next catch-up, from its bookmark
        seen = {raw["contact_id"] for _, raw, *_ in first + then if raw}
        assert seen == {cid(n) for n in (1, 2, 3, 9)}, f"bookmark {bookmark}: a change committed below it was skipped"
    finally:
        for c in (slow, quick, reader):
            c.close()


def test_a_new_store_of_a_desk_gets_the_desks_own_changes(pg: PgServer, team_dsn: str, tmp_path: Path) -> None:
    """The store that published a desk's rows does not fetch them back; another store of the same desk (a new one,
    `--db`, a restored backup) does, and one that has an older version of a contact gets the newer one."""
    first = DeskDatabase(tmp_path / "first.sqlite3")
    conn = _desk_conn(pg, team_dsn, "desk_a")
    try:
        first.upsert_contacts([make_contact(n, last=f"Person{n}") for n in range(1, 301)])
        assert replica.exchange(first, conn, "A").published == 300
        again = replica.exchange(first, conn, "A")
        assert again.applied == 0 and again.caught_up  # its own rows: nothing to fetch

        backup = tmp_path / "backup.sqlite3"
        first.connection.execute("VACUUM INTO ?", (str(backup),))  # the store as it is now
        newer = make_contact(7, last="Person7", permission="unsubscribed", opt_out_date="2024-02-01T10:00:00Z",
                             opt_out_source="Contact", updated_at="2024-02-01T10:00:00Z",
                             email_updated_at="2024-02-01T10:00:00Z")
        first.upsert_contacts([newer])
        assert replica.exchange(first, conn, "A").published == 1

        with DeskDatabase(tmp_path / "new.sqlite3") as new:
            got = replica.exchange(new, conn, "A")
            assert got.applied == 300 and new.count() == 300
            assert str(new.get_contact(cid(7)).status) == "unsubscribed"  # type: ignore[union-attr]
        with DeskDatabase(backup) as restored:  # behind the team by the opt-out its desk sent since
            got = replica.exchange(restored, conn, "A")
            assert got.applied == 1 and str(restored.get_contact(cid(7)).status) == "unsubscribed"  # type: ignore[union-attr]
    finally:
        first.close()
        conn.close()


def _contents(s: DeskDatabase) -> list[tuple[object, ...]]:
    return s.connection.execute(
        "SELECT c.contact_id, c.email, c.status, c.sort_name, c.search_doc, "
        "(SELECT group_concat(m.list_id) FROM (SELECT list_id FROM memberships WHERE contact_rowid = c.id "
        "ORDER BY list_id) AS m) FROM contacts AS c ORDER BY c.contact_id").fetchall()


def test_a_new_store_takes_the_team_copy_as_its_first_full_read(pg: PgServer, team_dsn: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A new store with a long way to go stores the team copy as a first full read does (indexes and search
    index built once at its end, store/full_read.py), across interrupted exchanges, and ends with exactly what a
    store caught up row by row holds; a new store of the publishing desk gets that desk's own changes the same way."""
    a = DeskDatabase(tmp_path / "a.sqlite3")
    ca, cb = _desk_conn(pg, team_dsn, "desk_a"), _desk_conn(pg, team_dsn, "desk_b")
    stores = [a]
    try:
        a.upsert_contacts([make_contact(n, last=f"Person{n}", lists=[LIST_A] if n % 2 else [])
                           for n in range(1, 301)])
        assert replica.exchange(a, ca, "A").published == 300
        row_by_row = DeskDatabase(tmp_path / "row.sqlite3")
        stores.append(row_by_row)
        assert replica.exchange(row_by_row, cb, "B").applied == 300 and row_by_row.search_ready()

        monkeypatch.setattr(replica, "PAGE", 50)
        for name, conn, desk in (("b.sqlite3", cb, "B"), ("a2.sqlite3", ca, "A")):
            new = DeskDatabase(tmp_path / name)
            stores.append(new)
            out = replica.exchange(new, conn, desk, max_pages=2)
            assert not out.caught_up and new.get_state(replica.FIRST_READ) == "1"
            assert not new.search_ready() and new.count() == 100
            assert new.search("person17", limit=5)[0].contact_id == cid(17)  # searchable meanwhile (no index)
            assert replica.exchange(new, conn, desk).caught_up
            assert new.search_ready() and new.get_state(replica.FIRST_READ) is None
            assert _contents(new) == _contents(row_by_row)
            assert new.search("person17", limit=5)[0].contact_id == cid(17)
            assert new.connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert replica.exchange(new, conn, desk).published == 0  # nothing it applied goes back
    finally:
        for s in stores:
            s.close()
        ca.close()
        cb.close()


@pytest.mark.parametrize("writes_after_publish", [0, 1, replica.APPLY_TRIES])
def test_a_change_another_process_stores_during_an_exchange_still_reaches_the_team(
        pg: PgServer, team_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        writes_after_publish: int) -> None:
    """A scheduled job shares this desk's store: a contact it stores after this exchange published, and before the
    team's changes are applied, must not be taken for one that came from the team; nor may the rows applied from
    the team go back to it (a copy sent back could replace a colleague's newer change of the same version). The job
    may also write right after each publish that precedes the page's write transaction: then that publish is done
    again, and after APPLY_TRIES the page goes in without moving the mark (its rows go back once, unchanged)."""
    from ccdesk.team import copy

    a, b = DeskDatabase(tmp_path / "a.sqlite3"), DeskDatabase(tmp_path / "b.sqlite3")
    job = DeskDatabase(tmp_path / "a.sqlite3")  # the job's own connection to desk A's file
    ca, cb = _desk_conn(pg, team_dsn, "desk_a"), _desk_conn(pg, team_dsn, "desk_b")
    sent: list[str] = []
    publish = copy.publish_contacts

    def counted(conn, raws, fetched_at, desk_id):  # type: ignore[no-untyped-def]
        raws = list(raws)
        sent.extend(str(r["contact_id"]) for r in raws)
        return publish(conn, raws, fetched_at, desk_id)

    monkeypatch.setattr(copy, "publish_contacts", counted)
    job_writes = [0]

    def job_stores(n: int) -> None:
        job_writes[0] += 1
        job.upsert_contacts([make_contact(n, last=f"FromTheJob{job_writes[0]}",
                                          updated_at=f"2024-02-0{1 + job_writes[0]}T10:00:00Z")])

    try:
        a.upsert_contacts([make_contact(n, last=f"Person{n}") for n in range(1, 4)])
        replica.exchange(a, ca, "A")
        replica.exchange(b, cb, "B")
        b.upsert_contacts([make_contact(n, last="Renamed", updated_at="2024-02-01T10:00:00Z") for n in range(4, 2205)])
        replica.exchange(b, cb, "B")  # the team copy now has changes desk A has not applied (two pages)

        out = replica.Exchanged()
        replica.publish_local(a, ca, "A", out)  # desk A's exchange publishes (nothing waits) ...
        job_stores(3)  # ... the job stores a contact ...
        real_publish, left = replica.publish_local, [writes_after_publish]

        def publish_then_job(*args, **kwargs):  # type: ignore[no-untyped-def]
            real_publish(*args, **kwargs)
            if left[0]:
                left[0] -= 1
                job_stores(3)

        monkeypatch.setattr(replica, "publish_local", publish_then_job)
        sent.clear()
        assert replica.catch_up(a, ca, out, "A") and out.applied == 2201  # ... and A applies the team's changes
        row = a.get_contact(cid(4))
        assert row is not None and row.last_name == "Renamed"
        if writes_after_publish < replica.APPLY_TRIES:
            assert set(sent) == {cid(3)}  # the job's contact went with them, and nothing that came from the team
        else:  # the first page went in without moving the mark: the second page's publish sent its rows back once
            assert cid(3) in sent and cid(4) in sent
        raw = ca.execute("SELECT raw FROM ccdesk.contacts WHERE contact_id = %s", (cid(3),)).fetchone()[0]
        assert raw["last_name"] == f"FromTheJob{job_writes[0]}"  # nothing the job stored is lost
        monkeypatch.setattr(replica, "publish_local", real_publish)

        sent.clear()
        assert replica.exchange(a, ca, "A").published == 0 and sent == []  # and then nothing waits
    finally:
        for s in (a, b, job):
            s.close()
        ca.close()
        cb.close()
