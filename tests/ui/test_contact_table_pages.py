"""The contact table holds only the pages near what the view shows (issue 17 item 3: a million contacts
scrolled end to end in a bounded amount of memory); with search text the count stops at COUNT_CAP and the
table grows as the view scrolls past it."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QTableView

from ccdesk.services.reads import ContactQuery, DeskReads
from ccdesk.store.rows import ContactRow, Status
from ccdesk.ui.contact_table import BATCH, COUNT_CAP, MAX_PAGES, ContactTableModel

N = 100_000


def _row(i: int) -> ContactRow:
    return ContactRow(f"id-{i}", f"p{i}@example.com", "P", str(i), None, None, Status.MAILABLE, "implicit", None,
                      None, None, None, None, None, None, None, None, None, datetime.now(UTC), (), True, None)


class FakeCache:
    def __init__(self) -> None:
        self.reads: list[int] = []

    def search(self, q: ContactQuery, offset: int, limit: int) -> list[ContactRow]:
        self.reads.append(offset)
        n = N if not q.text else 3 * COUNT_CAP
        order = range(n - 1, -1, -1) if q.descending else range(n)
        return [_row(i) for i in order[offset:offset + limit]]

    def count(self, q: ContactQuery, cap: int | None) -> int:
        n = N if not q.text else 3 * COUNT_CAP
        return n if cap is None else min(n, cap)

    first_page = DeskReads.first_page  # the real one, over the fake search and count


def test_scrolling_end_to_end_keeps_a_few_pages(qtbot) -> None:
    cache = FakeCache()
    model = ContactTableModel(cache)  # type: ignore[arg-type]  # the reads it uses: search and first_page
    model.set_query(ContactQuery())
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 400)
    view.show()
    assert model.rowCount() == N and not model.capped
    bar = view.verticalScrollBar()
    for value in range(0, bar.maximum() + 1, max(1, bar.maximum() // 300)):
        bar.setValue(value)
        view.viewport().grab()  # paints the rows in view, as the screen would
        assert model.pages_in_memory <= MAX_PAGES
    bar.setValue(bar.maximum())
    qtbot.wait(0)
    assert model.row(N - 1) is not None and model.row(N - 1).contact_id == f"id-{N - 1}"
    assert len(set(cache.reads)) > MAX_PAGES  # pages were dropped and read again as needed, never all kept
    assert max(cache.reads) <= N // 2  # the far half is read from its own end: no deep OFFSET
    assert [model.row(i).contact_id for i in range(N - 450, N)] == [f"id-{i}" for i in range(N - 450, N)]


def test_with_text_the_table_grows_past_the_capped_count(qtbot) -> None:
    cache = FakeCache()
    model = ContactTableModel(cache)  # type: ignore[arg-type]  # the reads it uses: search and first_page
    model.set_query(ContactQuery(text="p"))
    assert model.total == COUNT_CAP and model.capped and model.rowCount() == BATCH
    while model.rowCount() < COUNT_CAP + BATCH and model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == COUNT_CAP + BATCH and model.row(COUNT_CAP).contact_id == f"id-{COUNT_CAP}"
    assert model.pages_in_memory <= MAX_PAGES


def test_a_contact_deep_in_the_table_is_found_again_after_a_refresh(qtbot) -> None:
    cache = FakeCache()
    model = ContactTableModel(cache)  # type: ignore[arg-type]  # the reads it uses: search and first_page
    model.set_query(ContactQuery())
    assert model.row(70_123) is not None
    model.refresh()  # the cache changed (a sync page, an action): only the first page is read again at once
    assert model.row_of("id-70123") == 70_123
