"""The team outbox (one send for the same change queued on two desks, idempotent hand-over) and the sync lease
(one holder, taken over when it lapses), on a real PostgreSQL with two connections as two desks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from ccdesk.team import desks
from ccdesk.team import outbox as ob
from ccdesk.team.dsn import connect

from .conftest import DESK_PASSWORD
from .pgserver import PgServer


def _desk(pg: PgServer, dsn: str, user: str):  # type: ignore[no-untyped-def]
    dbname = dsn.split("dbname=")[1].split()[0]
    return connect(pg.dsn(user=user, password=DESK_PASSWORD, dbname=dbname), autocommit=True)


def test_the_same_opt_out_on_two_desks_is_sent_once(pg: PgServer, team_dsn: str) -> None:
    now = datetime.now(UTC)
    a, b = _desk(pg, team_dsn, "desk_a"), _desk(pg, team_dsn, "desk_b")
    with a, b:
        first = ob.claim(a, "A", 7, "unsubscribe", "c-1", {"reason": "asked by phone"}, "ann", now)
        second = ob.claim(b, "B", 3, "unsubscribe", "c-1", {"reason": "email"}, "bob", now)
        assert first.verdict == ob.SEND
        assert second.verdict == ob.BUSY  # A is sending it
        ob.finish(a, "A", 7, now, "done", "Unsubscribed in Constant Contact")
        again = ob.claim(b, "B", 3, "unsubscribe", "c-1", {"reason": "email"}, "bob", now)
        assert again.verdict == ob.MERGED and "not sent again" in again.message
        # A hand-over repeated after a lost answer changes nothing; A's own retry is told it is finished.
        assert ob.hand_over(a, "A", [(7, "unsubscribe", "c-1", {}, "ann", now)]) == 0
        assert ob.claim(a, "A", 7, "unsubscribe", "c-1", {}, "ann", now).verdict == ob.FINISHED
        states = dict(a.execute("SELECT action_id, state FROM ccdesk.outbox").fetchall())
        assert states == {ob.action_id("A", 7, now): "done", ob.action_id("B", 3, now): "merged"}


def test_racing_claims_send_once(pg: PgServer, team_dsn: str) -> None:
    """Eight desks claim the same change at the same moment: exactly one is told to send."""
    now = datetime.now(UTC)
    verdicts: list[str] = []
    start = threading.Barrier(8)

    def desk(i: int) -> None:
        with _desk(pg, team_dsn, "desk_a") as conn:
            start.wait()
            verdicts.append(ob.claim(conn, f"D{i}", 1, "unsubscribe", "c-9", {}, "x", now).verdict)

    threads = [threading.Thread(target=desk, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(verdicts) == [ob.BUSY] * 7 + [ob.SEND]


def test_different_changes_are_not_merged(pg: PgServer, team_dsn: str) -> None:
    now = datetime.now(UTC)
    with _desk(pg, team_dsn, "desk_a") as a:
        assert ob.claim(a, "A", 1, "unsubscribe", "c-1", {}, "x", now).verdict == ob.SEND
        assert ob.claim(a, "A", 2, "unsubscribe", "c-2", {}, "x", now).verdict == ob.SEND
        assert ob.claim(a, "A", 3, "remove_from_lists", "c-1", {"list_ids": ["L1"]}, "x", now).verdict == ob.SEND


def test_lease_one_holder_and_take_over(pg: PgServer, team_dsn: str) -> None:
    a, b = _desk(pg, team_dsn, "desk_a"), _desk(pg, team_dsn, "desk_b")
    with a, b:
        assert desks.take_lease(a, "A", seconds=1.0)
        assert not desks.take_lease(b, "B", seconds=1.0)
        assert desks.take_lease(a, "A", seconds=1.0)  # renewed
        time.sleep(1.3)  # A went away without releasing it
        assert desks.take_lease(b, "B", seconds=30.0)
        assert not desks.take_lease(a, "A", seconds=30.0)
        desks.release_lease(b, "B")
        assert desks.take_lease(a, "A")


def _gone(conn, desk: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute("INSERT INTO ccdesk.desks (desk_id, name, last_seen) VALUES (%s, %s, now() - interval '1 hour') "
                 "ON CONFLICT (desk_id) DO UPDATE SET last_seen = excluded.last_seen", (desk, f"Desk {desk}"))


def test_a_desk_that_went_away_has_its_actions_sent_once_by_another(pg: PgServer, team_dsn: str) -> None:
    now = datetime.now(UTC)
    a, b, c = (_desk(pg, team_dsn, u) for u in ("desk_a", "desk_b", "desk_c"))
    with a, b, c:
        ob.hand_over(a, "A", [(5, "unsubscribe", "c-5", {"reason": "r"}, "ann", now)])
        assert ob.claim_orphan(b, "B", 60) is None  # desk A was seen a moment ago (or never registered)
        _gone(a, "A")
        taken = ob.claim_orphan(b, "B", 60)
        assert isinstance(taken, ob.Orphan) and taken.action_id == ob.action_id("A", 5, now)
        assert taken.payload == {"reason": "r"}
        assert ob.claim_orphan(c, "C", 60) is None  # one desk sends it
        # Desk A comes back meanwhile: its own claim waits for desk B, then learns it is done.
        assert ob.claim(a, "A", 5, "unsubscribe", "c-5", {}, "ann", now).verdict == ob.BUSY
        ob.finish_action(b, ob.action_id("A", 5, now), "done", "Unsubscribed (sent for desk A)", "B")
        back = ob.claim(a, "A", 5, "unsubscribe", "c-5", {}, "ann", now)
        assert back.verdict == ob.FINISHED and "sent for desk A" in back.message


def test_racing_orphan_claims_take_it_once(pg: PgServer, team_dsn: str) -> None:
    now = datetime.now(UTC)
    with _desk(pg, team_dsn, "desk_a") as a:
        _gone(a, "A")
        ob.hand_over(a, "A", [(1, "unsubscribe", "c-1", {}, "ann", now)])
    got: list[object] = []
    start = threading.Barrier(6)

    def desk(i: int) -> None:
        with _desk(pg, team_dsn, "desk_b") as conn:
            start.wait()
            got.append(ob.claim_orphan(conn, f"D{i}", 60))

    threads = [threading.Thread(target=desk, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(g, ob.Orphan) for g in got) == 1 and got.count(None) == 5


def test_an_orphan_whose_twin_was_sent_is_merged(pg: PgServer, team_dsn: str) -> None:
    now = datetime.now(UTC)
    with _desk(pg, team_dsn, "desk_a") as a, _desk(pg, team_dsn, "desk_b") as b:
        _gone(a, "A")
        ob.hand_over(a, "A", [(1, "unsubscribe", "c-1", {}, "ann", now)])
        assert ob.claim(b, "B", 9, "unsubscribe", "c-1", {}, "bob", now).verdict == ob.SEND
        assert ob.claim_orphan(b, "B", 60) is None  # the twin is on its way
        ob.finish(b, "B", 9, now, "done", "Unsubscribed")
        merged = ob.claim_orphan(b, "B", 60)
        assert isinstance(merged, ob.Claim) and merged.verdict == ob.MERGED


def test_the_actions_of_a_desk_that_left_the_team_are_not_taken_over(pg: PgServer, team_dsn: str) -> None:
    """After `ccdesk team leave` the desk sends what it queued itself, as a desk alone: another desk taking
    those actions over when the leaver stops being seen would send them a second time."""
    now = datetime.now(UTC)
    a, b = (_desk(pg, team_dsn, u) for u in ("desk_a", "desk_b"))
    with a, b:
        ob.hand_over(a, "A", [(7, "unsubscribe", "c-7", {"reason": "r"}, "ann", now)])
        _gone(a, "A")
        desks.leave(a, "A")
        assert ob.claim_orphan(b, "B", 60) is None
