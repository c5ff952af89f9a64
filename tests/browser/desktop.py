"""A test desktop for the browser sign-in tests: an Xvfb screen, and a default web browser set the freedesktop way.

ccdesk opens the sign-in page with QDesktopServices.openUrl. On X11 Qt hands the URL to `xdg-open`, which asks
`xdg-mime` for the default `x-scheme-handler/http` application (what `xdg-settings set default-web-browser` writes
into `$XDG_CONFIG_HOME/mimeapps.list`) and runs its .desktop file. Here that .desktop file starts Debian's Chromium,
headless, with a DevTools port, so the test can attach Selenium to the very browser ccdesk opened.
(The offscreen Qt platform cannot open URLs at all, hence the Xvfb screen.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP_FILE = "ccdesk-test-browser.desktop"
# As root Chromium needs --no-sandbox; the network flags stop it calling Google's hosts on this closed machine;
# --password-store=basic keeps it out of the test's Secret Service keyring.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--password-store=basic", "--window-size=900,560", "--hide-scrollbars")


def missing_tools() -> list[str]:
    """What this machine lacks for the browser tests (tools/setup.sh --test installs all of it)."""
    missing = [tool for tool in ("Xvfb", "xdg-open", "xdg-mime") if shutil.which(tool) is None]
    missing += [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    return missing


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 5) -> None:
    """End a child we started: SIGTERM, then SIGKILL if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


