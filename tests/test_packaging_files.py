"""Fast checks of the packaging files (the build itself runs in .ci/package, not in the test suite)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_icons_exist_at_every_size() -> None:
    assert (ROOT / "resources/ccdesk.svg").is_file()
    assert (ROOT / "ccdesk/resources/ccdesk.svg").read_bytes() == (ROOT / "resources/ccdesk.svg").read_bytes()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = (ROOT / f"resources/ccdesk-{size}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert int.from_bytes(png[16:20], "big") == size


def test_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "packaging/linux/ccdesk.desktop")
    section = entry["Desktop Entry"]
    assert (section["Exec"], section["Icon"], section["Type"]) == ("ccdesk", "ccdesk", "Application")
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate is not installed")
    subprocess.run(["desktop-file-validate", str(ROOT / "packaging/linux/ccdesk.desktop")], check=True)


def test_spec_bundles_what_is_loaded_by_name() -> None:
    spec = (ROOT / "packaging/ccdesk.spec").read_text()
    for needed in ('collect_submodules("uvicorn")', 'collect_submodules("keyring.backends")', "ccdesk/resources"):
        assert needed in spec


def test_control_file_takes_its_version_from_the_package_metadata() -> None:
    control = (ROOT / "packaging/linux/control.in").read_text()
    assert "Version: @VERSION@" in control and "libxcb-cursor0" in control
    assert 'm.version("ccdesk")' in (ROOT / "packaging/build-deb.sh").read_text()
