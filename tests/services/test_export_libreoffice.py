"""Exports opened by a real spreadsheet (LibreOffice, headless): nothing from the data becomes a formula."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.export import OptOutExporter
from tests.db_helpers import on_file

from .test_export import LIST, contact

SOFFICE = shutil.which("soffice")
# CSV import options: comma, double quote, UTF-8, from line 1, ..., token 13 = evaluate formulas.
CSV_FILTER = "CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def to_xlsx_cells(csv_path: Path, work: Path) -> tuple[list[str], str]:
    """Convert with LibreOffice (UTF-8, comma, "evaluate formulas" on: the riskiest way a user can open it);
    return the formulas and the shared strings of the sheet."""
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{work}/profile",
                    f"--infilter={CSV_FILTER}", "--convert-to", "xlsx", "--outdir", str(work), str(csv_path)],
                   check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(work / (csv_path.stem + ".xlsx")) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    return re.findall(r"<f\b[^>]*>([^<]*)</f>", sheet), strings


async def test_no_formula_is_evaluated_from_exported_data(tmp_path: Path) -> None:
    store = DatabaseThread(tmp_path / "c.sqlite3")
    try:
        on_file(store, lambda s: s.upsert_lists([LIST]))
        rows = [contact(1, first='=HYPERLINK("http://evil","click")', reason="+1 555 0100"),
                contact(2, first="@SUM(A1)", reason="-2+3"), contact(3, first="=1+1")]
        on_file(store, lambda s: s.upsert_contacts(rows))
        out = tmp_path / "dnm.csv"
        await OptOutExporter(store).export_do_not_mail(out)
    finally:
        store.close()
    formulas, strings = to_xlsx_cells(out, tmp_path)
    assert formulas == []
    assert "HYPERLINK" in strings and "p1@example.com" in strings


def test_the_check_can_fail(tmp_path: Path) -> None:
    raw = tmp_path / "raw.csv"
    raw.write_text("email,first_name\r\na@example.com,=1+1\r\n", encoding="utf-8")
    formulas, _ = to_xlsx_cells(raw, tmp_path)
    assert formulas, "an un-neutralised cell should come out as a formula"