class Xvfb:
    """A virtual X screen; `display` is ':N' (Xvfb picks a free N and tells it through -displayfd)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        number = self.proc.stdout.readline().strip()
        if not number.isdigit():
            stop_process(self.proc)
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class Launch:
    pid: int
    profile: Path


class DefaultBrowser:
    """The desktop's default web browser under `home`: every launch is a new headless Chromium with its own profile.

    `env()` gives the XDG variables that make it the default; `attach()` connects Selenium to a launch."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.base = home / "browser"
        self.base.mkdir(parents=True, exist_ok=True)
        self.launch_log = self.base / "launches"
        self.launch_log.touch()
        launcher = self.base / "launch-chromium"
        flags = " ".join(CHROMIUM_FLAGS)
        launcher.write_text(
            "#!/bin/sh\n"
            "# The test desktop's default browser: headless Chromium with a DevTools port, a new profile each time.\n"
            f'profile=$(mktemp -d "{self.base}/profile-XXXXXX")\n'
            f'echo "$$ $profile" >> "{self.launch_log}"\n'
            "unset TMPDIR  # ccdesk's is a long test path; Chromium's singleton socket path must stay short\n"
            f'exec {CHROMIUM} {flags} --remote-debugging-port=0 --user-data-dir="$profile" "$@" '
            f'>>"{self.base}/chromium.log" 2>&1\n')
        launcher.chmod(0o755)
        applications = home / "data" / "applications"
        applications.mkdir(parents=True, exist_ok=True)
        (applications / DESKTOP_FILE).write_text(
            "[Desktop Entry]\nType=Application\nName=Test browser (headless Chromium)\n"
            f"Exec={launcher} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;text/html;\n")
        config = home / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "mimeapps.list").write_text(
            "[Default Applications]\n"
            f"x-scheme-handler/http={DESKTOP_FILE}\nx-scheme-handler/https={DESKTOP_FILE}\ntext/html={DESKTOP_FILE}\n")
        self.browsers: list[Browser] = []

    def env(self) -> dict[str, str]:
        return {"XDG_CONFIG_HOME": str(self.home / "config"), "XDG_DATA_HOME": str(self.home / "data")}

    def launches(self) -> list[Launch]:
        rows = [line.split(" ", 1) for line in self.launch_log.read_text().splitlines() if line.strip()]
        return [Launch(int(pid), Path(profile)) for pid, profile in rows]

    def attach(self, number: int, timeout: float = 30) -> Browser:
        """Selenium on launch `number` (0 = the first browser ccdesk opened); fails if it never starts."""
        deadline = time.monotonic() + timeout
        while True:
            launches = self.launches()
            if len(launches) > number:
                port_file = launches[number].profile / "DevToolsActivePort"
                if port_file.exists() and port_file.read_text().strip():
                    break
                if not _running(launches[number].pid):  # (it may still be the launcher script, before exec)
                    raise AssertionError(f"the default web browser did not start: {self.chromium_log()[-1500:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"ccdesk did not open the default web browser (launches: {launches}; "
                                     f"chromium log: {self.chromium_log()[-800:]})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        browser = Browser(_attached_driver(port), launches[number])
        self.browsers.append(browser)
        return browser

    def chromium_log(self) -> str:
        path = self.base / "chromium.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close_all(self) -> None:
        for browser in self.browsers:
            browser.close()
        for launch in self.launches():  # a launch nobody attached to
            _end_launch(launch)


class Browser:
    """One Chromium, driven by Selenium. `close()` ends it like a person closing the window (SIGTERM)."""

    def __init__(self, driver: object, launch: Launch | None) -> None:
        from selenium.webdriver.remote.webdriver import WebDriver

        assert isinstance(driver, WebDriver)
        self.driver = driver
        self.launch = launch  # None: Selenium started it (and ends it on quit)
        self._closed = False

    def wait_for_title(self, title: str, timeout: float = 20) -> None:
        self._wait(lambda d: d.title == title and d.execute_script("return document.readyState") == "complete",
                   timeout, f"the browser never showed {title!r}")

    def wait_for_title_not(self, title: str, timeout: float = 20) -> None:
        """Wait until the page has moved on from the one titled `title` (and the next one has loaded)."""
        self._wait(lambda d: d.title not in (title, "")
                   and d.execute_script("return document.readyState") == "complete",
                   timeout, f"the browser stayed on {title!r}")

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def click(self, button_text: str, timeout: float = 20) -> None:
        """Press a form's button and wait until the page it submits to has replaced this one and loaded.

        Waiting for a title alone is not enough where the next page has the same title ("Next" on the
        activation page): the old page would be read, or its elements go stale while being read. The old
        page is marked in its window object, which a navigation replaces."""
        from selenium.webdriver.common.by import By

        buttons = [b for b in self.driver.find_elements(By.TAG_NAME, "button") if b.text == button_text]
        assert buttons, f"no {button_text!r} button on {self.driver.current_url}"
        self.driver.execute_script("window.ccdeskPressed = true")
        buttons[0].click()
        self._wait(lambda d: d.execute_script(
            "return window.ccdeskPressed !== true && document.readyState === 'complete'"),
            timeout, f"pressing {button_text!r} left the browser on its page")

    def _wait(self, ready: Callable[[Any], object], timeout: float, failure: str) -> None:
        """Poll `ready` until it is true. While the browser is between two documents a call can fail (a stale
        element, a script context gone); that only means "not yet". A browser that is gone fails at once."""
        from selenium.common.exceptions import InvalidSessionIdException, NoSuchWindowException, WebDriverException

        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready(self.driver):
                    return
            except (InvalidSessionIdException, NoSuchWindowException):
                raise
            except WebDriverException as exc:
                if "not reachable" in str(exc) or "disconnected" in str(exc):
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"{failure}: {self._where()}")
            time.sleep(0.05)

    def _where(self) -> str:
        """Where the browser is, for a failure message (which must not fail itself)."""
        try:
            return f"at {self.driver.current_url!r} titled {self.driver.title!r}:\n{self.text()[:600]}"
        except Exception as exc:  # the message is about the first failure, not this one
            return f"(the browser did not say where it is: {type(exc).__name__})"

    def type_into(self, name: str, text: str) -> None:
        from selenium.webdriver.common.by import By

        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(text)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        assert self.driver.get_screenshot_as_file(str(path)), f"no screenshot written to {path}"

    def running(self) -> bool:
        """Whether this (launched) browser's process is still running."""
        return self.launch is not None and _is_launch(self.launch)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.driver.quit()  # ends chromedriver; an attached browser keeps running
        if self.launch is not None:
            _end_launch(self.launch)


def _attached_driver(port: int) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.debugger_address = f"127.0.0.1:{port}"
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.switch_to.window(driver.window_handles[0])
    return driver


def own_browser() -> Browser:
    """A Chromium the person starts themselves (Selenium launches it): for the device flow's activation page."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return Browser(webdriver.Chrome(service=Service(CHROMEDRIVER), options=options), None)


def _end_launch(launch: Launch, timeout: float = 5) -> None:
    """End a Chromium the launcher started (its pid is the launcher's own, which exec'd Chromium), checking first
    that the pid still is that Chromium (its own profile on the command line), never a process that reused it."""
    if not _is_launch(launch):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(launch.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_launch(launch):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(launch.pid, signal.SIGKILL)


def _is_launch(launch: Launch) -> bool:
    """Whether `launch.pid` is still that browser, running."""
    try:
        with open(f"/proc/{launch.pid}/cmdline", "rb") as cmdline:
            # Chromium may rewrite its command line into one space-separated string (its process title)
            ours = f"--user-data-dir={launch.profile}".encode() in cmdline.read().replace(b"\0", b" ").split(b" ")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return ours and _running(launch.pid)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (this machine's init does not always reap at once)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
