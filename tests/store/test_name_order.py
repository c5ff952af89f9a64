"""The in-memory name ranks give exactly the order SQL gives (sort_name, then id), also after contacts are
added, renamed or deleted by this or another connection, and after a rebuild."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ccdesk.store import name_order as name_order_module
from ccdesk.store import name_page
from ccdesk.store import search as search_module
from ccdesk.store.database import DeskDatabase
from tests.benchmarks import store_fill as bench

QUERIES = ["a", "ja", "son", "smith", "gmail", "corp", "lopez", "xyz-none", "jo gmail", "an", "e"]


def _reference(store: DeskDatabase, q: str, descending: bool, offset: int, limit: int) -> list[str]:
    """The same page through the SQL plans only (no ranks)."""
    rows = search_module.search(store.connection, q, None, None, "name", descending, offset, limit)
    return [r.contact_id for r in rows]


def _ranked(store: DeskDatabase, q: str, descending: bool, offset: int, limit: int) -> list[str]:
    return [r.contact_id for r in store.search(q, sort="name", descending=descending, offset=offset, limit=limit)]


def _same_everywhere(store: DeskDatabase) -> None:
    _same_everywhere_for(store, QUERIES)


def _same_everywhere_for(store: DeskDatabase, queries: list[str]) -> None:
    for q in queries:
        for descending in (False, True):
            for offset, limit in ((0, 200), (0, 7), (150, 60)):
                assert _ranked(store, q, descending, offset, limit) == _reference(store, q, descending, offset,
                                                                                  limit), (q, descending, offset)


@pytest.fixture
def filled(tmp_path: Path) -> DeskDatabase:
    store = DeskDatabase(tmp_path / "ranks.sqlite3")
    bench.fill(store, 3_000, seed=3)
    yield store
    store.close()


def test_ranked_pages_equal_the_sql_order(filled: DeskDatabase) -> None:
    _same_everywhere(filled)
    assert filled._name_order.builds == 1


def test_added_and_renamed_contacts_are_merged_without_a_rebuild(filled: DeskDatabase) -> None:
    _same_everywhere(filled)
    rng = random.Random(5)
    new = list(bench.synthetic_contacts(40, ["list-x"] * 5, seed=99))
    for i, c in enumerate(new):  # new contacts, some with names that sort first or last
        c["contact_id"] = f"00000000-0000-4000-8000-{i:012d}"
        c["last_name"] = rng.choice(["Aaron", "Zzyzx", "Smith", "Lopez"])
        c["email_address"]["address"] = f"new{i}@gmail.com"
    filled.upsert_contacts(new)
    renamed = [filled.get_contact(r.contact_id) for r in filled.search("smith", limit=30)]
    raws = []
    for row in renamed:
        assert row is not None and row.raw is not None
        raw = dict(row.raw)
        raw["last_name"] = "Aardvark"
        raw["updated_at"] = "2099-01-01T00:00:00Z"
        raws.append(raw)
    filled.upsert_contacts(raws)
    _same_everywhere(filled)
    assert filled._name_order.builds == 1, "a few changes are merged, not rebuilt"


def test_changes_by_another_connection_are_seen(filled: DeskDatabase, tmp_path: Path) -> None:
    reader = DeskDatabase(filled.path, recover=False)  # the window's connection; `filled` plays the sync's
    try:
        _same_everywhere(reader)
        extra = list(bench.synthetic_contacts(25, ["list-x"] * 5, seed=7))
        for i, c in enumerate(extra):
            c["contact_id"] = f"11111111-0000-4000-8000-{i:012d}"
            c["first_name"], c["last_name"] = "Ann", "Lopez"
        filled.upsert_contacts(extra)
        assert any(r.contact_id.startswith("11111111") for r in reader.search("lopez ann", limit=500))
        _same_everywhere(reader)
    finally:
        reader.close()


def test_many_changes_rebuild_the_ranks(filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_order_module, "REBUILD_AFTER", 10)
    _same_everywhere(filled)
    more = list(bench.synthetic_contacts(30, ["list-x"] * 5, seed=8))
    for i, c in enumerate(more):
        c["contact_id"] = f"22222222-0000-4000-8000-{i:012d}"
    filled.upsert_contacts(more)
    _same_everywhere(filled)
    assert filled._name_order.builds == 2


def test_too_many_matches_fall_back_to_the_index_walk(filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_page, "RANK_CAP", 50)
    ranked = name_page._ranked_page
    answers: list[bool] = []  # per ranked attempt: did the ranks give the page?

    def spy(*args: Any, **kw: Any) -> list[Any] | None:
        page = ranked(*args, **kw)
        answers.append(page is not None)
        return page

    monkeypatch.setattr(name_page, "_ranked_page", spy)
    _same_everywhere(filled)
    assert False in answers and True in answers  # both paths served pages, and both agreed with SQL


def test_every_plan_a_sample_chooses_gives_the_sql_page(filled: DeskDatabase,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds scaled to a 3,000-contact store so that each way of finding a text page in name order is taken:
    the ranks; the ranks given up after reading the matches; and the index walk straight away, without reading the
    matches, when the sample of the oldest contacts says the term is far too common (including a term common only
    among the newest contacts, which the sample misses: the plan is slower then, the page the same)."""
    monkeypatch.setattr(name_page, "RANK_CAP", 400)
    monkeypatch.setattr(name_page, "SAMPLE_EXPECTED", 100)
    late = list(bench.synthetic_contacts(600, ["list-x"] * 5, seed=21))
    for i, c in enumerate(late):  # a surname only the newest contacts have, sorting last
        c["contact_id"] = f"44444444-0000-4000-8000-{i:012d}"
        c["last_name"] = "Zzyzx"
    filled.upsert_contacts(late)
    taken: list[tuple[str, bool]] = []
    real = name_page._ranked_page

    def spy(conn: Any, f: Any, expression: str, *args: Any, **kw: Any) -> list[Any] | None:
        page = real(conn, f, expression, *args, **kw)
        taken.append((expression, page is not None))
        return page

    monkeypatch.setattr(name_page, "_ranked_page", spy)
    _same_everywhere(filled)
    for q in ("zzyzx", "zzz-none", "y"):  # common among the newest; no match at all; rare
        for descending in (False, True):
            assert _ranked(filled, q, descending, 0, 50) == _reference(filled, q, descending, 0, 50)
    read = {expression for expression, _ in taken}
    assert any(ok for _, ok in taken) and not all(ok for _, ok in taken)  # ranks used, and given up after reading
    assert '"gmail"' not in read and '"corp"' not in read  # the sample sent these straight to the walk
    assert ('"zzyzx"', False) in taken  # missed by the sample: read, found too many, walked


