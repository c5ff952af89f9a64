"""No modal loop inside a coroutine anywhere in ccdesk: the same AST check as the before-stop hook.

A `QMessageBox.information()` (or `exec()`, `QFileDialog.get*`) inside an `async def` runs a nested event loop
while that coroutine's task is executing; any other task woken meanwhile dies with "Cannot enter into task".
That is how the outbox sender stopped while an "Export finished" box stayed open.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ccdesk

MODAL = {"exec", "exec_", "information", "warning", "critical", "question", "getOpenFileName", "getSaveFileName",
         "getExistingDirectory", "getText", "getItem", "getInt"}
OWNERS = ("QMessageBox", "QFileDialog", "QInputDialog")


def modal_calls_in_coroutines(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                func = node.func if isinstance(node, ast.Call) else None
                owner = getattr(getattr(func, "value", None), "id", "")
                if isinstance(func, ast.Attribute) and func.attr in MODAL and (
                        func.attr in ("exec", "exec_") or owner in OWNERS):
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {func.attr}() inside async def "
                                 f"{fn.name}")
    return found


def test_the_check_finds_a_modal_call_in_a_coroutine(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text("async def f(self):\n    QMessageBox.information(self, 'a', 'b')\n"
                              "def g(self):\n    QMessageBox.information(self, 'a', 'b')\n")
    assert modal_calls_in_coroutines(pkg) == ["pkg/m.py:2 information() inside async def f"]


def test_no_modal_loop_inside_any_coroutine() -> None:
    assert modal_calls_in_coroutines(Path(ccdesk.__file__).parent) == []
