"""Search per keystroke, timed as the window does it: through the desk's read service, the table's first page
(`BATCH` rows) and the match count (capped as the table caps it; not counted when the page holds every match).
Shared by the single-desk search benchmark (run.py) and the team
replica's (bench_team.py), so both figures mean the same thing."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from ccdesk.services.database_thread import DatabaseThread
from ccdesk.services.reads import ContactQuery, DeskReads
from ccdesk.ui.contact_table import BATCH, COUNT_CAP
from tests.benchmarks import store_fill as store_bench


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def queries(n: int, seed: int = 7) -> list[str]:
    """What people type: name prefixes, surnames, domains, companies."""
    rnd = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        kind = rnd.randrange(4)
        if kind == 0:
            name = rnd.choice(store_bench.FIRST)
            out.append(name[: rnd.randint(1, 4)].lower())
        elif kind == 1:
            out.append(rnd.choice(store_bench.LAST).lower())
        elif kind == 2:
            out.append(rnd.choice(["gmail", "yahoo", "corp1", "example", "outlook.com", "smith1"]))
        else:
            out.append(rnd.choice(store_bench.COMPANY).lower())
    return out


def time_keystroke(fn: Callable[[str], object], typed: list[str]) -> list[float]:
    """Milliseconds of fn(q) per query, after ten warming calls (the page cache)."""
    for q in typed[:10]:
        fn(q)
    times = []
    for q in typed:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def window_search_ms(path: Path, typed: list[str]) -> list[float]:
    """Per keystroke on the store at `path`, through DeskReads as the window reads it."""
    return window_search_ms_side_by_side([path], typed)[0]


def window_search_ms_side_by_side(paths: list[Path], typed: list[str]) -> list[list[float]]:
    """window_search_ms for several stores, keystroke by keystroke in turn, so a change in the machine's load
    weighs on each store alike (two stores measured one after the other differ by more than their speeds)."""
    opened = [(DatabaseThread(p), p) for p in paths]
    readers = [DeskReads(writer, p) for writer, p in opened]
    try:
        def keystroke(reads: DeskReads, q: str) -> None:
            reads.first_page(ContactQuery(q), BATCH, COUNT_CAP)  # what ContactTableModel.set_query reads

        for q in typed[:10]:  # warm each store's page cache and search ranks
            for reads in readers:
                keystroke(reads, q)
        times: list[list[float]] = [[] for _ in readers]
        for q in typed:
            for reads, out in zip(readers, times, strict=True):
                t0 = time.perf_counter()
                keystroke(reads, q)
                out.append((time.perf_counter() - t0) * 1000)
        return times
    finally:
        for reads in readers:
            reads.close()
        for writer, _ in opened:
            writer.close()
