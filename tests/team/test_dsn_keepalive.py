"""A team database link that dies mid-query fails within about a minute (TCP keepalives and a user timeout in
libpq's connection string), unless IT's DSN says otherwise."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from ccdesk.team import dsn


def test_the_connection_string_carries_keepalives_and_a_user_timeout() -> None:
    params = conninfo_to_dict(dsn.conninfo("host=db.example.org dbname=ccdesk user=desk_front password=x"))
    assert params["keepalives"] == "1" and int(params["keepalives_idle"]) <= 60
    assert int(params["tcp_user_timeout"]) <= 120_000


def test_the_organisations_own_values_win() -> None:
    params = conninfo_to_dict(dsn.conninfo("host=db dbname=ccdesk user=u password=x keepalives_idle=300"))
    assert params["keepalives_idle"] == "300" and params["password"] == "x"
