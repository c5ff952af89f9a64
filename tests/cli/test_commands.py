"""`ccdesk sync | export-optouts | unsubscribe | remove-from-list` in a subprocess against the sandbox: what they
print, the exit codes a scheduler relies on, and what reaches the account."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.db_helpers import removal_rows
from tests.desk_home import user_env

from .conftest import Cli

pytestmark = pytest.mark.keyring


def _emails(cli: Cli, ids: list[str]) -> list[str]:
    return [cli.server.sandbox.contact_json(c)["email_address"]["address"] for c in ids]


def _mailable(cli: Cli, n: int, *, skip: int = 0) -> list[str]:
    sb = cli.server.sandbox
    ids = [c for c in sb.contact_ids(status="active")
           if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed"]
    return ids[skip:skip + n]


def _address_file(cli: Cli, path: Path, n: int) -> list[str]:
    """A text file of n mailable contacts' addresses, after a first sync; returns their ids."""
    targets = _mailable(cli, n)
    path.write_text("\n".join(_emails(cli, targets)) + "\n", encoding="utf-8")
    assert cli.run("sync").returncode == 0
    return targets


def _ctrl_c_when(cli: Cli, ready: Callable[[], bool], *args: str) -> tuple[subprocess.Popen[str], str]:
    """Run a command and press Ctrl+C (SIGINT) once `ready()`; returns the finished process and its stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "ccdesk", *args], env=cli.env, cwd=cli.home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc, err


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_without_a_sign_in_every_command_says_how_to_sign_in(tmp_path: Path) -> None:
    env = user_env(tmp_path / "home", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    for args in (["sync"], ["export-optouts", "--out", str(tmp_path / "x.csv")],
                 ["remove-from-list", "--list", "A", "--file", str(tmp_path / "none.csv")]):
        proc = subprocess.run([sys.executable, "-m", "ccdesk", *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 3, proc.stderr
        assert "sign in" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.csv").exists()


def test_sync_prints_new_optouts_once(signed_in_cli: Cli) -> None:
    cli = signed_in_cli
    code, first = cli.run_json("sync")
    assert code == 0 and first["full_pull"] and first["contacts_read"] == len(cli.server.sandbox.contact_ids("all"))
    assert first["new_optouts"] == [], "the first sync has nothing to compare with: no opt-out is 'new'"
    assert cli.db.exists() and oct(cli.db.stat().st_mode & 0o777) == "0o600"
    [victim] = _mailable(cli, 1)
    cli.server.sandbox.contact_unsubscribes(victim, "Too many emails")
    code, second = cli.run_json("sync")
    assert code == 0 and not second["full_pull"]
    assert [(o["contact_id"], o["opt_out_reason"]) for o in second["new_optouts"]] == [(victim, "Too many emails")]
    code, third = cli.run_json("sync")
    assert code == 0 and third["new_optouts"] == []
    text = cli.run("sync")
    assert text.returncode == 0 and "0 new opt-outs" in text.stdout


def test_a_reader_that_stops_reading_does_not_stop_the_command(signed_in_cli: Cli, tmp_path: Path) -> None:
    """`ccdesk export-optouts ... | head -1`: the export is still written, the exit code is the command's own, and
    nothing says "unexpected problem" (stdout is a pipe whose reading end is already closed)."""
    cli = signed_in_cli
    read_end, write_end = os.pipe()
    os.close(read_end)
    out = tmp_path / "dnm.csv"
    try:
        proc = subprocess.run([sys.executable, "-m", "ccdesk", "export-optouts", "--out", str(out)], env=cli.env,
                              cwd=cli.home, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=180)
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert "unexpected problem" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert len(_rows(out)) > 0


def test_export_since_last_twice_and_a_new_optout_in_between(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    out = tmp_path / "dnm.csv"
    sb = cli.server.sandbox
    unsubscribed = set(_emails(cli, sb.contact_ids(status="unsubscribed")))
    code, first = cli.run_json("export-optouts", "--since-last", "--out", str(out))
    assert code == 0 and first["rows"] == len(unsubscribed) > 0
    assert {r["email"] for r in _rows(out)} <= {e.lower() for e in unsubscribed} | unsubscribed
    before = out.read_bytes()
    code, second = cli.run_json("export-optouts", "--since-last", "--out", str(out))
    assert code == 0 and second["rows"] == 0 and second["file_left_as_it_was"] and out.read_bytes() == before
    [victim] = _mailable(cli, 1)
    sb.contact_unsubscribes(victim, "Moved away")
    # Nobody collected the first file: the new one holds its rows again, and the new opt-out.
    code, uncollected = cli.run_json("export-optouts", "--since-last", "--out", str(out))
    assert code == 0 and uncollected["rows"] == len(unsubscribed) + 1, uncollected
    assert uncollected["rows_from_uncollected_file"] == len(unsubscribed)
    out.rename(tmp_path / "collected.csv")  # the receiving system takes it
    [other_victim] = _mailable(cli, 1)
    sb.contact_unsubscribes(other_victim, "Moved away")
    proc = cli.run("export-optouts", "--since-last", "--out", str(out))
    assert proc.returncode == 0 and "Wrote 1 row " in proc.stdout, proc.stdout + proc.stderr
    assert "not yet collected" not in proc.stdout
    [row] = _rows(out)
    assert row["email"].lower() == _emails(cli, [other_victim])[0].lower()
    code, again = cli.run_json("export-optouts", "--since-last", "--out", str(out))
    assert code == 0 and again["rows"] == 0
    # Another file has its own memory: it gets the whole list.
    code, other = cli.run_json("export-optouts", "--since-last", "--out", str(tmp_path / "other.csv"))
    assert code == 0 and other["rows"] == len(unsubscribed) + 2 and "first export" in other["what"]

    # A file that holds the full Do Not Mail list is never replaced by a feed of the few new ones.
    full = tmp_path / "dnm-full.csv"
    code, whole = cli.run_json("export-optouts", "--out", str(full))
    assert code == 0 and whole["rows"] == len(unsubscribed) + 2
    before_full = full.read_bytes()
    [third] = _mailable(cli, 1)
    sb.contact_unsubscribes(third, "Moved away")
    proc = cli.run("export-optouts", "--since-last", "--out", str(full))
    assert proc.returncode == 1 and "holds the full Do Not Mail list" in proc.stderr, proc.stderr
    assert full.read_bytes() == before_full


def test_unsubscribe_dry_run_then_for_real_matches_the_preview_and_is_not_repeated(signed_in_cli: Cli,
                                                                                    tmp_path: Path) -> None:
    cli = signed_in_cli
    sb = cli.server.sandbox
    targets = _mailable(cli, 5)
    already = sb.contact_ids(status="unsubscribed")[:2]
    path = tmp_path / "crm.csv"
    lines = ["Name;E-Mail Address"] + [f"x; {e.upper()} " for e in _emails(cli, targets + already)]
    lines += ["dup;" + _emails(cli, targets)[0], "nobody;nobody@nowhere.example", "junk;not-an-address", ";"]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")

    code, dry = cli.run_json("unsubscribe", "--file", str(path), "--reason", "Asked by phone", "--dry-run")
    assert code == 0 and dry["dry_run"]
    assert dry["counts"] == {"rows": 10, "to_change": 5, "already": 2, "deleted": 0, "unknown": 1, "invalid": 1,
                             "duplicates": 1}
    assert sb.requests_matching("PUT") == 0, "a dry run sends nothing"

    report = tmp_path / "report.csv"
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "Asked by phone", "--asked-by", "contact",
                   "--report", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 to change, 2 already unsubscribed, 1 not in the account, 1 not valid" in proc.stdout
    assert "Result: 5 unsubscribed, 2 already, 1 unknown, 1 invalid, 1 duplicate." in proc.stdout
    for cid in targets:
        email = sb.contact_json(cid)["email_address"]
        assert email["permission_to_send"] == "unsubscribed" and email["opt_out_reason"] == "Asked by phone"
        assert email["opt_out_source"] == "Contact"
    # PUTs applied: a PUT refused with 429 by the sandbox's 1 s window and sent again is not a second write
    assert sum(1 for m, *_ in sb.applied_write_log if m == "PUT") == 5
    outcomes = [r["outcome"] for r in _rows(report)]  # one row per row of the file, in its order
    assert sorted(outcomes) == ["already", "already", "duplicate", "invalid", "unknown"] + ["unsubscribed"] * 5

    code, again = cli.run_json("unsubscribe", "--file", str(path), "--reason", "Asked by phone")
    assert code == 0 and again["counts"]["to_change"] == 0 and again["counts"]["already"] == 7
    applied = sum(1 for m, *_ in sb.applied_write_log if m == "PUT")
    assert applied == 5, "running the same file again sends nothing twice"


def test_remove_from_list_by_name(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    sb = cli.server.sandbox
    lst = sb.lists()[0]
    members = [c for c in sb.contact_ids(status="active") if lst["list_id"] in sb.contact_json(c)["list_memberships"]]
    path = tmp_path / "upgraded.txt"
    path.write_text("\n".join(_emails(cli, members[:4])) + "\n", encoding="utf-8")
    proc = cli.run("remove-from-list", "--list", lst["name"].upper(), "--file", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not an opt-out" in proc.stdout and "4 removed" in proc.stdout
    for cid in members[:4]:
        contact = sb.contact_json(cid)
        assert lst["list_id"] not in contact["list_memberships"]
        assert contact["email_address"]["permission_to_send"] != "unsubscribed"
    # Queued by this process: the lists it took them off are rows of the desk's file, which the window reads.
    assert removal_rows(cli.db) == {(cid, lst["list_id"]) for cid in members[:4]}

    unknown = cli.run("remove-from-list", "--list", "No Such List", "--file", str(path))
    assert unknown.returncode == 1 and "no list named 'No Such List'" in unknown.stderr
    assert lst["name"] in unknown.stderr


def test_bad_reason_is_refused_before_anything_happens(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    path = tmp_path / "a.txt"
    path.write_text(_emails(cli, _mailable(cli, 1))[0] + "\n", encoding="utf-8")
    cli.server.sandbox.reset_request_counts()
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "x" * 300)
    assert proc.returncode == 1 and "255" in proc.stderr and "Traceback" not in proc.stderr
    assert cli.server.sandbox.requests_matching() == 0
    empty = cli.run("unsubscribe", "--file", str(path), "--reason", "   ")
    assert empty.returncode == 1 and "reason" in empty.stderr


def test_unreadable_file_and_wrong_options(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    missing = cli.run("unsubscribe", "--file", str(tmp_path / "missing.csv"), "--reason", "x", "--no-sync")
    assert missing.returncode == 1 and "Could not read missing.csv" in missing.stderr
    usage = cli.run("export-optouts", "--since", "yesterday", "--out", str(tmp_path / "o.csv"))
    assert usage.returncode == 2 and "YYYY-MM-DD" in usage.stderr


def test_quota_exhausted_and_service_down_have_their_own_codes(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    cli.server.sandbox.faults.update({"error_next": 50, "error_status": 503})
    proc = cli.run("sync")
    assert proc.returncode == 6 and "again later" in proc.stderr, proc.stderr
    cli.server.sandbox.faults.reset()
    cli.server.sandbox.limiter.daily_quota = 1
    code, result = cli.run_json("sync")
    assert code == 4 and "00:00 UTC" in result["error"], result


@pytest.mark.slow  # ~12 s
def test_temporary_failures_leave_the_rest_queued_with_code_5_and_the_next_run_sends_it(signed_in_cli: Cli,
                                                                                       tmp_path: Path) -> None:
    cli = signed_in_cli
    sb = cli.server.sandbox
    path = tmp_path / "a.txt"
    targets = _address_file(cli, path, 3)
    sb.faults.update({"error_next": 1000, "error_status": 502, "only": "PUT /v3/contacts/"})
    code, result = cli.run_json("unsubscribe", "--file", str(path), "--reason", "Asked by email", "--wait", "1",
                                "--no-sync")
    assert code == 5 and result["outcomes"] == {"waiting": 3}, result
    assert all(sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed" for c in targets)
    sb.faults.reset()
    # The next run of any command that sends finds them queued and sends them; nothing is queued twice.
    code, result = cli.run_json("unsubscribe", "--file", str(path), "--reason", "Asked by email", "--no-sync")
    assert code == 0, result
    assert all(sb.contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed" for c in targets)


def test_progress_is_plain_lines_when_not_a_terminal(signed_in_cli: Cli) -> None:
    proc = signed_in_cli.run("sync")
    assert proc.returncode == 0
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    assert all(line[:4].isdigit() and "T" in line[:20] for line in proc.stderr.splitlines() if line), proc.stderr
    assert os.environ.get("DISPLAY") is None or "DISPLAY" not in signed_in_cli.env


@pytest.mark.slow  # ~12 s
def test_interrupted_halfway_then_run_again_sends_nothing_twice(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    sb = cli.server.sandbox
    path = tmp_path / "many.txt"
    targets = _address_file(cli, path, 16)
    # Ctrl+C about a third of the way through.
    proc, err = _ctrl_c_when(cli, lambda: sb.requests_matching("PUT") >= 5,
                             "unsubscribe", "--file", str(path), "--reason", "CRM", "--no-sync")
    assert proc.returncode == 130 and "stays queued" in err and "Traceback" not in err, err
    sent_first = sb.requests_matching("PUT")
    assert 5 <= sent_first < 16
    code, result = cli.run_json("unsubscribe", "--file", str(path), "--reason", "CRM", "--no-sync")
    assert code == 0, result
    assert all(sb.contact_json(c)["email_address"]["permission_to_send"] == "unsubscribed" for c in targets)
    # Writes the sandbox applied (a PUT refused with 429 by a new process's first second does not count).
    puts = Counter({key.split(" ", 1)[1]: n for key, n in sb.applied_writes.items() if key.startswith("PUT ")})
    assert set(puts) == {f"/v3/contacts/{c}" for c in targets}
    # At most the one PUT in flight at the interrupt is repeated (same body, same effect); nothing else twice.
    assert sum(puts.values()) <= 17 and max(puts.values()) <= 2, puts


def test_ctrl_c_during_a_sync_stops_it_and_the_next_sync_finishes(signed_in_cli: Cli) -> None:
    cli = signed_in_cli
    sb = cli.server.sandbox
    sb.faults.update({"latency_ms": 3_000, "only": "^GET /v3/contacts$"})
    proc, err = _ctrl_c_when(cli, lambda: sb.requests_matching("GET", "/v3/contacts") >= 1, "sync")
    assert proc.returncode == 130 and "Interrupted" in err and "Traceback" not in err, err
    sb.faults.reset()
    code, result = cli.run_json("sync")
    assert code == 0 and result["full_pull"] and result["contacts_read"] == len(sb.contact_ids("all"))


def test_a_reason_in_the_file_too_long_is_said_in_the_preview(signed_in_cli: Cli, tmp_path: Path) -> None:
    cli = signed_in_cli
    first, second = _emails(cli, _mailable(cli, 2, skip=20))
    path = tmp_path / "crm.csv"
    path.write_text(f"email,reason\n{first},{'w' * 300}\n{second},Asked at the counter\n", encoding="utf-8")
    proc = cli.run("unsubscribe", "--file", str(path), "--reason", "From the CRM", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "1 reason in the file (line 2) is longer than Constant Contact's 255 characters" in proc.stdout
    code, dry = cli.run_json("unsubscribe", "--file", str(path), "--reason", "From the CRM", "--dry-run")
    assert code == 0 and dry["reasons_shortened"] == [2]
