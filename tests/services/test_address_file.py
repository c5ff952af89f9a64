"""Address files from other systems: encodings, headers, junk rows, duplicates, size."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccdesk.services.address_file import AddressFileError, read_address_file, unread_dates_note

ROWS = "Name,E-mail Address,Reason\r\nJosé Núñez,Jose@Example.com ,Asked by phone\r\n,,\r\nZoë,zoe@example.org,\r\n" \
       "Dup,JOSE@example.com,\r\nBad,not-an-email,\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_every_encoding_excel_writes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(ROWS.encode(encoding))
    result = read_address_file(path)
    assert [r.email for r in result.rows] == ["jose@example.com", "zoe@example.org"]
    assert result.rows[0].reason == "Asked by phone"
    assert result.duplicates == 1 and result.blank == 1
    assert result.invalid == [(6, "not-an-email")]
    assert result.column == "E-mail Address"


def test_plain_text_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("a@example.com\n\n  b@example.com  \nA@EXAMPLE.COM\n", encoding="utf-8")
    result = read_address_file(path)
    assert [r.email for r in result.rows] == ["a@example.com", "b@example.com"]
    assert result.rows[0].line == 1 and result.duplicates == 1


def test_semicolon_csv_from_european_excel(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("Nom;Courriel;Date\nA;a@example.fr;24.11.2026\n", encoding="cp1252")
    result = read_address_file(path)
    assert result.rows[0].email == "a@example.fr" and result.rows[0].received.day == 24


@pytest.mark.parametrize(("dates", "read", "unread"), [
    # a day above 12 first: the file writes day/month, so 03/04/2024 is 3 April
    (["13/04/2024", "03/04/2024"], [(2024, 4, 13), (2024, 4, 3)], []),
    # a day above 12 second: month/day, so 03/04/2024 is 4 March
    (["04/13/2024", "03/04/2024"], [(2024, 4, 13), (2024, 3, 4)], []),
    # nothing tells: not guessed, said
    (["03/04/2024", "2024-05-06"], [None, (2024, 5, 6)], [(2, "03/04/2024")]),
    # both orders in one file: not guessed either
    (["13/04/2024", "04/13/2024", "31.12.2025"], [None, None, (2025, 12, 31)], [(2, "13/04/2024"),
                                                                               (3, "04/13/2024")]),
    (["someday", ""], [None, None], [(2, "someday")]),
])
def test_received_dates_follow_the_files_own_order_or_are_said_unread(tmp_path: Path, dates: list[str], read,
                                                                      unread) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("email;date\n" + "".join(f"p{i}@example.com;{d}\n" for i, d in enumerate(dates)),
                    encoding="utf-8")
    result = read_address_file(path)
    got = [(r.received.year, r.received.month, r.received.day) if r.received else None for r in result.rows]
    assert got == read and result.unread_dates == unread
    if unread:
        note = unread_dates_note(result.unread_dates)
        assert f"line {unread[0][0]}: {unread[0][1]}" in note and "today's date" in note


def test_wrong_columns_and_empty_files_are_explained(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(AddressFileError, match="empty"):
        read_address_file(empty)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,amount\n1,20\n2,30\n", encoding="utf-8")
    with pytest.raises(AddressFileError, match="no column of email addresses \\(its columns: “id”, “amount”\\)"):
        read_address_file(wrong)


def test_the_address_column_is_found_when_no_header_names_it(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("\n\nName,Contact,Since\nAnn,ann@example.com,2020\nBob,bob@example.com,2021\nCy,n/a,2022\n",
                    encoding="utf-8")
    result = read_address_file(path)
    assert result.column == "Contact" and [r.email for r in result.rows] == ["ann@example.com", "bob@example.com"]
    assert result.invalid == [(6, "n/a")], "line numbers are the file's own (blank lines count)"


def test_hundred_thousand_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("email\n")
        for i in range(100_000):
            f.write(f"user{i}@example.com\n")
    result = read_address_file(path)
    assert len(result.rows) == 100_000 and result.rows[-1].line == 100_001


def test_a_quote_never_closed_says_which_addresses_it_took_in(tmp_path: Path) -> None:
    """A stray quote makes a CSV reader run the rows after it into one cell: those addresses were not read. The
    row says so (on the line the quote is on) instead of showing a garbled address or passing silently."""
    path = tmp_path / "crm.csv"
    path.write_text('email,reason\n"cschmidt1@yahoo.com,C\nspencer.randy2@yahoo.com,"S\nok@example.com,fine\n'
                    'ana@example.com,"Said: ""stop""\nand wrote twice"\n'
                    'bo@example.com,"Stray\nzoe@example.com,moved"\n'
                    'cy@example.com,"Forwarded by\nsupport@shop.example"\n', encoding="utf-8")
    f = read_address_file(path)
    assert [(r.line, r.email) for r in f.rows] == [(4, "ok@example.com"), (5, "ana@example.com"),
                                                   (9, "cy@example.com")]  # a note's address is not a row
    assert f.rows[1].reason == 'Said: "stop"\nand wrote twice'  # a quoted line break in a reason is fine
    lines = dict(f.invalid)
    assert set(lines) == {2, 7}
    assert "not closed" in lines[2] and "spencer.randy2@yahoo.com" in lines[2]
    assert "zoe@example.com" in lines[7]


@pytest.mark.parametrize("text", ['email\n"a@example.com\nb@example.com\nc@example.com\n',
                                  'email,reason\na@example.com,"asked\nb@example.com\nc@example.com\n'])
def test_a_quote_never_closed_before_the_end_in_a_file_of_one_column_or_ragged_rows(tmp_path: Path,
                                                                                      text: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    f = read_address_file(path)
    assert f.rows == [] and len(f.invalid) == 1
    assert "not closed" in f.invalid[0][1] and "b@example.com, c@example.com" in f.invalid[0][1]
