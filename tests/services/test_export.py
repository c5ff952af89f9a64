"""CSV exports: format (BOM, CRLF, quoting, ISO dates), formula neutralising, only-new mode, atomic writes."""

from __future__ import annotations

import csv
import errno
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccdesk.files import UnwritableTarget
from ccdesk.services.csv_writer import ExportCancelled, neutralise
from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.export import COLUMNS, OptOutExporter, export_evidence
from tests.db_helpers import on_file

LIST = {"list_id": "11111111-1111-1111-1111-111111111111", "name": "Newsletter"}
BASE = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def contact(i: int, *, unsubscribed: bool = True, first: str | None = None, reason: str = "Too many",
            when: datetime | None = None, deleted: bool = False) -> dict:
    email = {"address": f"p{i}@example.com", "permission_to_send": "unsubscribed" if unsubscribed else "explicit"}
    if unsubscribed:
        email.update(opt_out_source="Contact" if i % 2 else "Account", opt_out_reason=reason,
                     opt_out_date=(when or BASE + timedelta(hours=i)).isoformat())
    c = {"contact_id": f"00000000-0000-0000-0000-{i:012d}", "first_name": first or f"F{i}", "last_name": "L",
         "email_address": email, "created_at": BASE.isoformat(), "updated_at": BASE.isoformat(),
         "list_memberships": [LIST["list_id"]]}
    if deleted:
        c["deleted_at"] = "2026-06-01"
    return c


@pytest.fixture
def store(tmp_path: Path):
    st = DatabaseThread(tmp_path / "c.sqlite3")
    on_file(st, lambda s: s.upsert_lists([LIST]))
    rows = [contact(i) for i in range(5)] + [contact(5, unsubscribed=False), contact(6, deleted=True)]
    rows[1] = contact(1, first="=HYPERLINK(\"http://evil\",\"x\")", reason="+1 call me")
    rows[2] = contact(2, first="@SUM(A1)", reason="-2\nlines, \"quoted\"")
    on_file(st, lambda s: s.upsert_contacts(rows))
    yield st
    st.close()


def read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


async def test_do_not_mail_export_format(store: DatabaseThread, tmp_path: Path) -> None:
    out = tmp_path / "dnm.csv"
    result = await OptOutExporter(store).export_do_not_mail(out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read(out)
    assert rows[0] == list(COLUMNS)
    assert result.rows == len(rows) - 1 == 6, "every unsubscribed contact, the deleted one included"
    by_email = {r[0]: r for r in rows[1:]}
    assert by_email["p1@example.com"][1].startswith("'=HYPERLINK")
    assert by_email["p1@example.com"][6] == "'+1 call me"
    assert by_email["p2@example.com"][1] == "'@SUM(A1)"
    assert by_email["p2@example.com"][6] == "'-2\nlines, \"quoted\""
    assert datetime.fromisoformat(by_email["p3@example.com"][4]) == BASE + timedelta(hours=3)
    assert "+00:00" in by_email["p3@example.com"][4]
    assert by_email["p3@example.com"][7] == "Newsletter"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows[1:] for cell in r)


async def test_only_new_since_last_export_is_remembered_per_file(store: DatabaseThread, tmp_path: Path) -> None:
    exporter = OptOutExporter(store)
    feed, other = tmp_path / "crm-feed.csv", tmp_path / "other.csv"
    assert (await exporter.export_do_not_mail(feed, only_new=True)).rows == 6
    first = feed.read_bytes()
    nothing_new = await exporter.export_do_not_mail(feed, only_new=True)
    assert nothing_new.rows == 0 and nothing_new.kept
    assert feed.read_bytes() == first  # not replaced by an empty file: the rows may not have been collected yet
    feed.rename(tmp_path / "collected.csv")  # the receiving system takes the file
    later = BASE + timedelta(days=30)
    on_file(store, lambda s: s.upsert_contacts([contact(9, when=later)]))
    again = await exporter.export_do_not_mail(feed, only_new=True)
    assert again.rows == 1 and again.carried == 0 and read(feed)[1][0] == "p9@example.com"
    assert (await exporter.export_do_not_mail(other, only_new=True)).rows == 7


def _emails(path: Path) -> list[str]:
    return sorted(row[0] for row in read(path)[1:])


async def test_a_feed_file_nobody_collected_keeps_its_rows(store: DatabaseThread, tmp_path: Path) -> None:
    """The receiving system has not taken the last file yet: the next one holds its rows and the new ones, so
    replacing it loses nothing. Once the file is taken (moved, deleted or rewritten), only new rows follow."""
    exporter = OptOutExporter(store)
    feed = tmp_path / "feed.csv"
    await exporter.export_do_not_mail(feed, only_new=True)
    feed.rename(tmp_path / "taken-1.csv")
    on_file(store, lambda s: s.upsert_contacts([contact(20, when=BASE + timedelta(days=10))]))
    assert (await exporter.export_do_not_mail(feed, only_new=True)).rows == 1  # p20, not collected yet

    on_file(store, lambda s: s.upsert_contacts([contact(21, when=BASE + timedelta(days=11))]))
    both = await exporter.export_do_not_mail(feed, only_new=True)
    assert (both.rows, both.carried) == (2, 1) and _emails(feed) == ["p20@example.com", "p21@example.com"]
    nothing_new = await exporter.export_do_not_mail(feed, only_new=True)
    assert nothing_new.kept and _emails(feed) == ["p20@example.com", "p21@example.com"]

    feed.write_text("email\r\n")  # the receiving system emptied the file it read: collected
    on_file(store, lambda s: s.upsert_contacts([contact(22, when=BASE + timedelta(days=12))]))
    after = await exporter.export_do_not_mail(feed, only_new=True)
    assert (after.rows, after.carried) == (1, 0) and _emails(feed) == ["p22@example.com"]

    feed.unlink()  # taken away between two exports with nothing new: the next new one starts a file of its own
    on_file(store, lambda s: s.upsert_contacts([contact(23, when=BASE + timedelta(days=13))]))
    last = await exporter.export_do_not_mail(feed, only_new=True)
    assert (last.rows, last.carried) == (1, 0) and _emails(feed) == ["p23@example.com"]


