"""The layers of ccdesk, read from the imports of every module (docs/architecture.md draws the same picture).

A module may import only the ccdesk packages its layer lists. Imports inside functions count too: a lazy
import is still a dependency. Only `ccdesk/ui` and the composition root (`app.py`) may import Qt. Services need
neither the sandbox nor the sign-in machinery: demo mode and the account's bootstrap live in `ccdesk/bootstrap`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "ccdesk"

# package (or top-level module) -> the ccdesk packages it may import
ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "sandbox": set(),  # an emulator of the service: it must not know its client
    "files": set(),
    "file_kinds": set(),
    "sqlite_uri": set(),  # the one read-only way to open an SQLite file by URI
    "events": set(),  # the one observer mechanism below the window
    "wording": set(),  # counts, dates and statuses in words, for the window, the commands and the reports
    "logsetup": set(),
    "startup_time": set(),
    "resources": set(),
    "store": {"files", "file_kinds", "sqlite_uri", "wording"},
    "api": {"files", "sqlite_uri"},
    "auth": {"api", "files", "events", "wording"},
    "preferences": {"api", "auth", "files"},
    "services": {"api", "store", "files", "file_kinds", "events", "wording"},
    # team mode on PostgreSQL: a layer beside services (services reach it only through services/team_seam.py)
    "team": {"api", "store", "services", "files", "preferences", "events", "wording"},
    "bootstrap": {"api", "auth", "files", "preferences", "sandbox", "store", "team"},
    "cli": {"api", "auth", "bootstrap", "files", "preferences", "services", "store", "logsetup", "wording", "team"},
    "ui": {"api", "auth", "events", "files", "logsetup", "preferences", "services", "store", "startup_time",
           "wording", "team"},
    "app": {"api", "auth", "bootstrap", "cli", "files", "logsetup", "preferences", "services", "startup_time",
            "store", "ui", "resources", "wording", "team"},
    "__main__": {"app"},
}
QT_ALLOWED = {"ui", "app"}


def _layer(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("").parts
    return rel[0]


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    rel = ("ccdesk", *path.relative_to(root).with_suffix("").parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = rel[: len(rel) - node.level]
                found.add(".".join(base) + (f".{node.module}" if node.module else ""))
            elif node.module:
                found.add(node.module)
    return found


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_what_its_layer_may(path: Path) -> None:
    layer = _layer(path)
    assert layer in ALLOWED, f"{layer}: a new package needs its place in ALLOWED and docs/architecture.md"
    wrong = []
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "ccdesk" and len(parts) > 1 and parts[1] != layer and parts[1] not in ALLOWED[layer]:
            wrong.append(name)
        if parts[0] in ("PySide6", "qasync") and layer not in QT_ALLOWED:
            wrong.append(name)
    assert not wrong, f"{path.relative_to(ROOT)} ({layer}) imports {sorted(wrong)}"


def test_relative_and_lazy_imports_are_read(tmp_path: Path) -> None:
    """A sandbox module reaching the client by a relative import inside a function is seen."""
    module = tmp_path / "sandbox" / "sneaky.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from ..api import errors\n    from . import records\n", encoding="utf-8")
    assert _imports(module, tmp_path) == {"ccdesk.api", "ccdesk.sandbox"}


def test_services_import_neither_the_sandbox_nor_the_sign_in() -> None:
    """Stated on its own (the matrix says it too): demo wiring once made services import both."""
    assert not {"sandbox", "auth", "bootstrap"} & ALLOWED["services"]
    wrong = sorted(f"{path.relative_to(ROOT)}: {name}" for path in sorted((ROOT / "services").rglob("*.py"))
                   for name in _imports(path) if name.startswith(("ccdesk.sandbox", "ccdesk.auth")))
    assert wrong == []


def test_one_observer_mechanism() -> None:
    """Services and the sign-in announce through ccdesk/events.py; no package keeps its own listener lists."""
    for package in ("api", "auth", "bootstrap", "cli", "services", "store"):
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert "_listeners" not in text and "add_listener" not in text, path


WINDOW_PARTS = ("contacts_part", "actions_part", "status_part", "optouts_tab", "activity_tab")


@pytest.mark.parametrize("part", WINDOW_PARTS)
def test_no_part_of_the_window_imports_another_or_the_window(part: str) -> None:
    """The window wires its parts (README, Architecture): a part that imported a sibling would call it."""
    imported = {name.split(".")[2] for name in _imports(ROOT / "ui" / f"{part}.py") if name.startswith("ccdesk.ui.")}
    assert not imported & {*WINDOW_PARTS, "main_window"} - {part}, sorted(imported)


def test_the_window_reads_only_through_the_desk() -> None:
    """No DeskDatabase built in ui/ (reads go through desk.reads) and no store lambda run from it."""
    for path in (ROOT / "ui").rglob("*.py"):
        assert "ccdesk.store.database" not in _imports(path), path.name
        assert ".db.call(" not in path.read_text(encoding="utf-8"), path.name