def test_a_term_common_only_among_the_oldest_is_read_from_its_matches(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample (the oldest contacts) calls a term common that is rare in the account: the capped count still
    drives its page from the matches instead of a walk through the whole name index. And after a first read that
    began again (the low rowids deleted), the sample starts at the lowest rowid that exists."""
    monkeypatch.setattr(name_page, "RANK_CAP", 400)
    monkeypatch.setattr(name_page, "SAMPLE_EXPECTED", 100)
    store = DeskDatabase(tmp_path / "skew.sqlite3")
    contacts = list(bench.synthetic_contacts(3_000, ["list-x"] * 5, seed=4))
    for c in contacts[:200]:  # the first import: one company, sorting after everyone (a walk would pass them all)
        c["company_name"] = "Quaxitronics"
        c["last_name"] = "Zzyzx"
    store.upsert_contacts(contacts)
    walked: list[str] = []
    real_source = search_module._source
    monkeypatch.setattr(search_module, "_source", lambda f, driver, index: (walked.append(driver), real_source(
        f, driver, index))[1])
    _same_everywhere_for(store, ["quaxitronics"])
    assert walked and set(walked) == {"fts"}  # never the name-index walk
    conn = store.connection
    sample = name_page._sample(conn, 3_000)
    assert sample is not None
    share = name_page._sample_count(conn, '"quaxitronics"', sample, 10**9) / sample[1]
    assert share * 3_000 > 400 * 1.25  # the sample calls it too common for the ranks
    store.connection.execute("DELETE FROM contacts WHERE id <= 1000")  # as a restarted first read's dedupe does
    sample = name_page._sample(conn, 2_000)
    assert sample is not None
    share = name_page._sample_count(conn, '"gmail"', sample, 10**9) / sample[1]
    assert 0.1 < share < 0.9  # measured on contacts that exist, not on an empty rowid range
    store.close()


def test_the_count_reuses_the_page_only_while_nothing_changed(filled: DeskDatabase) -> None:
    for q in QUERIES:
        filled.search(q, limit=200)
        assert filled.count(q, cap=10_000) == search_module.count(filled.connection, q, cap=10_000), q
    before = filled.count("lopez")
    extra = list(bench.synthetic_contacts(5, ["list-x"] * 5, seed=12))
    for i, c in enumerate(extra):
        c["contact_id"] = f"33333333-0000-4000-8000-{i:012d}"
        c["last_name"] = "Lopez"
    filled.upsert_contacts(extra)
    assert filled.count("lopez") == before + 5  # not the number remembered from before the change
    filled.search("lopez", limit=200)
    assert filled.count("lopez") == before + 5


def test_ranks_built_on_another_thread_are_adopted(filled: DeskDatabase) -> None:
    import threading

    from ccdesk.store.name_order import NameOrder

    built: list[NameOrder] = []
    worker = threading.Thread(target=lambda: built.append(NameOrder.built_from(str(filled.path))))
    worker.start()
    worker.join(30)
    filled.adopt_name_order(built[0])
    _same_everywhere(filled)
    assert filled._name_order is built[0] and built[0].builds == 1


def test_a_large_stores_stale_ranks_are_built_elsewhere_not_where_the_search_runs(
        filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a full read the ranks are all stale: the window's reader asks a worker for new ones and, until it
    adopts them, answers from the SQL plans (at 1M a rebuild in place stalled the first keystroke for 2 s)."""
    monkeypatch.setattr(name_order_module, "BUILD_HERE_MAX", 100)  # 3,000 contacts count as large here
    monkeypatch.setattr(name_order_module, "REBUILD_AFTER", 20)
    asked: list[int] = []
    can_start = [True]

    def start() -> bool:
        asked.append(1)
        return can_start[0]

    filled.build_ranks_elsewhere(start)
    _same_everywhere(filled)  # no ranks yet: every page from SQL, one build asked for per page ...
    assert filled._name_order.builds == 0 and len(asked) > 0

    from ccdesk.store.name_order import NameOrder

    filled.adopt_name_order(NameOrder.built_from(str(filled.path)))  # ... the worker's ranks arrive
    asked.clear()
    _same_everywhere(filled)
    assert asked == [] and filled._name_order.builds == 1

    renamed = list(bench.synthetic_contacts(40, ["list-x"] * 5, seed=99))  # more changes than merging is worth
    for i, c in enumerate(renamed):
        c["contact_id"] = f"44444444-0000-4000-8000-{i:012d}"
    filled.upsert_contacts(renamed)
    _same_everywhere(filled)
    assert len(asked) > 0 and filled._name_order.builds == 1  # still not built here, and the pages are right

    can_start[0] = False  # no worker to be had (no event loop): built where the search runs, as before
    _same_everywhere(filled)
    assert filled._name_order.builds == 2


def test_ranks_are_built_from_a_store_in_a_folder_whose_name_holds_a_hash(tmp_path: Path) -> None:
    """The worker opens the file read-only by URI: a '#' in "Team #2" once ended the path there, so SQLite opened
    (and created) "Team " read-write, and the build failed on an empty database."""
    from ccdesk.store.name_order import NameOrder

    folder = tmp_path / "Team #2 ?x=1 100%"
    folder.mkdir()
    with DeskDatabase(folder / "c.sqlite3") as store:
        bench.fill(store, 50, seed=4)
        built = NameOrder.built_from(str(store.path))
        assert built.builds == 1 and built.built_seq > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]
