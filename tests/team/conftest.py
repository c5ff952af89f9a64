"""One throwaway PostgreSQL server for the whole session (tests/team/pgserver.py), a fresh database per test, and
the least-privilege roles desks log in with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .pgserver import PgServer, PostgresUnavailable, postgres_server

DESK_PASSWORD = "desk-role-password"


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    manager = postgres_server()
    try:
        server = manager.__enter__()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        server.admin("CREATE ROLE ccdesk_desk NOLOGIN")
        for name in ("desk_a", "desk_b", "desk_c"):
            server.admin(f"CREATE ROLE {name} LOGIN PASSWORD '{DESK_PASSWORD}' IN ROLE ccdesk_desk")
        yield server
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture
def team_db(pg: PgServer) -> str:
    """A fresh, empty database (no team schema yet); returns its name."""
    return pg.new_database(f"team_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def team_dsn(pg: PgServer, team_db: str) -> str:
    """The owner's DSN of a database with the team schema."""
    from ccdesk.team import schema
    from ccdesk.team.dsn import connect

    dsn = pg.dsn(dbname=team_db)
    with connect(dsn, autocommit=True) as conn:
        schema.migrate(conn)
    return dsn
