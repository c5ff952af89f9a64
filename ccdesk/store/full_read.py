"""The first full read of an account: two indexes are built once at its end instead of row by row.

At a million contacts, keeping `contacts_email` (email_lower) and `contacts_status_name` (status, sort_name)
up to date while pages arrive doubled the time a page took to store (issue 17): their keys are random, so
every insert lands on a different page of a 1.5 GB file. The first full read drops them (`begin`) and builds
each in one sorted pass when its last page is stored (`end`, in the same transaction, so no crash can leave
them missing after the read has completed). Meanwhile queries that name them (search.py's `INDEXED BY`) run
without (`usable`): correct, and slower only for a sort by email or status during that first read. The name
index, which the table uses by default, and everything else stay.
"""

from __future__ import annotations

import sqlite3

DEFERRED = {
    "contacts_email": "CREATE INDEX IF NOT EXISTS contacts_email ON contacts (email_lower)",
    "contacts_status_name": "CREATE INDEX IF NOT EXISTS contacts_status_name ON contacts (status, sort_name)",
}


def begin(conn: sqlite3.Connection) -> None:
    for name in DEFERRED:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def end(conn: sqlite3.Connection) -> None:
    for sql in DEFERRED.values():
        conn.execute(sql)


def usable(conn: sqlite3.Connection, sql: str) -> str:
    """`sql` without an `INDEXED BY` naming a deferred index that is not there (during the first full read)."""
    for name in DEFERRED:
        clause = f" INDEXED BY {name}"
        if clause in sql and conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                          (name,)).fetchone() is None:
            sql = sql.replace(clause, "")
    return sql
