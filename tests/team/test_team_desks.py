"""Team mode end to end: desks are separate processes with separate homes and keyrings, one sandbox, one real
PostgreSQL. `ccdesk team init/join/status` as a user runs them; window-like desks (tests/team/desk_driver.py)."""

from __future__ import annotations

import csv
import datetime
import json
import time
from pathlib import Path

import pytest

from .pgserver import PgServer
from .proxy import CuttableProxy
from .teamworld import Driver, TeamWorld, team_world

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, pg: PgServer) -> TeamWorld:  # type: ignore[misc]
    try:
        with team_world(tmp_path, pg, f"team_{tmp_path.name[-20:].lower()}", desks=2, contacts=1200) as w:
            yield w
    except Exception as exc:  # no keyring daemons on this machine
        if "gnome-keyring" in str(exc) or "dbus" in str(exc):
            pytest.skip(str(exc))
        raise


def _join(world: TeamWorld, port: int | None = None, **env: str) -> None:
    """Both desks join the team (desk B through `port` if given), each with `env` in its environment."""
    a, b = world.desks
    for desk in world.desks:
        desk.env.update(env)
    code, out = a.run_json("team", "init", world.owner_dsn())
    assert code == 0 and out["schema_version"] >= 1, out
    for desk, user in ((a, "desk_a"), (b, "desk_b")):
        code, out = desk.run_json("team", "join", world.desk_dsn(user, port if desk is b else None))
        assert code == 0, out
        saved = (desk.home / "config" / "ccdesk" / "preferences.json").read_text()
        assert "desk-role-password" not in saved and "team_dsn" in saved  # the password went to the keyring


def test_second_desk_reads_the_team_copy_not_constant_contact(world: TeamWorld) -> None:
    proxy = CuttableProxy(world.pg.port)
    try:
        _second_desk_reads_the_team_copy(world, proxy)
    finally:
        proxy.close()


def _second_desk_reads_the_team_copy(world: TeamWorld, proxy: CuttableProxy) -> None:
    _join(world, port=proxy.port)
    a, b = world.desks
    desk_a = a.driver()
    first = desk_a.ask("sync")
    assert first["ok"] and first["full_pull"] and not first["from_team"], first
    online = desk_a.ask("online")
    assert online["online"], online  # desk A read Constant Contact for the team, not on its own
    full_read = world.requests("GET", "/v3/contacts")
    assert full_read >= 3  # 1,200 contacts: three pages of 500

    # Desk A stays open and holds the sync; desk B's first sync (a command) comes from PostgreSQL, even though
    # its first connection to the database drops: it asks again rather than read the account itself.
    world.server.sandbox.reset_request_counts()
    proxy.drop_next(1)
    proc = b.run("sync", "--json")
    out = json.loads(proc.stdout) if proc.stdout.strip() else {}
    assert proc.returncode == 0 and out["from_team"] and out["contacts_read"] == 1200, (out, proc.stderr)
    assert world.requests() == 0, world.server.sandbox.request_counts  # not one request to Constant Contact
    code, status = b.run_json("team", "status")
    assert code == 0 and len(status["desks"]) == 2 and status["contacts"] == 1200
    assert status["sync_holder"] is not None and status["requests_today"] >= full_read
    holder = [d["name"] for d in status["desks"] if d["syncing"]]
    assert holder == ["Desk A"]

    from ccdesk.store.database import DeskDatabase

    with DeskDatabase(b.db) as store:
        assert store.count() == 1200
    dump = world.database_text()
    assert "@" in dump and len(world.secrets) >= 4  # contacts are there...
    assert not [s for s in world.secrets if s in dump]  # ...and no Constant Contact token, ever
    assert "desk-role-password" not in dump


