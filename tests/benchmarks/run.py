"""Every ccdesk benchmark in one command, each beside a naive baseline measured in the same run.

    python tests/benchmarks/run.py [--quick] [--json PATH] [--only NAME ...] [--selftest]

Prints a table and, with --json, writes every figure as one flat JSON object under the key names the issues
use. A benchmark that fails is reported (value null, note "error: ...") without stopping the others. Timings
are wall-clock on this machine; they are figures to compare, not assertions (the test suite has none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ccdesk.api import CCClient, RateLimiter, RetryPolicy, StaticTokenProvider  # noqa: E402
from ccdesk.sandbox.app import SandboxConfig  # noqa: E402
from ccdesk.sandbox.server import SandboxServer  # noqa: E402
from ccdesk.services.cache_pull import CachePull  # noqa: E402
from ccdesk.services.database_thread import DatabaseThread  # noqa: E402
from ccdesk.store.database import DeskDatabase  # noqa: E402
from ccdesk.ui.contact_table import BATCH, COUNT_CAP  # noqa: E402
from tests.benchmarks import store_fill as store_bench  # noqa: E402
from tests.benchmarks.bench_bad_input import bench_bad_input  # noqa: E402
from tests.benchmarks.bench_bulk_speed import bench_bulk_speed  # noqa: E402
from tests.benchmarks.bench_multiprocess_auth import bench_multiprocess_auth  # noqa: E402
from tests.benchmarks.bench_multiprocess_budget import bench_multiprocess_budget  # noqa: E402
from tests.benchmarks.bench_reconcile import bench_reconcile  # noqa: E402
from tests.benchmarks.bench_team import bench_team  # noqa: E402
from tests.benchmarks.search_timing import percentile, time_keystroke, window_search_ms  # noqa: E402
from tests.benchmarks.search_timing import queries as typed_queries  # noqa: E402

TOKEN = "bench-token"
Row = tuple[str, float | None, str, str, str]  # key, value, unit, goal, note


def _naive_like(conn: sqlite3.Connection, q: str) -> None:
    like = f"%{q}%"
    where = "email LIKE ? OR first_name LIKE ? OR last_name LIKE ? OR company LIKE ?"
    conn.execute(f"SELECT * FROM contacts WHERE {where} ORDER BY last_name LIMIT 200", [like] * 4).fetchall()
    conn.execute(f"SELECT count(*) FROM contacts WHERE {where}", [like] * 4).fetchone()


def bench_search(n: int, label: str, workdir: Path, n_queries: int) -> list[Row]:
    path = workdir / f"search-{n}.sqlite3"
    with DeskDatabase(path) as store:
        fill_rate = store_bench.fill(store, n)
        queries = typed_queries(n_queries)
        naive = time_keystroke(lambda q: _naive_like(store.connection, q), queries[: max(20, n_queries // 5)])
    times = window_search_ms(path, queries)  # what the table does per keystroke, as the window does it
    rows: list[Row] = [
        (f"search_p50_ms_{label}", statistics.median(times), "ms", "",
         f"{n_queries} keystrokes: first page of {BATCH} + count capped at {COUNT_CAP:,} (none if not full)"),
        (f"search_p95_ms_{label}", percentile(times, 0.95), "ms", "<= 20 at 1m" if label == "1m" else "", ""),
        (f"search_naive_like_p95_ms_{label}", percentile(naive, 0.95), "ms", "", "baseline: LIKE '%q%' scan"),
    ]
    if label != "1m":  # the 1M fill figure is bench_bulk_speed's (issue 17)
        rows.append((f"store_fill_rows_per_s_{label}", fill_rate, "rows/s", "", "upsert pages of 500 with FTS"))
    return rows


# --- pull over loopback ---------------------------------------------------------------------------------------

def _server(contacts: int, rate_limit: float) -> SandboxServer:
    return SandboxServer(SandboxConfig(contacts=contacts, seed=3, rate_limit=rate_limit, tokens=[TOKEN],
                                       daily_quota=0)).start()


async def _pull(server: SandboxServer, db: Path, rate: float) -> float:
    store = DatabaseThread(db)
    client = CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(rate),
                      retry=RetryPolicy(attempts=5))
    try:
        t0 = time.perf_counter()
        result = await CachePull(store, client).run()
        return result.contacts / (time.perf_counter() - t0)
    finally:
        await client.aclose()
        store.close()


async def _naive_pull(server: SandboxServer) -> float:
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}"}
    n = 0
    t0 = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        url: str | None = f"{server.api_base}/contacts?status=all&include=list_memberships&limit=500"
        while url:
            body = (await http.get(url)).json()
            n += len(body["contacts"])
            nxt = body.get("_links", {}).get("next", {}).get("href")
            url = f"{server.base_url}{nxt}" if nxt else None
    return n / (time.perf_counter() - t0)


def bench_pull(n_unthrottled: int, n_throttled: int, workdir: Path) -> list[Row]:
    server = _server(n_unthrottled, 0)
    try:
        rate = asyncio.run(_pull(server, workdir / "pull.sqlite3", 0))
        naive = asyncio.run(_naive_pull(server))
    finally:
        server.stop()
    throttled = _server(n_throttled, 4)
    try:
        real = asyncio.run(_pull(throttled, workdir / "pull4.sqlite3", 4))
    finally:
        throttled.stop()
    return [
        ("pull_contacts_per_s_unthrottled", rate, "contacts/s", "", f"{n_unthrottled:,} contacts, rate limit off"),
        ("naive_pull_contacts_per_s", naive, "contacts/s", "", "baseline: sequential httpx, no store"),
        ("pull_fraction_of_ceiling", real / 2000, "fraction", ">= 0.95",
         f"{n_throttled:,} contacts at 4 req/s: {real:,.0f}/s of 2,000/s"),
    ]


# --- incremental sync -----------------------------------------------------------------------------------------

async def _incremental(n: int, workdir: Path) -> tuple[float, int]:
    import httpx

    from ccdesk.services.sync import SyncEngine

    server = _server(n, 0)
    store = DatabaseThread(workdir / "sync.sqlite3")
    client = CCClient(StaticTokenProvider(TOKEN), base_url=server.api_base, rate_limiter=RateLimiter(0))
    try:
        engine = SyncEngine(store, client)
        await engine.run()  # the first full pull
        sb = server.sandbox
        alive = sb.contact_ids(status="active")
        rnd = random.Random(5)
        picks = rnd.sample(alive, min(len(alive), n * 4 // 100))
        optouts, changes = picks[: len(picks) // 2], picks[len(picks) // 2:]
        for cid in optouts:
            sb.contact_unsubscribes(cid, "benchmark")
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for cid in changes:
                c = sb.contact_json(cid)
                body = {"email_address": {"address": c["email_address"]["address"]}, "first_name": "Changed",
                        "last_name": c.get("last_name"), "update_source": "Account"}
                (await http.put(f"{server.api_base}/contacts/{cid}", json=body)).raise_for_status()
        t0 = time.perf_counter()
        result = await engine.run()
        return time.perf_counter() - t0, len(result.new_optouts)
    finally:
        await client.aclose()
        store.close()
        server.stop()


def bench_incremental(n: int, workdir: Path) -> list[Row]:
    seconds, found = asyncio.run(_incremental(n, workdir))
    return [("incremental_sync_s_100k", seconds, "s", "",
             f"{n:,} cached, 2% new opt-outs ({found:,} found) + 2% other changes, rate limit off")]


# --- GUI responsiveness and export: each in a child process (Qt, and a clean peak-RSS reading) -----------------

# What both window benchmarks share: the window on a cache, the service in its own process (as the real one
# is: an in-process server would compete with the window for the GIL and measure the emulator, not ccdesk), and
# a 5 ms heartbeat timer whose gaps are the stalls. argv: ROOT, contacts, database, then each script's own.
WINDOW_CHILD = textwrap.dedent(r"""
    import asyncio, os, re, subprocess, sys, time, json
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    import qasync
    from ccdesk.api import CCClient, RateLimiter, StaticTokenProvider
    from ccdesk.services.desk import Desk
    from ccdesk.store.database import DeskDatabase
    from ccdesk.ui.main_window import MainWindow
    n, db = int(sys.argv[2]), sys.argv[3]
    app = QApplication([])
    loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
    server = subprocess.Popen([sys.executable, "-m", "ccdesk.sandbox", "--contacts", str(n), "--rate-limit", "0",
                               "--daily-quota", "0", "--token", "t"], stdout=subprocess.PIPE, text=True,
                              cwd=sys.argv[1])
    api_base = re.search(r"(http://\S+/v3)", server.stdout.readline()).group(1)
    desk = Desk(CCClient(StaticTokenProvider("t"), base_url=api_base, rate_limiter=RateLimiter(0)), db)
    reader = DeskDatabase(db)
    window = MainWindow(desk); window.show()
    gaps, last = [], [time.perf_counter()]
    def beat():
        now = time.perf_counter(); gaps.append((now - last[0]) * 1000); last[0] = now
    timer = QTimer(); timer.setInterval(5); timer.timeout.connect(beat)
    def run_and_close(coro):
        with loop:
            result = loop.run_until_complete(coro)
            window.shutdown(); loop.run_until_complete(desk.close()); reader.close(); server.terminate()
        return result
