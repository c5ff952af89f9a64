"""The team outbox's rules beyond "sent once" (real PostgreSQL, connections as desks): action ids that survive a new
local store, claims that expire when their sender dies, and the contact's own opt-out never merged into the team's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ccdesk.team import outbox as ob

from .pgserver import PgServer
from .test_outbox_lease import _desk, _gone


def test_a_new_local_store_does_not_finish_a_new_action_as_an_old_one(pg: PgServer, team_dsn: str) -> None:
    """A desk's new local store (`--db`, a reinstall, a restored backup) numbers its actions from 1 again: its
    first action must be claimed and sent, not taken for the finished action 1 of the store before."""
    before = datetime.now(UTC) - timedelta(days=3)
    now = datetime.now(UTC)
    with _desk(pg, team_dsn, "desk_a") as a:
        assert ob.claim(a, "A", 1, "unsubscribe", "c-old", {}, "ann", before).verdict == ob.SEND
        ob.finish(a, "A", 1, before, "done", "Unsubscribed")
        fresh = ob.claim(a, "A", 1, "unsubscribe", "c-new", {}, "ann", now)
        assert fresh.verdict == ob.SEND, fresh
        rows = a.execute("SELECT contact_id, state FROM ccdesk.outbox ORDER BY created_at").fetchall()
        assert rows == [("c-old", "done"), ("c-new", "in_progress")]
        # The same action handed over again is still the same row.
        assert ob.hand_over(a, "A", [(1, "unsubscribe", "c-new", {}, "ann", now)]) == 0
        assert ob.claim(a, "A", 1, "unsubscribe", "c-old", {}, "ann", before).verdict == ob.FINISHED


def test_actions_handed_over_under_the_first_ids_keep_their_identity(pg: PgServer, team_dsn: str) -> None:
    """Rows a desk handed over as `desk:local id` (the first release) are the same actions for it now when their
    queue time matches: still open ones are claimed (not inserted twice), finished ones stay finished."""
    at = datetime(2026, 11, 30, 9, 15, 0, 123456, tzinfo=UTC)
    other = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    with _desk(pg, team_dsn, "desk_a") as a:
        for aid, cid, state, when in (("A:4", "c-4", "pending", at), ("A:5", "c-5", "done", at),
                                      ("A:6", "c-6", "pending", other)):
            a.execute("INSERT INTO ccdesk.outbox (action_id, desk_id, kind, contact_id, payload, dedupe_key, state, "
                      "claimed_at, created_at) VALUES (%s, 'A', 'unsubscribe', %s, '{}', %s, %s, now(), %s)",
                      (aid, cid, f"unsubscribe:{cid}", state, when))
        assert ob.claim(a, "A", 4, "unsubscribe", "c-4", {}, "ann", at).verdict == ob.SEND
        assert ob.claim(a, "A", 5, "unsubscribe", "c-5", {}, "ann", at).verdict == ob.FINISHED
        assert ob.claim(a, "A", 6, "unsubscribe", "c-7", {}, "ann", at).verdict == ob.SEND  # another store's 6
        ids = dict(a.execute("SELECT contact_id, action_id FROM ccdesk.outbox").fetchall())
        assert ids == {"c-4": ob.action_id("A", 4, at), "c-5": ob.action_id("A", 5, at), "c-6": "A:6",
                       "c-7": ob.action_id("A", 6, at)}
        assert sorted((o.local_id, o.action_id) for o in ob.open_of_mine(a, "A")) == [
            (4, ob.action_id("A", 4, at)), (6, "A:6"), (6, ob.action_id("A", 6, at))]


@pytest.fixture
def short_claims(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(ob, "CLAIM_S", 1.0)
    return 1.0


def test_the_claim_of_a_sender_that_died_expires(pg: PgServer, team_dsn: str, short_claims: float) -> None:
    """Desk A claims an opt-out and dies mid-send. Desk B's twin waits while A's claim could be live, then is sent
    (once); A's own row, its desk gone, is then taken by another desk and merged into B's send."""
    now = datetime.now(UTC)
    a, b, c = (_desk(pg, team_dsn, u) for u in ("desk_a", "desk_b", "desk_c"))
    with a, b, c:
        assert ob.claim(a, "A", 1, "unsubscribe", "c-1", {}, "ann", now).verdict == ob.SEND
        _gone(a, "A")  # ... and A is never heard of again
        assert ob.claim(b, "B", 1, "unsubscribe", "c-1", {}, "bob", now).verdict == ob.BUSY
        assert ob.claim_orphan(c, "C", 60) is None  # A's claim may still be live
        time.sleep(short_claims + 0.3)
        assert ob.claim(b, "B", 1, "unsubscribe", "c-1", {}, "bob", now).verdict == ob.SEND
        assert ob.claim_orphan(c, "C", 60) is None  # B is sending the same change
        ob.finish(b, "B", 1, now, "done", "Unsubscribed")
        merged = ob.claim_orphan(c, "C", 60)
        assert isinstance(merged, ob.Claim) and merged.verdict == ob.MERGED
        states = sorted(a.execute("SELECT state FROM ccdesk.outbox").fetchall())
        assert states == [("done",), ("merged",)]


def test_an_action_whose_sender_died_is_taken_over_once(pg: PgServer, team_dsn: str, short_claims: float) -> None:
    now = datetime.now(UTC)
    a, b, c = (_desk(pg, team_dsn, u) for u in ("desk_a", "desk_b", "desk_c"))
    with a, b, c:
        assert ob.claim(a, "A", 2, "remove_from_lists", "c-2", {"list_ids": ["L"]}, "ann", now).verdict == ob.SEND
        _gone(a, "A")
        assert ob.claim_orphan(b, "B", 60) is None
        time.sleep(short_claims + 0.3)
        taken = ob.claim_orphan(b, "B", 60)
        assert isinstance(taken, ob.Orphan) and taken.action_id == ob.action_id("A", 2, now)
        assert ob.claim_orphan(c, "C", 60) is None  # B renews its claim while it sends
        for _ in range(3):
            time.sleep(short_claims / 2)
            ob.renew(b, taken.action_id, "B")
            assert ob.claim_orphan(c, "C", 60) is None
        # Desk B dies too; desk A comes back: its own action, claimed by nobody alive, is its own to send again.
        assert ob.claim(a, "A", 2, "remove_from_lists", "c-2", {"list_ids": ["L"]}, "ann", now).verdict == ob.BUSY
        time.sleep(short_claims + 0.3)
        assert ob.claim(a, "A", 2, "remove_from_lists", "c-2", {"list_ids": ["L"]}, "ann", now).verdict == ob.SEND
        ob.finish_action(b, taken.action_id, "done", "late word from B", "B")  # B's claim was lost: not B's to end
        row = a.execute("SELECT state, claimed_by FROM ccdesk.outbox").fetchone()
        assert row == ("in_progress", "A")


def test_the_contacts_own_opt_out_is_not_merged_into_the_teams(pg: PgServer, team_dsn: str) -> None:
    """The same opt-out queued on two desks, once as the team's (Account) and once as the contact's (Contact): the
    contact's is final and must reach Constant Contact; the team's adds nothing to a contact's."""
    now = datetime.now(UTC)
    account, contact = {"update_source": "Account"}, {"update_source": "Contact"}
    with _desk(pg, team_dsn, "desk_a") as a, _desk(pg, team_dsn, "desk_b") as b:
        assert ob.claim(a, "A", 1, "unsubscribe", "c-1", account, "ann", now).verdict == ob.SEND
        assert ob.claim(b, "B", 1, "unsubscribe", "c-1", contact, "bob", now).verdict == ob.BUSY  # one at a time
        ob.finish(a, "A", 1, now, "done", "Unsubscribed")
        assert ob.claim(b, "B", 1, "unsubscribe", "c-1", contact, "bob", now).verdict == ob.SEND

        assert ob.claim(a, "A", 2, "unsubscribe", "c-2", contact, "ann", now).verdict == ob.SEND
        ob.finish(a, "A", 2, now, "done", "Unsubscribed")
        assert ob.claim(b, "B", 2, "unsubscribe", "c-2", account, "bob", now).verdict == ob.MERGED
        assert ob.claim(b, "B", 3, "unsubscribe", "c-2", contact, "bob", now).verdict == ob.MERGED


def test_one_resubscribe_per_contact_whatever_the_lists(pg: PgServer, team_dsn: str) -> None:
    """Constant Contact sends one resubscribe email per contact, ever: two desks asking with different lists are
    one change, sent once."""
    now = datetime.now(UTC)
    with _desk(pg, team_dsn, "desk_a") as a, _desk(pg, team_dsn, "desk_b") as b:
        assert ob.claim(a, "A", 1, "resubscribe_request", "c-1", {"list_ids": ["L1"]}, "ann", now).verdict == ob.SEND
        ob.finish(a, "A", 1, now, "done", "Resubscribe email sent")
        again = ob.claim(b, "B", 1, "resubscribe_request", "c-1", {"list_ids": ["L2"]}, "bob", now)
        assert again.verdict == ob.MERGED
