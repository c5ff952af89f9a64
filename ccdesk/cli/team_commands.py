"""`ccdesk team init | join | leave | status | journal`: team mode from the command line (docs/team.md).

None of these needs a Constant Contact sign-in: they talk to the team's PostgreSQL only, and no Constant Contact
token ever goes there.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from ccdesk.preferences import Preferences

from .exit_codes import Exit
from .output import Output

TEAM_COMMAND = "team"


def add_parsers(sub: Any, common: argparse.ArgumentParser, epilog: str) -> None:
    team = sub.add_parser(TEAM_COMMAND, help="team mode: share one copy, outbox, journal and request budget in "
                          "the organisation's PostgreSQL", description="Team mode (docs/team.md).", epilog=epilog)
    steps = team.add_subparsers(dest="team_command", required=True, metavar="step")
    init = steps.add_parser("init", parents=[common], help="create or upgrade the team's tables (once, as the "
                            "database owner)")
    init.add_argument("dsn", metavar="DSN", help="postgresql://OWNER@HOST:5432/DATABASE?sslmode=require")
    join = steps.add_parser("join", parents=[common], help="make this desk part of the team")
    join.add_argument("dsn", metavar="DSN", help="postgresql://DESK_ROLE@HOST:5432/DATABASE?sslmode=require; a "
                      "password in it is moved to the OS keyring")
    steps.add_parser("leave", parents=[common], help="this desk works on its own again (its copy stays)")
    steps.add_parser("status", parents=[common], help="desks, who syncs, last sync, requests today, items waiting")
    journal = steps.add_parser("journal", parents=[common], help="export the whole team's journal to a CSV file")
    journal.add_argument("--out", type=Path, required=True, metavar="FILE")


async def run(args: argparse.Namespace, out: Output) -> int:
    handler = {"init": _init, "join": _join, "leave": _leave, "status": _status, "journal": _journal}
    import psycopg

    from ccdesk.team.errors import TeamError

    try:
        return int(await asyncio.to_thread(handler[args.team_command], args, out))
    except psycopg.Error as exc:  # refused by the database (rights, a constraint): a sentence, not a traceback
        reason = (exc.diag.message_primary if exc.diag else None) or type(exc).__name__
        who = ("Run `ccdesk team init` as the role that owns the team's database (desks' roles may not create "
               "tables)." if args.team_command == "init" else "Ask whoever runs the team database to check this "
               "desk's role (docs/team.md: roles).")
        raise TeamError(f"The team database refused this: {reason}. {who}") from None


def _init(args: argparse.Namespace, out: Output) -> Exit:
    from ccdesk.team import dsn, schema

    with dsn.connect(args.dsn, autocommit=True) as conn:
        before, now = schema.migrate(conn)
    where = dsn.describe(args.dsn)
    if before == now:
        out.say(f"The team database {where} is up to date (team schema {now}).")
    else:
        out.say(f"The team database {where} now has team schema {now} (was {before or 'none'}). Desks join with "
                "`ccdesk team join DSN`.")
    out.result({"command": "team init", "ok": True, "schema_before": before, "schema_version": now})
    return Exit.OK


def _join(args: argparse.Namespace, out: Output) -> Exit:
    from ccdesk.team import config, desks, dsn, schema
    from ccdesk.team.errors import TeamError

    prefs = Preferences.load()
    saved, password = dsn.without_password(args.dsn)
    if "team_dsn" in prefs.locked and prefs.team_dsn.strip() != saved:
        raise TeamError("Your organisation set this desk's team in the machine-wide settings; ask IT to change it.")
    with dsn.connect(args.dsn, autocommit=True) as conn:  # saved only once it worked
        version = schema.check(conn)
        settings = config.TeamSettings(saved, config.desk_id() or "", prefs.desk_name.strip(), config.os_user())
        name = settings.desk_name or f"{settings.os_user}@{_host()}"
        desks.register(conn, settings.desk_id, name, settings.os_user)
    if password:
        dsn.save_password(saved, password)
    if "team_dsn" not in prefs.locked:
        prefs.team_dsn = saved
        prefs.save()
    out.say(f"This desk ({name}) joined the team at {dsn.describe(saved)} (team schema {version}). The next sync "
            "brings its copy up to date from the team.")
    out.result({"command": "team join", "ok": True, "desk_id": settings.desk_id, "desk_name": name,
                "schema_version": version})
    return Exit.OK


def _host() -> str:
    import socket

    return socket.gethostname()


def _leave(args: argparse.Namespace, out: Output) -> Exit:
    from ccdesk.team import config, desks, dsn
    from ccdesk.team.errors import TeamError, TeamUnreachable

    prefs = Preferences.load()
    if not prefs.team_dsn.strip():
        out.say("This desk is not in a team.")
        out.result({"command": "team leave", "ok": True, "was_in_team": False})
        return Exit.OK
    if "team_dsn" in prefs.locked:
        raise TeamError("Your organisation set this desk's team in the machine-wide settings; ask IT to change it.")
    saved = prefs.team_dsn.strip()
    note = ""
    try:
        with dsn.connect(saved, autocommit=True) as conn:
            desks.leave(conn, config.desk_id() or "")
    except TeamUnreachable:
        note = " (the team database was unreachable: the team will see this desk as gone once it stops answering)"
    dsn.forget_password(saved)
    prefs.team_dsn = ""
    prefs.save()
    out.say(f"This desk left the team{note}. It keeps its own copy and syncs on its own from now on.")
    out.result({"command": "team leave", "ok": True, "was_in_team": True})
    return Exit.OK


def _connect_joined() -> Any:
    from ccdesk.team import config, dsn
    from ccdesk.team.errors import TeamNotReady

    settings = config.current()
    if settings is None:
        raise TeamNotReady("This desk is not in a team. Join one with `ccdesk team join DSN`.")
    return dsn.connect(settings.dsn, autocommit=True)


def _status(args: argparse.Namespace, out: Output) -> Exit:
    from ccdesk.team import desks, schema

    with _connect_joined() as conn:
        st = desks.status(conn, schema.check(conn))
    out.say(f"Team: {len(st.desks)} desk(s); {st.contacts:,} contacts in the team copy.")
    holder = next((d.name for d in st.desks if d.syncing), None)
    out.say(f"Syncing desk: {holder or 'none right now (the next desk to sync takes it over)'}.")
    out.say(f"Last sync: {st.last_sync or 'never'}. Requests today (whole team): {st.requests_today:,} of 10,000. "
            f"Items waiting: {st.items_waiting:,}.")
    for d in st.desks:
        out.say(f"  {d.name} ({d.os_user}), last seen {d.last_seen:%Y-%m-%d %H:%M:%S} UTC"
                f"{', syncs for the team' if d.syncing else ''}")
    out.result({"command": "team status", "ok": True, **st.as_json()})
    return Exit.OK


def _journal(args: argparse.Namespace, out: Output) -> Exit:
    from ccdesk.services.csv_writer import neutralise, write_csv
    from ccdesk.team import journal

    with _connect_joined() as conn:  # for people to read: no cell a spreadsheet would run (reasons come from files)
        rows = [[neutralise(str(r[c])) if r[c] is not None else "" for c in journal.COLUMNS]
                for r in journal.rows(conn)]
    written = write_csv(args.out, journal.COLUMNS, rows)  # the one CSV writer (UTF-8 with BOM, whole or nothing)
    out.say(f"Wrote the team's journal ({written.rows:,} rows) to {args.out}.")
    out.result({"command": "team journal", "ok": True, "rows": written.rows, "out": str(args.out)})
    return Exit.OK