""")

GUI_STALL = WINDOW_CHILD + textwrap.dedent(r"""
    async def main():
        timer.start(); last[0] = time.perf_counter()
        await desk.sync.run()
        timer.stop()
    run_and_close(main())
    print(json.dumps({"max_gap_ms": max(gaps), "p99_gap_ms": sorted(gaps)[int(len(gaps) * 0.99)]}))
""")

BULK_PREVIEW = WINDOW_CHILD + textwrap.dedent(r"""
    from ccdesk.ui.bulk_file_dialog import BulkMode
    rows, file = int(sys.argv[4]), Path(sys.argv[5])
    async def main():
        await desk.sync.run()
        emails = [r.email for r in reader.search("", limit=rows // 2)]
        file.write_text("Email\r\n" + "".join(f"{e}\r\n" for e in emails)
                        + "".join(f"nobody{i}@nowhere.example\r\n" for i in range(rows - len(emails))),
                        encoding="utf-16")
        await asyncio.sleep(0.5)
        timer.start(); last[0] = t0 = time.perf_counter()
        dialog = window.actions_part.open_bulk_file(BulkMode.UNSUBSCRIBE, file)
        while dialog.stage != "preview" and dialog.error is None:
            await asyncio.sleep(0.01)
        seconds = time.perf_counter() - t0
        await asyncio.sleep(0.2)
        timer.stop()
        dialog.reject()
        return seconds, dialog.summary_label.text()
    seconds, summary = run_and_close(main())
    print(json.dumps({"seconds": seconds, "max_gap_ms": max(gaps), "summary": summary}))
""")

EXPORT = textwrap.dedent("""
    import asyncio, json, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from ccdesk.services.export import OptOutExporter
    from ccdesk.services.database_thread import DatabaseThread
    store = DatabaseThread(sys.argv[2])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    result = asyncio.run(OptOutExporter(store).export_do_not_mail(Path(sys.argv[3])))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    print(json.dumps({"rows": result.rows, "rows_per_s": result.rows / seconds, "peak_mb": peak,
                      "before_mb": base}))
""")


def _child(script: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", script, str(ROOT), *args], capture_output=True, text=True,
                         timeout=1800, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_gui(n: int, workdir: Path) -> list[Row]:
    figures = _child(GUI_STALL, str(n), str(workdir / "gui.sqlite3"))
    return [("gui_max_stall_ms", figures["max_gap_ms"], "ms", "<= 50",
             f"5 ms heartbeat while the window syncs {n:,} contacts; p99 gap {figures['p99_gap_ms']:.1f} ms")]


def bench_bulk_preview(rows: int, workdir: Path) -> list[Row]:
    figures = _child(BULK_PREVIEW, str(rows), str(workdir / "bulk.sqlite3"), str(rows), str(workdir / "bulk.csv"))
    return [("bulk_preview_10k_s", figures["seconds"], "s", "",
             f"{rows:,}-row UTF-16 file read and matched in the window: {figures['summary']}"),
            ("bulk_preview_max_stall_ms", figures["max_gap_ms"], "ms", "<= 50", "5 ms heartbeat meanwhile")]


def bench_export(n: int, workdir: Path) -> list[Row]:
    path = workdir / f"export-{n}.sqlite3"
    with DeskDatabase(path) as store:
        store_bench.fill(store, n, seed=11)
        store.connection.execute("UPDATE contacts SET permission_to_send = 'unsubscribed', status = 'unsubscribed', "
                                 "opt_out_date = coalesce(opt_out_date, created_at), opt_out_source = 'Contact'")
    figures = _child(EXPORT, str(path), str(workdir / "dnm.csv"))
    label = "1m" if n == 1_000_000 else f"{n // 1000}k"
    note = f"{figures['rows']:,} rows; process held {figures['before_mb']:.0f} MB before the export"
    return [("export_rows_per_s_1m", figures["rows_per_s"],
             "rows/s", "", note + ("" if label == "1m" else f" (--quick: {label} rows)")),
            ("export_peak_rss_mb", figures["peak_mb"], "MB", "", "peak resident memory of the exporting process")]


# --- robustness: fault injection, property-based round trips, tokens on disk -----------------------------------

def bench_faults(runs_per_kind: int, only: list[str] | None) -> list[Row]:
    from tests.faults.figures import figures, run_all
    from tests.faults.harness import KINDS, naive_lost, print_table

    results = asyncio.run(run_all(runs_per_kind, only=only))
    f = figures(results)
    print_table(f["table"])

    async def baseline() -> tuple[int, int]:
        runs = [(name, seed) for seed in range(1, runs_per_kind + 1) for name in KINDS if only is None or name in only]
        return sum([await naive_lost(name, seed) for name, seed in runs]), 8 * len(runs)

    naive, naive_sent = asyncio.run(baseline())
    note = f"{f['faults_survived']}/{f['faults_runs']} runs survived; cache mismatches {f['faults_cache_mismatches']}"
    return [("faults_kinds", f["faults_kinds"], "kinds", "", "network, service, auth, process and disk faults"),
            ("faults_runs", f["faults_runs"], "runs", "", note),
            ("faults_lost_actions", f["faults_lost_actions"], "actions", "0", "queued actions not applied"),
            ("faults_duplicated_actions", f["faults_duplicated_actions"], "actions", "0",
             "writes applied twice with different bodies"),
            ("faults_naive_lost_actions", naive, "actions", "",
             f"baseline: of {naive_sent} unsubscribes sent by a plain GET+PUT loop under the same network faults")]


TOKEN_SCAN = textwrap.dedent("""
    import asyncio, json, sys
    sys.path.insert(0, sys.argv[1])
    from tests.test_no_tokens_on_disk import full_session_scan
    scan = asyncio.run(full_session_scan())
    print(json.dumps({"found": len(scan.found), "files": len(scan.files), "secrets": scan.secrets}))
""")


def bench_tokens(workdir: Path) -> list[Row]:
    home = workdir / "token-scan-home"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache")):
        env[var] = str(home / sub)
    out = subprocess.run([sys.executable, "-c", TOKEN_SCAN, str(ROOT)], capture_output=True, text=True,
                         timeout=600, check=True, env=env)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return [("tokens_found_on_disk", figures["found"], "tokens", "0",
             f"{figures['secrets']} tokens of a full session looked for in {figures['files']} files")]


def bench_property(examples: int) -> list[Row]:
    from tests.property.runner import run_property_suite

    t0 = time.perf_counter()
    f = run_property_suite(examples)
    return [("property_examples", f["property_examples"], "examples", ">= 1000",
             f"generated contacts through unsubscribe, removal, resubscribe ({time.perf_counter() - t0:.0f} s)"),
            ("property_fields_lost", f["property_fields_lost"], "fields", "0",
             "fields the action does not own that changed on the sandbox")]


# --- the installed package (when .ci/package or packaging/build-deb.sh has built one) --------------------------

def bench_package() -> list[Row]:
    """Installer size from dist/*.deb; installed size and cold start as .ci/package measured them."""
    debs = sorted((ROOT / "dist").glob("ccdesk_*.deb"))
    figures_file = ROOT / "dist" / "package-figures.json"
    if not debs:
        return [(key, None, unit, goal, "no built package (run bash .ci/package)")
                for key, unit, goal in (("installer_mb", "MB", ""), ("installed_mb", "MB", ""),
                                        ("cold_start_s", "s", "<= 1.5"))]
    measured = json.loads(figures_file.read_text()) if figures_file.exists() else {}
    return [("installer_mb", debs[-1].stat().st_size / 1e6, "MB", "", debs[-1].name),
            ("installed_mb", measured.get("installed_mb"), "MB", "", "/opt/ccdesk as installed by .ci/package"),
            ("cold_start_s", measured.get("cold_start_s"), "s", "<= 1.5",
             "launch to main window (demo), installed package, offscreen")]


# --- driver ----------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller sizes; a few minutes on 2 cores")
    p.add_argument("--selftest", action="store_true", help="tiny sizes: checks the script, not the speed")
    p.add_argument("--json", type=Path, help="write every figure to this JSON file")
    p.add_argument("--only", nargs="*", help="run only these benchmarks (search, pull, sync, gui, export, "
                   "bulk, faults, property, reconcile, security, package, multiprocess, bulk_speed)")
    args = p.parse_args(argv)
    tiny, quick = args.selftest, args.quick or args.selftest
    sizes = {
        "search_100k": 2_000 if tiny else 100_000,
        "search_1m": None if quick else 1_000_000,
        "pull": 2_000 if tiny else 20_000 if quick else 100_000,
        "pull4": 2_000 if tiny else 20_000 if quick else 100_000,
        "sync": 2_000 if tiny else 20_000 if quick else 100_000,
        "gui": 2_000 if tiny else 20_000 if quick else 100_000,
        "export": 2_000 if tiny else 100_000 if quick else 1_000_000,
        "queries": 20 if tiny else 200,
        "fault_runs": 1 if quick else 5,
        "bulk": 1_000 if tiny else 10_000,
        "property": 30 if tiny else 300 if quick else 1_200,
        "reconcile": 2_000 if tiny else 20_000 if quick else 100_000,
    }
    fault_kinds = ["503", "dropped after handling", "killed mid action (SIGKILL)"] if tiny else None
    mode = "selftest" if tiny else "quick" if quick else "full"
    print(f"ccdesk benchmarks — {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, {mode}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ccdesk-bench-") as tmp:
        work = Path(tmp)
        plan: list[tuple[str, Callable[[], list[Row]], list[str]]] = [
            ("search", lambda: bench_search(sizes["search_100k"], "100k", work, sizes["queries"]),
             ["search_p50_ms_100k", "search_p95_ms_100k"]),
            ("search", lambda: bench_search(sizes["search_1m"], "1m", work, sizes["queries"])
             if sizes["search_1m"] else [("search_p95_ms_1m", None, "ms", "<= 20", "skipped (--quick)")],
             ["search_p95_ms_1m"]),
            ("pull", lambda: bench_pull(sizes["pull"], sizes["pull4"], work),
             ["pull_contacts_per_s_unthrottled", "naive_pull_contacts_per_s", "pull_fraction_of_ceiling"]),
            ("sync", lambda: bench_incremental(sizes["sync"], work), ["incremental_sync_s_100k"]),
            ("gui", lambda: bench_gui(sizes["gui"], work), ["gui_max_stall_ms"]),
            ("export", lambda: bench_export(sizes["export"], work), ["export_rows_per_s_1m", "export_peak_rss_mb"]),
            ("bulk", lambda: bench_bulk_preview(sizes["bulk"], work), ["bulk_preview_10k_s",
                                                                        "bulk_preview_max_stall_ms"]),
            ("faults", lambda: bench_faults(sizes["fault_runs"], fault_kinds),
             ["faults_kinds", "faults_runs", "faults_lost_actions", "faults_duplicated_actions"]),
            ("property", lambda: bench_property(sizes["property"]), ["property_examples", "property_fields_lost"]),
            ("reconcile", lambda: bench_reconcile(sizes["reconcile"]),
             ["reconcile_requests_100k", "reconcile_stale_contacts"]),
            ("security", lambda: bench_tokens(work), ["tokens_found_on_disk"]),
            ("package", bench_package, ["installer_mb", "installed_mb", "cold_start_s"]),
            ("multiprocess", lambda: bench_multiprocess_budget(10 if tiny else 200, 1_000 if tiny else 5_000, work),
             ["multiprocess_429_seen", "multiprocess_fraction_of_ceiling", "multiprocess_budget_slot_ms"]),
            ("bad_input", lambda: bench_bad_input(2_000 if tiny else 20_000 if quick else 100_000, work),
             ["bad_inputs_tried", "bad_inputs_mishandled", "paste_5000_addresses_gui_ms"]),
            ("multiprocess_auth", lambda: bench_multiprocess_auth(rounds=1 if tiny else 5),
             ["multiprocess_signed_out"]),
            ("bulk_speed", lambda: bench_bulk_speed(60 if tiny else 500 if quick else 2_000,
                                                    5_000 if tiny else 100_000 if quick else 1_000_000, work),
             ["bulk_unsubscribe_requests_per_contact", "naive_bulk_requests_per_contact",
              "bulk_unsubscribe_fraction_of_ceiling", "bulk_lost_core_fields", "store_fill_rows_per_s_1m",
              "window_rss_mb_1m", "cold_start_s_1m"]),
            ("team", lambda: bench_team(2_000 if tiny else 20_000 if quick else 100_000,
                                        2_000 if tiny else 50_000 if quick else 1_000_000, rounds=2 if tiny else 4,
                                        n_queries=sizes["queries"]),
             ["team_second_desk_requests_fraction", "team_visibility_ms", "team_requests_fraction_5_desks",
              "team_search_p95_ms_1m", "team_partition_lost_actions", "team_duplicate_sends"]),
        ]
        for name, run, keys in plan:
            if args.only and name not in args.only:
                continue
            t0 = time.perf_counter()
            try:
                produced = run()
            except Exception as exc:  # one failing benchmark must not hide the others
                produced = [(key, None, "", "", f"error: {type(exc).__name__}: {exc}"[:200]) for key in keys]
            rows.extend(produced)
            print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'value':>12}  {'unit':<11} {'goal':<12} note")
    for key, value, unit, goal, note in rows:
        shown = "—" if value is None else f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
        print(f"{key:<{width}}  {shown:>12}  {unit:<11} {goal:<12} {note}")
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v, *_ in rows}, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
