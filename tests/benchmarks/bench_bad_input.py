"""Hostile and odd input (issue 14): how many distinct inputs the suites feed the commands and the window, how
many were mishandled, and what a paste of 5,000 addresses into the window's search box costs the GUI thread.

The inputs are the catalogue the tests parametrise over (tests/faults/hostile.py), judged by the same
functions, so the count is the suites' real inputs. The paste is timed in a child process with a real
MainWindow (offscreen), on a cache of `contacts` contacts, before and after the fix's limit (the "naive" figure
turns the limit off).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
Row = tuple[str, float | None, str, str, str]

PASTE_CHILD = textwrap.dedent(r"""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from ccdesk.api import CCClient, StaticTokenProvider
    from ccdesk.services.desk import Desk
    from ccdesk.store import search as search_module
    from ccdesk.store.database import DeskDatabase
    from ccdesk.ui.main_window import MainWindow
    from tests.faults.hostile import search_store
    db, n, naive = Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "naive"
    if naive:
        search_module.MAX_WORDS, search_module.MAX_QUERY_CHARS = 10**9, 10**9
    app = QApplication.instance() or QApplication([])
    search_store(db, n).close()
    desk = Desk(CCClient(StaticTokenProvider("unused"), base_url="http://127.0.0.1:9/v3"), db)
    window = MainWindow(desk, account="bench")
    window.show()
    end = time.perf_counter() + 1.0  # let the window warm its search up (its timer fires after 300 ms)
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)
    window.contacts.search_edit.setText(" ".join(f"person{i}@example.com" for i in range(5000)))
    t0 = time.perf_counter()
    window.contacts.apply_query()
    app.processEvents()
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "total": window.contacts.model.total}))
    os._exit(0)
""")


def _paste_ms(workdir: Path, contacts: int, mode: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", PASTE_CHILD, str(ROOT), str(workdir / f"paste-{mode}.sqlite3"),
                          str(contacts), mode], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_bad_input(contacts: int = 20_000, workdir: Path | None = None) -> list[Row]:
    sys.path.insert(0, str(ROOT))
    from tests.faults.hostile import catalogue, run_all

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp)
        items = catalogue()
        (folder / "catalogue").mkdir()
        outcome = run_all(folder / "catalogue", items)
        bad = {k: v for k, v in outcome.items() if v}
        kinds = sorted({e.kind for e in items})
        rows: list[Row] = [
            ("bad_inputs_tried", float(len(outcome)), "inputs", ">= 60",
             f"distinct entries of tests/faults/hostile.py ({', '.join(kinds)}), each also run by the tests"),
            ("bad_inputs_mishandled", float(len(bad)), "inputs", "0",
             "; ".join(f"{k}: {v}" for k, v in bad.items())[:300] or "hang, traceback, garbled text, link followed, "
             "mode changed, raw escape on the terminal: none"),
        ]
        fixed = _paste_ms(folder, contacts, "fixed")
        naive = _paste_ms(folder, contacts, "naive")
        rows.append(("paste_5000_addresses_gui_ms", fixed["ms"], "ms", "<= 100",
                     f"search box on the GUI thread, {contacts:,} contacts; naive (no word limit) "
                     f"{naive['ms']:,.0f} ms"))
    return rows


if __name__ == "__main__":
    for row in bench_bad_input(2_000):
        print(row)
