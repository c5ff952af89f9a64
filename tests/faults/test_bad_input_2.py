"""Hostile files and odd input, round two (issue 14; issue 12 item 5): every entry of the shared catalogue
(tests/faults/hostile.py) at the service layer, then the items that need the whole path, run as a user runs
them: `python -m ccdesk ...` in real processes against the sandbox over loopback."""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccdesk import logsetup
from ccdesk.services.address_file import ReadCancelled, read_address_file
from ccdesk.services.csv_writer import iso_seconds
from ccdesk.store import DeskDatabase
from tests.cli.conftest import Cli, signed_in_cli  # noqa: F401 - the fixture, shared
from tests.faults.hostile import REASON, Hostile, catalogue, check, search_store
from tests.faults.hostile import release_fifo as _release

from .cli_helpers import address_file_for, csv_rows, interrupted_then_resumed, mailable, secret_service  # noqa: F401

ESC_REASON = "\x1b[2J\x1b]0;pwned\x07Stop\x9b31m"


@pytest.fixture(scope="module")
def search_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskDatabase]:
    store = search_store(tmp_path_factory.mktemp("search") / "s.sqlite3")
    yield store
    store.close()


@pytest.mark.parametrize("entry", catalogue(), ids=lambda e: e.id)
def test_hostile_input_is_handled(entry: Hostile, tmp_path: Path, search_db: DeskDatabase) -> None:
    """Read right or refused in plain words; never a hang, a traceback, garbled text, a raw escape on the
    terminal, a link followed or a file's mode changed."""
    assert check(entry, tmp_path, search_db) is None


def test_catalogue_is_big_enough_and_has_no_duplicates() -> None:
    items = catalogue()
    assert len(items) >= 60 and len({e.id for e in items}) == len(items)


def test_a_read_stops_when_cancelled(tmp_path: Path) -> None:
    """14.4: every read is cancellable (the window's read thread, Ctrl+C in a command)."""
    path = tmp_path / "big.csv"
    path.write_text("email\n" + "".join(f"person{i}@example.com\n" for i in range(150_000)), encoding="utf-8")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ReadCancelled):
        read_address_file(path, cancel)


def test_exported_dates_are_whole_seconds_with_an_offset() -> None:
    """Issue 15 item 8 (data part)."""
    from datetime import UTC, datetime, timedelta, timezone

    assert iso_seconds(datetime(2026, 5, 1, 9, 30, 5, 123456, tzinfo=UTC)) == "2026-05-01T09:30:05+00:00"
    assert iso_seconds(datetime(2026, 5, 1, 9, 30, 5, 999999, tzinfo=timezone(timedelta(hours=2)))) \
        == "2026-05-01T09:30:05+02:00"
    assert iso_seconds(None) == ""


def test_log_rotation_keeps_owner_only_and_codes_in_tracebacks_readable(tmp_path: Path, monkeypatch) -> None:
    """14.6 and 14.14: the fresh ccdesk.log after a rotation is 0600; `code = asyncio.run(...)` in a traceback is
    source code, not a secret; a NUL from a UTF-32 file does not reach the log raw."""
    monkeypatch.setattr(logsetup, "log_dir", lambda: tmp_path)
    old = os.umask(0o022)
    try:
        path = logsetup.configure(logging.INFO, to_stderr=False)
        handler = logging.getLogger().handlers[0]
        logging.getLogger("ccdesk.test").info("before the rotation")
        handler.doRollover()  # type: ignore[attr-defined]
        logging.getLogger("ccdesk.test").info("after the rotation: column \x00e\x00m\x00a\x00i\x00l")
        handler.flush()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert b"\x00" not in path.read_bytes()
    finally:
        os.umask(old)
        logging.getLogger().handlers.clear()
    assert logsetup.redact("    code = asyncio.run(_run(args, out))") == "    code = asyncio.run(_run(args, out))"
    assert "AbCdEfGh12345" not in logsetup.redact("GET /callback?code=AbCdEfGh12345&state=x")


# --- through the command line, in real processes ------------------------------------------------------------

pytest_keyring = pytest.mark.keyring


