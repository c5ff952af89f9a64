"""Bad input gets a clear message and nothing is sent: reasons, selections and files, at the service layer and
over loopback to the sandbox (the dialogs' own checks are in tests/ui/test_dialogs.py and
tests/ui/test_bulk_file_dialog.py)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
import pytest_asyncio

from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.address_file import MAX_ADDRESSES, AddressFileError, read_address_file
from ccdesk.services.desk import Desk
from ccdesk.services.validation import InvalidInput
from tests.services.conftest import make_client


@pytest_asyncio.fixture(loop_scope="session")
async def desk_and_sandbox(start_sandbox, tmp_path: Path):  # type: ignore[no-untyped-def]
    server: SandboxServer = start_sandbox(contacts=200, seed=9)
    desk = Desk(make_client(server), tmp_path / "bad-input.sqlite3")
    await desk.sync.run()
    yield desk, server.sandbox
    await desk.close()


def _mailable(sb) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for c in sb.contact_ids(status="active")
            if sb.contact_json(c)["email_address"]["permission_to_send"] != "unsubscribed"]


@pytest.mark.parametrize(("reason", "words"), [
    ("x" * 256, "255"), ("Asked by \x1b[31mphone", "control character"), ("   \n\t ", "give a reason"),
])
async def test_bad_reasons_are_refused_and_nothing_is_sent(desk_and_sandbox, reason: str, words: str) -> None:  # type: ignore[no-untyped-def]
    desk, sb = desk_and_sandbox
    cid = _mailable(sb)[0]
    sb.reset_request_counts()
    with pytest.raises(InvalidInput, match=words) as caught:
        await desk.actions.unsubscribe([cid], reason, "Contact")
    assert "Traceback" not in caught.value.message
    assert await desk.db.call(lambda s: s.pending()) == []
    await desk.worker.drain()
    assert sb.requests_matching() == 0


async def test_rtl_emoji_and_joiners_reach_the_service_intact(desk_and_sandbox) -> None:  # type: ignore[no-untyped-def]
    desk, sb = desk_and_sandbox
    cid = _mailable(sb)[0]
    reason = "طلب عبر الهاتف 📞 — שלום 👩‍👩‍👧 \u200fok"
    await desk.actions.unsubscribe([cid], reason, "Contact")
    await desk.worker.drain()
    assert sb.contact_json(cid)["email_address"]["opt_out_reason"] == reason


async def test_an_empty_selection_is_refused(desk_and_sandbox) -> None:  # type: ignore[no-untyped-def]
    desk, sb = desk_and_sandbox
    for attempt in (desk.actions.unsubscribe([], "Asked by phone", "Contact"),
                    desk.actions.remove_from_lists([], [sb.lists()[0]["list_id"]]),
                    desk.actions.remove_from_lists([_mailable(sb)[0]], [])):
        with pytest.raises(InvalidInput, match=r"No contact is selected|Choose at least one list"):
            await attempt


def test_files_that_cannot_be_used_say_why(tmp_path: Path) -> None:
    xlsx = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    binary = tmp_path / "image.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    wrong = tmp_path / "wrong-columns.csv"
    wrong.write_text("Name,Phone\nAnn,555-0100\n", encoding="utf-8")
    cases = {xlsx: "Excel workbook", binary: "binary file", wrong: "no column of email addresses",
             tmp_path / "missing.csv": "Could not read"}
    for path, words in cases.items():
        with pytest.raises(AddressFileError, match=words) as caught:
            read_address_file(path)
        assert path.name in caught.value.message and "Traceback" not in caught.value.message


def test_wrong_encoding_is_still_read(tmp_path: Path) -> None:
    """Windows-1252 bytes (as Excel's "CSV" writes them in Western Europe) are not UTF-8: read as what they are."""
    path = tmp_path / "latin.csv"
    path.write_bytes("email,name\r\njose@example.com,José Müller\r\nbad-address,Zoë\r\n".encode("cp1252"))
    result = read_address_file(path)
    assert result.encoding == "cp1252" and [r.email for r in result.rows] == ["jose@example.com"]
    assert result.invalid == [(3, "bad-address")]


@pytest.mark.slow  # writes a 1,000,000-line file
def test_a_million_rows_are_refused_quickly_with_a_way_out(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("email\n")
        f.writelines(f"person{i}@example.com\n" for i in range(1_000_000))
    started = time.monotonic()
    with pytest.raises(AddressFileError, match=f"more than {MAX_ADDRESSES:,} addresses. Split it"):
        read_address_file(path)
    assert time.monotonic() - started < 60  # stops at the limit instead of reading everything (generous bound)
