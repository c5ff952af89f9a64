"""A command whose output nobody reads any more (`ccdesk status | head -2`, `ccdesk sync 2>&1 | head -1`) carries
on: the lines it still has go nowhere, on stdout (results) and stderr (progress, warnings) alike."""

from __future__ import annotations

import io
import os

from ccdesk.cli.output import Output


def _pipe_nobody_reads() -> io.TextIOWrapper:
    read_end, write_end = os.pipe()
    os.close(read_end)
    return io.TextIOWrapper(os.fdopen(write_end, "wb"), encoding="utf-8")


def test_results_to_a_reader_that_went_away() -> None:
    out = Output(out=_pipe_nobody_reads(), err=io.StringIO())
    out.say("a")
    out.say("b")
    out.result({"ok": True})


def test_progress_to_a_reader_that_went_away() -> None:
    err = _pipe_nobody_reads()
    out = Output(out=io.StringIO(), err=err)
    out.progress("sync", 1, 10)
    out.progress("export", 2, 10)
    out.warn("something to say")
    out.end_progress()