@pytest_keyring
def test_mixed_encodings_reach_the_account_as_the_preview_showed(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.1: a UTF-8 file with one Windows-1252 row: each reason reaches Constant Contact as written, and the
    preview shows the row read the other way with its reason."""
    cli = signed_in_cli
    ids = mailable(cli, 2)
    a, b = (cli.server.sandbox.contact_json(c)["email_address"]["address"] for c in ids)
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"email,reason\n{a},Réponse par courriel\n".encode() + f"{b},{REASON}\n".encode("cp1252"))
    assert cli.run("sync").returncode == 0
    dry = cli.run("unsubscribe", "--file", str(path), "--reason", "x", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"line 3: {b}  reason: {REASON}" in dry.stdout and "Ã" not in dry.stdout
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x")
    assert proc.returncode == 0, proc.stderr
    reasons = [cli.server.sandbox.contact_json(c)["email_address"].get("opt_out_reason") for c in ids]
    assert reasons == ["Réponse par courriel", REASON]


@pytest_keyring
def test_addresses_starting_with_plus_minus_equals_are_exported_exactly(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.2: the Do Not Mail file holds `+alice@...`, never `'+alice@...`; the spreadsheet-safe variant marks
    other cells only and says so."""
    cli = signed_in_cli
    sb = cli.server.sandbox
    odd = ["+alice@example.org", "-bob@example.org", "=carl@example.org"]
    for address in odd:
        cid = sb.add_contact(email_address={"address": address, "permission_to_send": "implicit"},
                             first_name="=SUM(A1)")
        sb.contact_unsubscribes(cid, "+1 no thanks")
    feed = tmp_path / "feed.csv"
    proc = cli.run("export-optouts", "--out", str(feed))
    assert proc.returncode == 0, proc.stderr
    rows = {r["email"]: r for r in csv_rows(feed)}
    assert all(a in rows for a in odd) and rows[odd[0]]["first_name"] == "=SUM(A1)"
    safe = tmp_path / "for-excel.csv"
    proc = cli.run("export-optouts", "--out", str(safe), "--no-sync", "--spreadsheet-safe")
    assert proc.returncode == 0 and "the email column is never changed" in proc.stdout
    rows = {r["email"]: r for r in csv_rows(safe)}
    assert all(a in rows for a in odd) and rows[odd[0]]["first_name"] == "'=SUM(A1)"
    assert rows[odd[0]]["opt_out_reason"] == "'+1 no thanks"
    assert all(len(r["opt_out_date"]) == 25 for r in rows.values()), "whole seconds with the offset"


@pytest_keyring
@pytest.mark.parametrize("command", ["unsubscribe", "remove-from-list"])
def test_a_named_pipe_as_the_address_file_is_refused_at_once(signed_in_cli: Cli, tmp_path: Path,  # noqa: F811
                                                             command: str) -> None:
    """14.4: used to wait for a writer for ever, deaf to Ctrl+C."""
    cli = signed_in_cli
    fifo = tmp_path / "addresses.csv"
    os.mkfifo(fifo)
    extra = ["--reason", "x"] if command == "unsubscribe" else ["--list", "anything"]
    try:
        proc = cli.run(command, "--file", str(fifo), *extra, "--no-sync", timeout=60)
    except subprocess.TimeoutExpired:
        _release(fifo)
        pytest.fail("the command hung on a named pipe")
    assert proc.returncode == 1 and "named pipe" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow  # ~14 s
@pytest_keyring
def test_two_exports_to_one_file_at_once_leave_the_last_one_whole(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.5 / 12.5: two processes export different sets to one file at once, several rounds: the file is always
    one whole, valid export, the one of the run that put its file in place last; no temporary file is left."""
    import json
    from datetime import UTC, datetime

    cli = signed_in_cli
    sb = cli.server.sandbox
    for cid in mailable(cli, 40):
        sb.contact_unsubscribes(cid, "no")
    assert cli.run("sync").returncode == 0
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "feed.csv"
    (folder / "victim.txt").write_text("keep", encoding="utf-8")
    (folder / ".feed.csv.part").symlink_to(folder / "victim.txt")  # the old, guessable temporary name
    today = datetime.now(UTC).date().isoformat()
    for _round in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "ccdesk", "export-optouts", "--out", str(out), "--no-sync",
                                   "--json", *since], env=cli.env, cwd=cli.home, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for since in ([], ["--since", today])]
        results = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            results.append(json.loads(stdout))
        assert results[0]["rows"] != results[1]["rows"], "the two runs must be told apart by their row counts"
        last = max(results, key=lambda r: r["saved_at_ns"])
        rows = csv_rows(out)
        assert len(rows) == last["rows"] and all(r["email"] and r["status"] for r in rows)
    assert (folder / "victim.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in folder.iterdir()) == [".feed.csv.part", "feed.csv", "victim.txt"]


@pytest_keyring
def test_an_export_over_a_private_file_stays_private(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.6"""
    cli = signed_in_cli
    out = tmp_path / "private.csv"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o600)
    assert cli.run("export-optouts", "--out", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text(encoding="utf-8-sig").startswith("email,")


@pytest_keyring
def test_report_path_is_checked_before_anything_is_sent(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.7: a report into a folder that does not exist is refused before sending; a dry run writes the
    preview as the report."""
    cli = signed_in_cli
    path, ids = address_file_for(cli, tmp_path / "a.csv", 3)
    cli.server.sandbox.reset_request_counts()
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x", "--report", str(tmp_path / "no" / "r.csv"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    assert cli.server.sandbox.requests_matching("POST") == 0
    assert all(cli.server.sandbox.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed"
               for c in ids)
    report = tmp_path / "preview.csv"
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x", "--dry-run", "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    assert [r["outcome"] for r in csv_rows(report)] == ["would be unsubscribed"] * 3


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, tiny file system (tmpfs of 64 KB): writes past it fail with ENOSPC."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest_keyring
def test_a_report_on_a_full_disk_is_never_cut_and_the_outcomes_are_shown(signed_in_cli: Cli, tmp_path: Path,  # noqa: F811
                                                                         full_disk: Path) -> None:
    """14.7: the disk fills while the report is written, after the changes were sent: no report cut mid-row
    under the chosen name, the outcomes printed, exit 1 with the cause."""
    cli = signed_in_cli
    path, ids = address_file_for(cli, tmp_path / "a.csv", 5)
    report = full_disk / "report.csv"

    # Fill it: a report of 5 lines no longer fits, the preflight's empty file still does.
    with open(full_disk / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"x" * 4096)
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x", "--report", str(report), "--no-sync")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "report was not saved" in proc.stderr and "Traceback" not in proc.stderr
    assert not report.exists() and not [p for p in full_disk.iterdir() if p.name.startswith(".")]
    assert "unsubscribed" in proc.stderr and "Result: 5 unsubscribed" in proc.stdout
    assert all(cli.server.sandbox.contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed"
               for c in ids)


@pytest_keyring
def test_escape_sequences_from_account_data_never_reach_the_terminal_raw(signed_in_cli: Cli,  # noqa: F811
                                                                         tmp_path: Path) -> None:
    """14.12: a contact's own opt-out reason (sync) and a line of an address file (preview); the JSON stays
    exact data."""
    import json

    cli = signed_in_cli
    assert cli.run("sync").returncode == 0
    cid = mailable(cli, 1)[0]
    cli.server.sandbox.contact_unsubscribes(cid, ESC_REASON)
    proc = cli.run("sync")
    assert proc.returncode == 0 and "Stop" in proc.stdout
    assert not any(ch in proc.stdout + proc.stderr for ch in "\x1b\x07\x9b")
    assert "\\x1b[2J" in proc.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("email\n\x1b]0;owned\x07x@example.com\n", encoding="utf-8")
    proc = cli.run("unsubscribe", "--file", str(bad), "--reason", "x", "--dry-run", "--no-sync")
    assert "line 2:" in proc.stdout and not any(ch in proc.stdout + proc.stderr for ch in "\x1b\x07")
    proc = cli.run("unsubscribe", "--file", str(bad), "--reason", "x", "--dry-run", "--no-sync", "--json")
    assert json.loads(proc.stdout)["invalid"][0]["text"] == "\x1b]0;owned\x07x@example.com"


@pytest_keyring
def test_smaller_items_show_out_and_long_names(signed_in_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    """14.14: `--show -2` is refused as an option; a 250-character --out name is written; a 300-character one
    is refused in words, before any sync."""
    cli = signed_in_cli
    path, _ids = address_file_for(cli, tmp_path / "a.csv", 3)
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x", "--dry-run", "--show", "-2")
    assert proc.returncode == 2 and "negative" in proc.stderr
    long_name = tmp_path / ("n" * 246 + ".csv")
    proc = cli.run("export-optouts", "--out", str(long_name), "--no-sync")
    assert proc.returncode == 0 and long_name.exists(), proc.stderr
    proc = cli.run("export-optouts", "--out", str(tmp_path / ("n" * 296 + ".csv")))
    assert proc.returncode == 1 and "at most 255" in proc.stderr and "OSError" not in proc.stderr


@pytest.mark.slow
def test_a_resumed_first_sync_counts_every_contact(tmp_path: Path, secret_service) -> None:  # noqa: F811
    """14.14: a first sync interrupted after some pages, then finished by the next run, says how many contacts
    the cache holds (all of them), not only how many the second run read."""
    total, said = interrupted_then_resumed(tmp_path, secret_service)
    assert f"all {total:,} contacts" in said, said


def test_utf16_be_without_bom_and_a_double_bom_header(tmp_path: Path) -> None:
    """14.14: UTF-16BE without a BOM is text, not "a binary file"; a double BOM does not make a column named
    "\\ufeffemail"."""
    be = tmp_path / "be.csv"
    be.write_bytes("email\r\nalice@example.com\r\n".encode("utf-16-be"))
    assert [r.email for r in read_address_file(be).rows] == ["alice@example.com"]
    double = tmp_path / "double.csv"
    double.write_bytes(codecs.BOM_UTF8 * 2 + b"email\r\nalice@example.com\r\n")
    assert read_address_file(double).column == "email"


def test_preferences_are_written_owner_only_and_never_through_a_planted_link(tmp_path: Path) -> None:
    """12.5: the settings file goes through the same writer: a link at its old temporary name is not followed."""
    from ccdesk.preferences import Preferences

    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    path = tmp_path / "config" / "preferences.json"
    path.parent.mkdir()
    (path.parent / "preferences.json.tmp").symlink_to(victim)
    Preferences(client_id="abc").save(path)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and Preferences.load(path).client_id == "abc"


def test_a_new_export_follows_the_umask_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    """12.5: the writer never changes the umask to read it (that would race with other threads creating files)."""
    from ccdesk.services.csv_writer import write_csv

    old = os.umask(0o027)
    try:
        write_csv(tmp_path / "new.csv", ["email"], [["+alice@example.com"]])
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640
        (tmp_path / "new.csv").chmod(0o604)
        write_csv(tmp_path / "new.csv", ["email"], [["bob@example.com"]])
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o604
        assert os.umask(0o027) == 0o027
    finally:
        os.umask(old)
