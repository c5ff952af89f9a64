"""WAL: a reader sees whole pages only, and never blocks on the writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ccdesk.store import DeskDatabase
from tests.store.conftest import make_contact

PAGES, PAGE = 30, 100


def test_reader_while_writer_writes(db_path: Path) -> None:
    DeskDatabase(db_path).close()
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            with DeskDatabase(db_path) as w:
                for p in range(PAGES):
                    page = [make_contact(p * PAGE + i + 1, first=f"W{p}") for i in range(PAGE)]
                    w.upsert_contacts(page, state={"page": str(p)})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    with DeskDatabase(db_path) as reader:
        thread.start()
        seen: list[int] = []
        while not done.is_set():
            with reader.snapshot():  # one snapshot: the count and the checkpoint must agree
                n = reader.count()
                cp = reader.get_state("page")
            assert n % PAGE == 0  # never half a page
            assert n == (0 if cp is None else (int(cp) + 1) * PAGE)
            seen.append(n)
            reader.search("w1", limit=50)
        thread.join()
        assert not errors, errors
        assert reader.count() == PAGES * PAGE
        assert len(set(seen)) >= 1


def test_two_writers_wait_instead_of_failing(db_path: Path) -> None:
    DeskDatabase(db_path).close()
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            with DeskDatabase(db_path) as s:
                for p in range(10):
                    s.upsert_contacts([make_contact(offset + p * 50 + i) for i in range(50)])
                    s.enqueue("unsubscribe", None, {}, actor="t")
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 10_000,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with DeskDatabase(db_path) as s:
        assert s.count() == 3 * 10 * 50
        assert len(s.pending()) == 30


def test_store_is_bound_to_its_thread(store: DeskDatabase) -> None:
    import sqlite3

    result: list[BaseException] = []
    t = threading.Thread(target=lambda: _try(store, result))
    t.start()
    t.join()
    assert result and isinstance(result[0], sqlite3.ProgrammingError)


def _try(store: DeskDatabase, out: list[BaseException]) -> None:
    try:
        store.count()
    except BaseException as exc:
        out.append(exc)


@pytest.mark.parametrize("n", [3000])
def test_bench_runs_small(tmp_path: Path, n: int) -> None:
    from tests.benchmarks import store_fill as bench

    with DeskDatabase(tmp_path / "b.sqlite3") as s:
        rate = bench.fill(s, n)
        assert rate > 0 and s.count() == n
        results = bench.run(s, runs=1)
        assert all(ms >= 0 for _, ms, _ in results)
