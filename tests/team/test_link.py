"""TeamLink and the team-aware sender on a real PostgreSQL, without Constant Contact: actions queued on a desk are
handed over by the exchange, and what became of them here (cancelled, finished while the database was away)
reaches the team."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.team import outbox as ob
from ccdesk.team.config import TeamSettings
from ccdesk.team.dsn import connect
from ccdesk.team.link import TeamLink
from ccdesk.team.outbox import local_id_of
from ccdesk.team.wiring import TeamOutboxWorker

from .conftest import DESK_PASSWORD
from .pgserver import PgServer


async def test_cancelled_here_is_cancelled_for_the_team(pg: PgServer, team_dsn: str, tmp_path: Path) -> None:
    dbname = team_dsn.split("dbname=")[1].split()[0]
    link = TeamLink(TeamSettings(pg.dsn(user="desk_a", password=DESK_PASSWORD, dbname=dbname), "deskA", "Desk A",
                                 "ann"))
    db = DatabaseThread(tmp_path / "desk.sqlite3")
    try:
        assert await link.register()
        ids = await db.call(lambda s: [s.enqueue("unsubscribe", f"c-{n}", {"reason": "asked"}) for n in range(3)])
        got = await link.exchange(db)
        assert got is not None and got.handed_over == 3
        await db.call(lambda s: s.cancel_pending(ids[:2]))
        worker = TeamOutboxWorker(db, None, link)  # type: ignore[arg-type]  # no request is made here
        with connect(team_dsn, autocommit=True) as conn:
            # The same local id from another store of this desk (`--db`, a store replaced): not this store's to end.
            other = ob.action_id("deskA", ids[0], datetime(2026, 1, 2, tzinfo=UTC))
            conn.execute("INSERT INTO ccdesk.outbox (action_id, desk_id, kind, contact_id, payload, dedupe_key, "
                         "created_at) VALUES (%s, 'deskA', 'unsubscribe', 'c-other', '{}', 'x', '2026-01-02Z')",
                         (other,))
            still_open = ob.open_of_mine(conn, "deskA")
            assert sorted(o.local_id for o in still_open) == sorted([*ids, ids[0]])
            await worker.report_outcomes(still_open)
            states = {aid: state for aid, state in conn.execute("SELECT action_id, state FROM ccdesk.outbox")}
            journal = conn.execute("SELECT count(*) FROM ccdesk.journal WHERE desk_id = 'deskA'").fetchone()[0]
        assert states.pop(other) == "pending"
        assert {local_id_of(aid, "deskA"): state for aid, state in states.items()} == {
            ids[0]: "cancelled", ids[1]: "cancelled", ids[2]: "pending"}
        assert journal == 3  # the three 'queued' rows of this desk's journal, copied by the exchange
    finally:
        await db.call(link.close_replica)
        await link.close()
        db.close()


async def test_a_desk_is_registered_on_first_use_and_kept_alive(pg: PgServer, team_dsn: str) -> None:
    """A desk IT put in the team (machine-wide settings) may never have run `ccdesk team join`."""
    link = TeamLink(TeamSettings(team_dsn, "deskIT", "Front desk", "ann"))
    try:
        await link.heartbeat()
        with connect(team_dsn, autocommit=True) as conn:
            row = conn.execute("SELECT name, os_user FROM ccdesk.desks WHERE desk_id = 'deskIT'").fetchone()
        assert row == ("Front desk", "ann")
    finally:
        await link.close()
