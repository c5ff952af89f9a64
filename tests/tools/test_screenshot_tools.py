"""The screenshot tools write what they say they wrote, or stop with a message: never a silent nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shoot(out: Path, tool: str = "screenshot_window.py") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(ROOT / "tools" / tool), str(out)], env=env,
                          capture_output=True, text=True, timeout=180, cwd=ROOT)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_a_missing_output_folder_is_made(tmp_path: Path) -> None:
    out = tmp_path / "not" / "there" / "yet"
    done = shoot(out)
    assert done.returncode == 0, done.stderr
    listed = [Path(line) for line in done.stdout.split()]
    assert [p.name for p in listed] == ["main-window.png", "details-queued.png", "account-menu.png"]
    for path in listed:
        assert path.parent == out and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_output_folder_that_cannot_be_made_stops_with_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = shoot(blocker / "shots")
    assert done.returncode == 1
    assert "Could not write the screenshot" in done.stderr and str(blocker / "shots") in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_the_contacts_tool_draws_the_window_at_1024_and_1366(tmp_path: Path) -> None:
    done = shoot(tmp_path, "screenshot_contacts.py")
    assert done.returncode == 0, done.stderr
    listed = [Path(line) for line in done.stdout.split()]
    assert [p.name for p in listed] == ["contacts-1024.png", "contacts-1366.png"]
    assert [png_size(p) for p in listed] == [(1024, 640), (1366, 768)]


def test_the_settings_tool_draws_the_team_box(tmp_path: Path) -> None:
    done = shoot(tmp_path, "screenshot_settings.py")
    assert done.returncode == 0, done.stderr
    assert [Path(line).name for line in done.stdout.split()] == ["team-settings.png"]
    width, height = png_size(tmp_path / "team-settings.png")
    assert width >= 500 and height >= 400