async def test_an_uncollected_first_feed_file_is_the_whole_list_again(store: DatabaseThread,
                                                                       tmp_path: Path) -> None:
    exporter = OptOutExporter(store)
    feed = tmp_path / "feed.csv"
    assert (await exporter.export_do_not_mail(feed, only_new=True)).rows == 6  # the first time: every opt-out
    on_file(store, lambda s: s.upsert_contacts([contact(30, when=BASE + timedelta(days=5))]))
    again = await exporter.export_do_not_mail(feed, only_new=True)
    assert (again.rows, again.carried) == (7, 6) and "p30@example.com" in _emails(feed)


async def test_a_full_disk_leaves_no_file_and_says_what_to_do(store: DatabaseThread, tmp_path: Path,
                                                               monkeypatch) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("ccdesk.files.os.fsync", full)
    out = tmp_path / "dnm.csv"
    with pytest.raises(UnwritableTarget, match="No space left") as failed:
        await OptOutExporter(store).export_do_not_mail(out)
    assert str(failed.value).startswith("Could not write dnm.csv in ")  # the message as shown, no "[Errno 28]"
    assert list(tmp_path.glob("*.csv*")) == [] and not list(tmp_path.glob(".ccdesk-*"))


async def test_cancel_leaves_no_file(store: DatabaseThread, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ExportCancelled):
        await OptOutExporter(store).export_do_not_mail(tmp_path / "x.csv", cancel=cancel)
    assert not list(tmp_path.glob("x.csv*")) and not list(tmp_path.glob(".ccdesk-*"))


def test_evidence_for_one_contact(store: DatabaseThread, tmp_path: Path) -> None:
    row = on_file(store, lambda s: s.get_contact(contact(1)["contact_id"]))
    on_file(store, lambda s: s.add_audit("unsubscribe", "sent", contact_id=row.contact_id, message="=cmd|x"))
    journal = on_file(store, lambda s: s.journal(row.contact_id))
    out = tmp_path / "evidence.csv"
    assert export_evidence(out, row, journal) == 2
    rows = read(out)
    assert rows[1][0] == "record" and rows[2][0] == "journal" and rows[2][8] == "'=cmd|x"


def test_neutralise() -> None:
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "ok", "")] == \
        ["'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", ""]


def test_the_journal_export_marks_every_cell_a_spreadsheet_would_run(tmp_path: Path) -> None:
    """An address file can bring a reason that starts like a formula; the journal is read in a spreadsheet, so it
    is marked there. A valid address is never altered (issue 14: "+1-555@example.com" is data), an id is."""
    from ccdesk.services.export import export_journal
    from ccdesk.store.journal import JournalEntry

    entry = JournalEntry(1, BASE, "=cmd|' /C calc'!A0", "Front desk", "", "unsubscribe", "=c1",
                         "+1-555@example.com", "=HYPERLINK(\"http://x.example\")", "Contact", "2026-05-01", "sent",
                         BASE, "@SUM(1)")
    out = tmp_path / "journal.csv"
    assert export_journal(out, [entry]) == 1
    [row] = read(out)[1:]
    assert [cell for cell in row if cell.startswith(("=", "+", "-", "@"))] == ["+1-555@example.com"], row
    assert "'=c1" in row and "'=HYPERLINK(\"http://x.example\")" in row


async def test_a_feed_never_replaces_a_full_list(store: DatabaseThread, tmp_path: Path) -> None:
    from ccdesk.services.export import FeedWouldReplaceFullList

    exporter = OptOutExporter(store)
    full = tmp_path / "dnm.csv"
    assert (await exporter.export_do_not_mail(full)).rows == 6
    before = full.read_bytes()
    with pytest.raises(FeedWouldReplaceFullList, match="holds the full Do Not Mail list"):
        await exporter.export_do_not_mail(full, only_new=True)
    assert full.read_bytes() == before
    first = await exporter.export_do_not_mail(tmp_path / "feed.csv", only_new=True)
    assert first.first and first.rows == 6
    on_file(store, lambda s: s.upsert_contacts([contact(40, when=BASE + timedelta(days=3))]))
    (tmp_path / "feed.csv").unlink()
    later = await exporter.export_do_not_mail(tmp_path / "feed.csv", only_new=True)
    assert not later.first and later.rows == 1
