"""Guards against PySide6 6.12.0, whose Signal.emit() drops a reference to `True` on every call: after a few
thousand emits the interpreter aborts ("bool_dealloc: deallocating True or False"). pyproject.toml excludes it;
this test fails if such a build is installed anyway."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    changed = Signal()
    text = Signal(str)


def test_emitting_signals_keeps_the_reference_count_of_true() -> None:
    emitter = Emitter()
    hits: list[int] = []
    emitter.changed.connect(lambda: hits.append(1))
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.changed.emit()
        emitter.text.emit("x")
    assert len(hits) == 200
    assert sys.getrefcount(True) >= before - 10