def test_the_same_opt_out_on_two_desks_is_sent_once_and_seen_everywhere(world: TeamWorld) -> None:
    _join(world)
    a, b = world.desks
    desk_a, desk_b = a.driver(), b.driver()
    assert desk_a.ask("sync")["ok"]
    assert desk_b.ask("sync")["from_team"]
    cid = next(c for c in world.server.sandbox.contact_ids(status="active")
               if world.server.sandbox.contact_json(c)["email_address"].get("permission_to_send") != "unsubscribed")
    world.server.sandbox.reset_request_counts()
    desk_a.send(f"unsubscribe {cid}")
    desk_b.send(f"unsubscribe {cid} =HYPERLINK(\"http://x.example\") asked")  # as a reason column may bring it
    assert desk_a.read()["queued"] and desk_b.read()["queued"]
    for d in (desk_a, desk_b):
        assert d.ask(f"wait {cid} unsubscribed 30")["ok"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = [d.ask("outbox")["items"] for d in (desk_a, desk_b)]
        if all(i and i[0][1] == "done" for i in items):
            break
        time.sleep(0.2)
    assert all(i[0][1] == "done" for i in items), items
    assert world.requests("PUT", f"/v3/contacts/{cid}") == 1  # sent once, by one desk
    import psycopg

    with psycopg.connect(world.owner_dsn()) as conn:
        states = sorted(r[0] for r in conn.execute("SELECT state FROM ccdesk.outbox WHERE contact_id = %s", (cid,)))
    assert states == ["done", "merged"]  # the other desk's action was merged into the one sent

    # One journal: desk B exports the team's, desk A's rows included (who, why, who asked, when received).
    out_file = b.home / "team-journal.csv"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        code, out = b.run_json("team", "journal", "--out", str(out_file))
        assert code == 0, out
        rows = [r for r in csv.DictReader(out_file.open(encoding="utf-8-sig")) if r["contact_id"] == cid]
        if {r["desk"] for r in rows if r["outcome"] == "queued"} == {"Desk A", "Desk B"}:
            break
        time.sleep(1)
    queued = [r for r in rows if r["outcome"] == "queued"]
    assert {r["desk"] for r in queued} == {"Desk A", "Desk B"}, rows
    reasons = {r["desk"]: r["reason"] for r in queued}
    assert reasons == {"Desk A": "asked at the front desk", "Desk B": "'=HYPERLINK(\"http://x.example\") asked"}
    assert all(r["asked_by"] == "Contact" and r["received_on"] == datetime.date.today().isoformat()
               for r in queued), queued  # a formula is marked for the spreadsheet, never run


def test_a_desk_cut_off_keeps_its_actions_and_hands_them_over(world: TeamWorld) -> None:
    proxy = CuttableProxy(world.pg.port)
    try:
        _join(world, port=proxy.port)
        a, b = world.desks
        desk_a, desk_b = a.driver(), b.driver()
        assert desk_a.ask("sync")["ok"]
        assert desk_b.ask("sync")["from_team"]
        sb = world.server.sandbox
        cids = [c for c in sb.contact_ids(status="active")
                if sb.contact_json(c)["email_address"].get("permission_to_send") != "unsubscribed"][:3]

        proxy.cut()  # desk B loses the team database
        world.server.sandbox.reset_request_counts()
        for cid in cids:
            assert desk_b.ask(f"unsubscribe {cid}")["queued"]
        assert desk_a.ask(f"unsubscribe {cids[0]}")["queued"]  # the same opt-out, on the desk still connected
        assert desk_a.ask(f"wait {cids[0]} unsubscribed 30")["ok"]
        time.sleep(2)
        items = desk_b.ask("outbox")["items"]
        assert len(items) == 3 and all(state == "pending" for _, state, _ in items), items  # kept, not sent
        assert not desk_b.ask("online")["online"]
        assert sum(world.requests("PUT", f"/v3/contacts/{c}") for c in cids[1:]) == 0

        proxy.restore()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            items = desk_b.ask("outbox")["items"]
            if all(state == "done" for _, state, _ in items):
                break
            time.sleep(0.3)
        assert all(state == "done" for _, state, _ in items), items
        for cid in cids:
            assert world.requests("PUT", f"/v3/contacts/{cid}") == 1, cid  # nothing sent twice
            assert desk_a.ask(f"wait {cid} unsubscribed 20")["ok"]  # and every desk sees it
        code, status = b.run_json("team", "status")
        assert code == 0 and status["items_waiting"] == 0
    finally:
        proxy.close()


def test_the_sync_is_taken_over_when_its_desk_goes_away(world: TeamWorld) -> None:
    _join(world, CCDESK_TEAM_LEASE_S="3", CCDESK_TEAM_FRESH_S="0")
    a, b = world.desks
    desk_a = a.driver()
    assert desk_a.ask("sync")["full_pull"]
    desk_b = b.driver()
    time.sleep(4)  # longer than the lease: desk A, alive, keeps renewing it
    world.server.sandbox.reset_request_counts()
    assert desk_b.ask("sync")["from_team"] and world.requests() == 0

    desk_a.proc.kill()  # desk A goes away without a word
    desk_a.proc.wait(10)
    time.sleep(4)  # its lease lapses
    world.server.sandbox.reset_request_counts()
    took = desk_b.ask("sync")
    assert took["ok"] and not took["from_team"] and not took["full_pull"], took  # continues from the team's bookmarks
    assert world.requests("GET", "/v3/contacts") > 0 and took["contacts_read"] < 1200  # incremental, not a full read
    code, status = b.run_json("team", "status")
    assert code == 0 and [d["name"] for d in status["desks"] if d["syncing"]] == ["Desk B"]


def test_actions_of_a_desk_that_went_away_are_sent_once_by_another(world: TeamWorld) -> None:
    import psycopg

    _join(world, CCDESK_TEAM_GONE_S="3")
    a, b = world.desks
    desk_a = a.driver()
    assert desk_a.ask("sync")["ok"]
    desk_b = b.driver()
    assert desk_b.ask("sync")["from_team"]
    cid = next(c for c in world.server.sandbox.contact_ids(status="active")
               if world.server.sandbox.contact_json(c)["email_address"].get("permission_to_send") != "unsubscribed")
    assert desk_a.ask("pause")["ok"]  # desk A's sender stops (say its sign-in expired)...
    assert desk_a.ask(f"unsubscribe {cid}")["queued"]  # ...so this waits, handed over to the team
    deadline = time.monotonic() + 30
    with psycopg.connect(world.owner_dsn(), autocommit=True) as conn:
        while time.monotonic() < deadline and not conn.execute(
                "SELECT 1 FROM ccdesk.outbox WHERE contact_id = %s", (cid,)).fetchone():
            time.sleep(0.2)
        desk_a.proc.kill()  # and then desk A goes away
        desk_a.proc.wait(10)
        assert desk_b.ask(f"wait {cid} unsubscribed 60")["ok"]  # desk B sent it for desk A
        deadline = time.monotonic() + 20  # (its local copy changes a moment before the team outbox is told)
        while True:
            row = conn.execute("SELECT state, claimed_by, message FROM ccdesk.outbox WHERE contact_id = %s",
                               (cid,)).fetchone()
            if (row and row[0] == "done") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert row is not None and row[0] == "done" and "which was away" in row[2]
    assert world.requests("PUT", f"/v3/contacts/{cid}") == 1

    # Desk A comes back: its own copy of the action ends done, and nothing is sent again.
    desk_a = a.driver()
    _first_item_ends_done(desk_a)
    assert world.requests("PUT", f"/v3/contacts/{cid}") == 1


def _address(world: TeamWorld, cid: str) -> str:
    return str(world.server.sandbox.contact_json(cid)["email_address"]["address"])


def test_a_new_local_store_sends_its_actions(world: TeamWorld, tmp_path: Path) -> None:
    """A desk that starts a new local store (`--db`, a reinstall, a restored backup) numbers its actions from 1
    again; its first opt-out must reach Constant Contact, not be taken for the one the old store sent."""
    _join(world)
    a, _b = world.desks
    x, y = _mailable(world, 2)
    for n, (cid, db) in enumerate(((x, None), (y, tmp_path / "new-store.sqlite3"))):
        code, out = a.run_json("sync", *(["--db", str(db)] if db else []))
        assert code == 0, out
        addresses = tmp_path / f"addresses-{n}.csv"
        addresses.write_text(f"email\n{_address(world, cid)}\n", encoding="utf-8")
        code, out = a.run_json("unsubscribe", "--file", str(addresses), "--reason", "asked by phone",
                               *(["--db", str(db)] if db else []))
        assert code == 0, out
        assert world.requests("PUT", f"/v3/contacts/{cid}") == 1, (cid, json.dumps(out))
        assert world.server.sandbox.contact_json(cid)["email_address"]["permission_to_send"] == "unsubscribed"


def _mailable(world: TeamWorld, n: int) -> list[str]:
    sb = world.server.sandbox
    return [c for c in sb.contact_ids(status="active")
            if sb.contact_json(c)["email_address"].get("permission_to_send") != "unsubscribed"][:n]


def test_an_action_whose_sender_was_killed_mid_send_is_sent_once_by_another(world: TeamWorld) -> None:
    """Desk A claims an opt-out and is killed while its request is on the way (the sandbox holds it): the team
    outbox row stays in progress under A's claim. Once the claim is not renewed for CCDESK_TEAM_CLAIM_S, desk B
    takes it over and sends it, once; desk A, back, finds it done."""
    import psycopg

    _join(world, CCDESK_TEAM_GONE_S="3", CCDESK_TEAM_CLAIM_S="4")
    a, b = world.desks
    desk_a = a.driver()
    assert desk_a.ask("sync")["ok"]
    desk_b = b.driver()
    assert desk_b.ask("sync")["from_team"]
    (cid,) = _mailable(world, 1)
    sb = world.server.sandbox
    sb.faults.update({"latency_ms": 60_000, "only": f"/v3/contacts/{cid}"})  # A's read of the contact hangs
    try:
        assert desk_a.ask(f"unsubscribe {cid}")["queued"]
        with psycopg.connect(world.owner_dsn(), autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not conn.execute(
                    "SELECT 1 FROM ccdesk.outbox WHERE contact_id = %s AND state = 'in_progress'", (cid,)).fetchone():
                time.sleep(0.1)
            time.sleep(0.5)
            desk_a.proc.kill()  # mid-send: its claim stays
            desk_a.proc.wait(10)
            assert conn.execute("SELECT state FROM ccdesk.outbox WHERE contact_id = %s", (cid,)).fetchone() == (
                "in_progress",)
    finally:
        sb.faults.reset()
    assert desk_b.ask(f"wait {cid} unsubscribed 60")["ok"]  # desk B took it over and sent it
    with psycopg.connect(world.owner_dsn(), autocommit=True) as conn:
        deadline = time.monotonic() + 20
        while True:
            row = conn.execute("SELECT state, claimed_by, message FROM ccdesk.outbox WHERE contact_id = %s",
                               (cid,)).fetchone()
            if (row and row[0] == "done") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert row is not None and row[0] == "done" and "which was away" in row[2], row
    assert world.requests("PUT", f"/v3/contacts/{cid}") == 1

    desk_a = a.driver()  # desk A comes back: its interrupted action ends done, not sent again
    _first_item_ends_done(desk_a)
    assert world.requests("PUT", f"/v3/contacts/{cid}") == 1


def _first_item_ends_done(driver: Driver) -> None:
    """Wait (30 s at most) until the first item of the desk's own outbox is done."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        items = driver.ask("outbox")["items"]
        if items and items[0][1] == "done":
            break
        time.sleep(0.3)
    assert items[0][1] == "done", items
