"""Several ccdesk processes on one desk at the real 4 requests/second limit: a window-like process (its first
sync is the full pull), `ccdesk unsubscribe` of N addresses and `ccdesk export-optouts`, started together.

    multiprocess_429_seen             429s the sandbox sent them (goal 0: they share one budget)
    multiprocess_fraction_of_ceiling  their combined request rate / 4 per second, first to last arrival
    multiprocess_budget_slot_ms       what one slot costs in the shared budget file (take + date it), p50
    multiprocess_429_seen_naive       the same with a budget per process (as before): the baseline
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from ccdesk.api.shared_budget import SharedBudget
from tests.multiprocess.world import desk_world, keyring_bus

Row = tuple[str, float | None, str, str, str]


async def _slot_cost(path: Path, n: int) -> list[float]:
    limiter = SharedBudget("bench-key", path, rate=1_000_000)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        async with limiter.slot():
            pass
        times.append((time.perf_counter() - t0) * 1000)
    limiter.close()
    return times


def _three_at_once(workdir: Path, bus: str, addresses: int, contacts: int, *, shared: bool
                   ) -> tuple[int, float, int, list[int | None]]:
    """(429s, combined requests/s, requests, exit codes). Without `shared` each process gets a budget file of
    its own (what every process did before the desk-wide budget): the naive baseline."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, desk_world(Path(tmp) / "home", bus,
                                                                       contacts=contacts) as world:
        sb = world.server.sandbox
        file = Path(tmp) / "addresses.csv"
        file.write_text("email\n" + "".join(f"{a}\n" for a in world.addresses(addresses)), encoding="utf-8")
        sb.reset_request_counts()
        commands = [("tests.multiprocess.desk_child", "window"),
                    ("ccdesk", "unsubscribe", "--file", str(file), "--reason", "Asked by phone", "--json"),
                    ("ccdesk", "export-optouts", "--out", str(Path(tmp) / "dnm.csv"), "--json")]
        procs = [world.start(*args) if shared else world.start_as_other_desk(Path(tmp) / f"budget-{i}", *args)
                 for i, args in enumerate(commands)]
        for proc in (*procs[1:], procs[0]):  # the window stays open until the commands are done, as a window does
            proc.communicate(timeout=1800)
        arrivals = sorted(sb.arrivals)
        throttled = sb.refused["throttled"]
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return throttled, rate, len(arrivals), [proc.returncode for proc in procs]


def bench_multiprocess_budget(addresses: int, contacts: int, workdir: Path, *, baseline: bool = True) -> list[Row]:
    import asyncio

    slot_ms = statistics.median(asyncio.run(_slot_cost(workdir / "slot-budget.sqlite3", 500)))
    with keyring_bus() as bus:
        throttled, rate, n, codes = _three_at_once(workdir, bus, addresses, contacts, shared=True)
        naive = _three_at_once(workdir, bus, addresses, contacts, shared=False) if baseline else None
    note = f"window-like sync of {contacts:,} + unsubscribe {addresses} + export; {n} requests; exit codes {codes}"
    rows: list[Row] = [
        ("multiprocess_429_seen", float(throttled), "429s", "0", note),
        ("multiprocess_fraction_of_ceiling", rate / 4.0, "", ">= 0.9", f"{rate:.2f} requests/s together"),
        ("multiprocess_budget_slot_ms", slot_ms, "ms", "", "one request's slot in the shared SQLite budget file"),
    ]
    if naive is not None:
        rows.append(("multiprocess_429_seen_naive", float(naive[0]), "429s", "",
                     f"baseline: a budget per process; {naive[1]:.2f} requests/s, exit codes {naive[3]}"))
    return rows
