"""The benchmark command works and writes every figure the issues name (no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"search_p50_ms_100k", "search_p95_ms_100k", "search_p95_ms_1m", "pull_contacts_per_s_unthrottled",
        "pull_fraction_of_ceiling", "naive_pull_contacts_per_s", "incremental_sync_s_100k", "gui_max_stall_ms",
        "export_rows_per_s_1m", "export_peak_rss_mb", "faults_kinds", "faults_runs", "faults_lost_actions",
        "faults_duplicated_actions", "property_examples", "property_fields_lost", "tokens_found_on_disk",
        "bulk_preview_10k_s", "bulk_preview_max_stall_ms"}
KEYS |= {"reconcile_requests_100k", "reconcile_stale_contacts"}  # issue 13 (tests/benchmarks/bench_reconcile.py)
KEYS |= {"multiprocess_429_seen", "multiprocess_fraction_of_ceiling"}  # issue 12 (bench_multiprocess_budget.py)
KEYS |= {"multiprocess_signed_out"}  # issue 12 (tests/benchmarks/bench_multiprocess_auth.py)
KEYS |= {"bad_inputs_tried", "bad_inputs_mishandled"}  # issue 14 (tests/benchmarks/bench_bad_input.py)
KEYS |= {"bulk_unsubscribe_requests_per_contact", "naive_bulk_requests_per_contact",  # issue 17
         "bulk_unsubscribe_fraction_of_ceiling", "bulk_lost_core_fields", "store_fill_rows_per_s_1m",
         "window_rss_mb_1m", "cold_start_s_1m"}  # (tests/benchmarks/bench_bulk_speed.py)
KEYS |= {"team_second_desk_requests_fraction", "team_visibility_ms", "team_requests_fraction_5_desks",
         "team_search_p95_ms_1m", "team_partition_lost_actions", "team_duplicate_sends"}  # issue 18 (bench_team.py)


@pytest.mark.slow  # every benchmark at its smallest: ~100 s
def test_selftest_writes_every_key(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(ROOT / "tests/benchmarks/run.py"), "--selftest", "--json", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert set(figures) >= KEYS
    assert all(figures[k] is not None for k in KEYS - {"search_p95_ms_1m"}), run.stdout
    assert "figure" in run.stdout and "naive" in run.stdout
