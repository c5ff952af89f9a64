"""The team schema: versioned migrations, run once even by two `init`s at once, and a plain refusal of a schema
newer than this ccdesk knows."""

from __future__ import annotations

import threading

import psycopg
import pytest

from ccdesk.team import schema
from ccdesk.team.dsn import connect
from ccdesk.team.errors import TeamNotReady, TeamSchemaTooNew

from .pgserver import PgServer


def test_init_creates_then_is_a_no_op(pg: PgServer, team_db: str) -> None:
    dsn = pg.dsn(dbname=team_db)
    with connect(dsn, autocommit=True) as conn:
        with pytest.raises(TeamNotReady, match="ccdesk team init"):
            schema.check(conn)
        assert schema.migrate(conn) == (0, schema.SCHEMA_VERSION)
        assert schema.migrate(conn) == (schema.SCHEMA_VERSION, schema.SCHEMA_VERSION)
        assert schema.check(conn) == schema.SCHEMA_VERSION


def test_two_inits_at_once_apply_each_step_once(pg: PgServer, team_db: str) -> None:
    dsn = pg.dsn(dbname=team_db)
    extra = [*schema.MIGRATIONS, "CREATE TABLE ccdesk.once_only (x int)"]  # fails if run twice
    errors: list[BaseException] = []

    def init() -> None:
        try:
            with connect(dsn, autocommit=True) as conn:
                schema.migrate(conn, extra)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=init) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with connect(dsn, autocommit=True) as conn:
        assert schema.found_version(conn) == len(extra)


def test_a_newer_schema_is_refused_plainly(pg: PgServer, team_dsn: str) -> None:
    with connect(team_dsn, autocommit=True) as conn:
        conn.execute("UPDATE ccdesk.meta SET value = %s WHERE key = 'schema_version'",
                     (str(schema.SCHEMA_VERSION + 1),))
        with pytest.raises(TeamSchemaTooNew, match="Update ccdesk on this desk; nothing was changed"):
            schema.check(conn)
        with pytest.raises(TeamSchemaTooNew):
            schema.migrate(conn)


def test_desk_role_has_only_what_desks_need(pg: PgServer, team_db: str) -> None:
    from .conftest import DESK_PASSWORD

    with connect(pg.dsn(dbname=team_db), autocommit=True) as conn:
        schema.migrate(conn)
    desk = pg.dsn(user="desk_a", password=DESK_PASSWORD, dbname=team_db)
    with connect(desk, autocommit=True) as conn:
        conn.execute("INSERT INTO ccdesk.journal (desk_id, local_id, at, actor, action, outcome) "
                     "VALUES ('d', 1, now(), 'me', 'unsubscribe', 'queued')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ccdesk.journal")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE ccdesk.journal SET outcome = 'done'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE ccdesk.contacts")


def test_init_again_restores_the_desk_role_grants(pg: PgServer, team_dsn: str) -> None:
    """A desk role made (or stripped) after the first init gets its grants from the next `init`."""
    from .conftest import DESK_PASSWORD

    with connect(team_dsn, autocommit=True) as conn:
        conn.execute("REVOKE ALL ON ALL TABLES IN SCHEMA ccdesk FROM ccdesk_desk")
    desk = pg.dsn(user="desk_b", password=DESK_PASSWORD, dbname=team_dsn.split("dbname=")[1].split()[0])
    with connect(desk, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT count(*) FROM ccdesk.contacts")
    with connect(team_dsn, autocommit=True) as conn:
        schema.migrate(conn)
    with connect(desk, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM ccdesk.contacts").fetchone() == (0,)
