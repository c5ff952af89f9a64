"""The cold-start figure's clock: seconds since this process started, read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_measures_the_time_since_the_process_started() -> None:
    code = ("import time; time.sleep(0.5); from ccdesk.startup_time import seconds_since_process_start as s; "
            "print(s())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    elapsed = float(out.stdout)
    assert 0.45 <= elapsed < 5.0  # the 0.5 s sleep, plus interpreter start; never the boot-time rounding error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_loading_the_store_starts_no_openblas_threads() -> None:
    """numpy's OpenBLAS would start a thread per core at start-up; ccdesk needs none of them."""
    code = "import os, ccdesk.store, numpy; print(len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, env=env)
    assert int(out.stdout) == 1
