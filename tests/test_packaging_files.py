"""Fast checks of the packaging files (the build itself runs in .ci/package, not in the test suite)."""

from __future__ import annotations

import configparser
import re
import shutil
import struct
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = ("linux", "win32", "darwin")


def test_one_icon_source_rendered_at_every_size() -> None:
    assert (ROOT / "ccdesk/resources/ccdesk.svg").is_file()
    assert not list((ROOT / "resources").glob("*.svg")), "the SVG lives in ccdesk/resources/ only"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = (ROOT / f"resources/ccdesk-{size}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert int.from_bytes(png[16:20], "big") == size


def test_rendered_icons_are_up_to_date() -> None:
    """resources/ is exactly what packaging/render_icons.py makes of the SVG (run it after changing the SVG)."""
    done = subprocess.run([sys.executable, str(ROOT / "packaging/render_icons.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _ico_sizes(data: bytes) -> list[int]:
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert data[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(data)
        sizes.append(width or 256)
    return sizes


def _icns_types(data: bytes) -> list[bytes]:
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    types_, at = [], 8
    while at < len(data):
        code, length = data[at:at + 4], struct.unpack_from(">I", data, at + 4)[0]
        assert data[at + 8:at + 16] == b"\x89PNG\r\n\x1a\n"
        types_.append(code)
        at += length
    assert at == len(data)
    return types_


def test_windows_and_macos_icons_are_well_formed() -> None:
    assert _ico_sizes((ROOT / "resources/ccdesk.ico").read_bytes()) == [16, 24, 32, 48, 64, 128, 256]
    assert b"ic10" in _icns_types((ROOT / "resources/ccdesk.icns").read_bytes())


class _Recorder:
    """Stands for one PyInstaller build object: records its arguments."""

    made: list[tuple[str, tuple[Any, ...], dict[str, Any]]]

    def __init__(self, kind: str, made: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        self.kind, self.made = kind, made

    def __call__(self, *args: Any, **kw: Any) -> types.SimpleNamespace:
        self.made.append((self.kind, args, kw))
        return types.SimpleNamespace(pure=[], scripts=[], binaries=[], datas=[])


def _run_spec(platform: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """Execute packaging/ccdesk.spec as PyInstaller would on `platform`, with its build steps recorded."""
    made: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda name: [name]  # type: ignore[attr-defined]
    hooks.copy_metadata = lambda name: []  # type: ignore[attr-defined]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    spec = ROOT / "packaging/ccdesk.spec"
    names: dict[str, Any] = {"SPECPATH": str(spec.parent), "__file__": str(spec)}
    names.update({kind: _Recorder(kind, made) for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile(spec.read_text(), str(spec), "exec"), names)
    return made


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_file_the_spec_names_exists(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _run_spec(platform, monkeypatch)
    named: list[str] = []
    for kind, args, kw in made:
        if kind == "Analysis":
            named += args[0] + [source for source, _dest in kw["datas"]]
        named += [kw["icon"]] if "icon" in kw else []
    assert any(kind == "BUNDLE" for kind, _, _ in made) == (platform == "darwin")
    assert sum(kind == "EXE" for kind, _, _ in made) == (2 if platform == "win32" else 1)
    assert len(named) >= 3
    for path in named:
        assert Path(path).exists(), f"the spec names {path} for {platform}: it does not exist"
    icons = {Path(kw["icon"]).name for _kind, _args, kw in made if "icon" in kw}
    assert icons == {"linux": {"ccdesk-256.png"}, "win32": {"ccdesk.ico"}, "darwin": {"ccdesk.icns"}}[platform]


def _script_paths(script: Path) -> list[str]:
    """The checkout paths a packaging script copies from: `packaging/...`, `resources/...`, `ccdesk/resources/...`,
    with a `for size in ...` loop's variable expanded."""
    text = script.read_text()
    sizes = re.search(r"for size in ([\d ]+); do", text)
    found = re.findall(r'(?<![\w/$])"?((?:packaging|resources|ccdesk/resources)/[\w./$-]+)', text)
    paths = []
    for path in found:
        path = path.strip('"')
        if "$size" in path:
            assert sizes, f"{script}: $size without a size loop"
            paths += [path.replace("$size", n) for n in sizes.group(1).split()]
        else:
            paths.append(path)
    return paths


@pytest.mark.parametrize("script", ["packaging/build-deb.sh", "packaging/macos/build-dmg.sh", ".ci/package"])
def test_every_file_a_packaging_script_names_exists(script: str) -> None:
    paths = _script_paths(ROOT / script)
    for path in paths:
        assert (ROOT / path).exists(), f"{script} names {path}: it does not exist"
    if script.endswith("build-deb.sh"):
        assert "ccdesk/resources/ccdesk.svg" in paths and "resources/ccdesk-512.png" in paths


def test_every_file_the_windows_installer_names_exists() -> None:
    iss = ROOT / "packaging/windows/ccdesk.iss"
    named = re.findall(r'^(?:SetupIconFile)=(.+)$', iss.read_text(), re.M)
    assert named, "the installer has no SetupIconFile"
    for path in named:
        assert (iss.parent / path.strip().replace("\\", "/")).resolve().is_file(), path


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
