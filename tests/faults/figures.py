"""Run every fault kind N times and reduce the results to the table and the benchmark figures."""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from .harness import KINDS, RunResult, run_kind, table
from .process_faults import PROCESS_KINDS


async def run_all(runs_per_kind: int, first_seed: int = 1, only: Collection[str] | None = None) -> list[RunResult]:
    """Every kind (or those in `only`) `runs_per_kind` times; successive seeds aim faults at other requests."""
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="ccdesk-faults-") as tmp:
        for seed in range(first_seed, first_seed + runs_per_kind):
            for name in KINDS:
                if only is None or name in only:
                    results.append(await run_kind(name, seed, Path(tmp)))
            for name, fn in PROCESS_KINDS.items():
                if only is None or name in only:
                    results.append(await fn(seed, Path(tmp)))
    return results


def figures(results: list[RunResult]) -> dict[str, Any]:
    return {
        "faults_kinds": len({r.kind for r in results}),
        "faults_runs": len(results),
        "faults_survived": sum(r.survived for r in results),
        "faults_lost_actions": sum(r.lost for r in results),
        "faults_duplicated_actions": sum(r.duplicated for r in results),
        "faults_cache_mismatches": sum(r.cache_mismatches for r in results),
        "table": table(results),
    }
