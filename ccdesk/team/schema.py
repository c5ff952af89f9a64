"""The team schema in PostgreSQL (schema `ccdesk`), versioned: `ccdesk team init` applies what is missing.

Never edit a released migration: append one. Each runs in one transaction with the version bump, under an
advisory lock, so two `init`s at once apply it once and a crash leaves the previous version. A desk refuses a
schema newer than it knows (TeamSchemaTooNew), with a plain message.
"""

from __future__ import annotations

from typing import Any

import psycopg

from .errors import TeamNotReady, TeamSchemaTooNew

MIGRATION_LOCK = 0x63636465736B  # pg_advisory_xact_lock key ("ccdesk")
DESK_ROLE = "ccdesk_desk"  # least privilege for desks: DML on these tables only (docs/team.md)

_V1 = """
CREATE SCHEMA IF NOT EXISTS ccdesk;
CREATE TABLE ccdesk.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE ccdesk.desks (
    desk_id      text PRIMARY KEY,
    name         text NOT NULL,
    os_user      text NOT NULL DEFAULT '',
    joined_at    timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    left_at      timestamptz,
    replica_seq  bigint NOT NULL DEFAULT 0          -- how far this desk's local copy has caught up
);
-- The team's copy of the account: the contact's JSON as Constant Contact sent it, with a change sequence.
CREATE SEQUENCE ccdesk.change_seq;
CREATE TABLE ccdesk.contacts (
    contact_id  text PRIMARY KEY,
    seq         bigint NOT NULL,
    version     text NOT NULL,                      -- newest of updated_at / email_address.updated_at
    raw         jsonb NOT NULL,
    fetched_at  timestamptz NOT NULL,
    written_by  text NOT NULL
);
CREATE INDEX contacts_seq ON ccdesk.contacts (seq);
CREATE TABLE ccdesk.lists (list_id text PRIMARY KEY, raw jsonb NOT NULL, fetched_at timestamptz NOT NULL);
CREATE TABLE ccdesk.sync_state (key text PRIMARY KEY, value text, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE ccdesk.sync_lease (
    id          int PRIMARY KEY CHECK (id = 1),
    desk_id     text,
    taken_at    timestamptz,
    expires_at  timestamptz
);
INSERT INTO ccdesk.sync_lease (id) VALUES (1);
CREATE TABLE ccdesk.outbox (
    action_id   text PRIMARY KEY,                   -- made on the desk that queued it: a hand-over is idempotent
    desk_id     text NOT NULL,
    kind        text NOT NULL,
    contact_id  text,
    payload     jsonb NOT NULL,
    dedupe_key  text NOT NULL,                      -- the same change asked on two desks: sent once
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'in_progress', 'done', 'failed', 'merged', 'cancelled')),
    claimed_by  text,
    claimed_at  timestamptz,
    message     text,
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_state ON ccdesk.outbox (state, created_at);
CREATE INDEX outbox_dedupe ON ccdesk.outbox (dedupe_key, state);
-- Who did what to whom, from which desk, why, who asked, when received. Append-only for desks (grants below).
CREATE TABLE ccdesk.journal (
    id          bigserial PRIMARY KEY,
    desk_id     text NOT NULL,
    local_id    bigint NOT NULL,                    -- the desk's own journal row: a re-sent row is kept once
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    contact_id  text,
    email       text,
    outcome     text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}',
    message     text,
    UNIQUE (desk_id, local_id)
);
CREATE INDEX journal_contact ON ccdesk.journal (contact_id, id);
-- The request budget of the organisation's API key: the 4/s sliding window and the day's count.
CREATE TABLE ccdesk.budget_pace (key text PRIMARY KEY, rate double precision NOT NULL,
                                 reduced_at double precision NOT NULL, paused_until double precision NOT NULL);
CREATE TABLE ccdesk.budget_sends (id bigserial PRIMARY KEY, key text NOT NULL, at double precision NOT NULL);
CREATE INDEX budget_sends_key_at ON ccdesk.budget_sends (key, at);
CREATE TABLE ccdesk.budget_days (key text NOT NULL, day date NOT NULL, used bigint NOT NULL,
                                 PRIMARY KEY (key, day));
"""

# Applied by every `init` after the migrations (so a role made later gets them too): desks read everything,
# write only what they must, and can only add to the journal, never change or delete it.
GRANTS = """
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ccdesk_desk') THEN
        GRANT USAGE ON SCHEMA ccdesk TO ccdesk_desk;
        GRANT SELECT ON ALL TABLES IN SCHEMA ccdesk TO ccdesk_desk;
        GRANT INSERT, UPDATE ON ccdesk.desks, ccdesk.contacts, ccdesk.lists, ccdesk.sync_state, ccdesk.sync_lease,
              ccdesk.outbox, ccdesk.budget_pace, ccdesk.budget_days TO ccdesk_desk;
        GRANT INSERT, DELETE ON ccdesk.budget_sends TO ccdesk_desk;
        GRANT UPDATE ON ccdesk.budget_sends TO ccdesk_desk;
        GRANT INSERT ON ccdesk.journal TO ccdesk_desk;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ccdesk TO ccdesk_desk;
    END IF;
END $$;
"""

MIGRATIONS: list[str] = [_V1]
SCHEMA_VERSION = len(MIGRATIONS)


def found_version(conn: psycopg.Connection[Any]) -> int:
    """The version applied in this database; 0 when there is no team schema."""
    # pg_tables, not to_regclass(): a catalog lookup may not yet see a table another init just committed.
    row = conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_tables WHERE schemaname = 'ccdesk' "
                       "AND tablename = 'meta')").fetchone()
    if not row or not row[0]:
        return 0
    got = conn.execute("SELECT value FROM ccdesk.meta WHERE key = 'schema_version'").fetchone()
    return int(got[0]) if got else 0


def check(conn: psycopg.Connection[Any], known: int = SCHEMA_VERSION) -> int:
    """The version in force, if this ccdesk can use it; else TeamNotReady or TeamSchemaTooNew."""
    found = found_version(conn)
    if found == 0:
        raise TeamNotReady("This database has no ccdesk team yet. Someone with the rights to create tables runs "
                           "`ccdesk team init DSN` once; then each desk runs `ccdesk team join DSN`.")
    if found > known:
        raise TeamSchemaTooNew(f"The team database was upgraded by a newer ccdesk (team schema {found}; this ccdesk "
                               f"knows up to {known}). Update ccdesk on this desk; nothing was changed.")
    if found < known:
        raise TeamNotReady(f"The team database has team schema {found}; this ccdesk needs {known}. Run "
                           "`ccdesk team init DSN` once (as the database owner) to upgrade it.")
    return found


def migrate(conn: psycopg.Connection[Any], migrations: list[str] | None = None) -> tuple[int, int]:
    """Apply what is missing; returns (version before, version now). Refuses a newer schema."""
    steps = MIGRATIONS if migrations is None else migrations
    known = len(steps)
    before = found_version(conn)
    if before > known:
        check(conn, known)
    for target in range(before + 1, known + 1):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            current = found_version(conn)  # another init may have got here first
            if current > known:
                check(conn, known)
            if current >= target:
                continue
            conn.execute(steps[target - 1])
            conn.execute("INSERT INTO ccdesk.meta (key, value) VALUES ('schema_version', %s) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(target),))
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))  # concurrent GRANTs collide
        conn.execute(GRANTS)
    return before, found_version(conn)
