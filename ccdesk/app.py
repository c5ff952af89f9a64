"""Composition root: reads the command line, builds the services and the window, runs the Qt+asyncio loop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ccdesk import __version__

log = logging.getLogger("ccdesk")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="ccdesk", description="Manage opt-outs in a Constant Contact account.",
        epilog="Commands for scheduled jobs (no window): ccdesk sync | export-optouts | unsubscribe | "
        "remove-from-list | sign-in | sign-out | status; see 'ccdesk COMMAND --help'.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--demo", action="store_true",
                   help="run against a built-in sandbox with made-up contacts (nothing leaves this machine)")
    p.add_argument("--api-base", help="Constant Contact API base URL (default https://api.cc.email/v3)")
    p.add_argument("--auth-base", help="OAuth server base URL (default https://authz.constantcontact.com)")
    p.add_argument("--db", type=Path, help="local cache file (default: in the user data directory)")
    p.add_argument("--smoke", action="store_true", help="start, check the main window works, and exit")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from ccdesk.cli import is_command

    argv = list(sys.argv[1:] if argv is None else argv)
    if is_command(argv):  # `ccdesk sync`, `ccdesk export-optouts`, ...: no Qt, no window
        from ccdesk.cli.main import main as cli_main

        return cli_main(argv)
    args = parse_args(argv)
    if args.version:
        print(f"ccdesk {__version__}")
        return 0
    if args.smoke and not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ccdesk import logsetup

    logsetup.configure()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("ccdesk")
    app.setApplicationDisplayName("ccdesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("ccdesk")
    from importlib.resources import files

    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(files("ccdesk") / "resources" / "ccdesk.svg")))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    quit_event = asyncio.Event()
    app.aboutToQuit.connect(quit_event.set)
    # Closing the last window (File > Quit, the title bar) ends run() through quit_event, so its shutdown runs;
    # letting Qt quit by itself would stop the loop under run() ("Event loop stopped before Future completed").
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(quit_event.set)
    with loop:
        return int(loop.run_until_complete(run(args, quit_event)))


async def run(args: argparse.Namespace, quit_event: asyncio.Event) -> int:
    """Build everything, show the window, and wait until the app quits."""
    from ccdesk.bootstrap.account import record_identity
    from ccdesk.services.desk import Desk
    from ccdesk.ui.main_window import MainWindow
    from ccdesk.ui.single_instance import SingleInstance
    from ccdesk.wording import is_are, plural

    instance = None
    if not args.smoke:
        folder = Path(args.db).parent if getattr(args, "db", None) else None  # None: the user data directory
        instance = SingleInstance("demo" if args.demo else "account", folder=folder)
        if not instance.claim():
            print("ccdesk is already running; its window was brought to the front.")
            return 0
    demo = None
    gate = None
    team = None  # team mode: this desk's TeamLink (ccdesk/team)
    if args.demo:
        from ccdesk.bootstrap.demo import open_demo

        demo = await open_demo(args.db)
        client, db_path, account = demo.client, demo.db_path, demo.account
    else:
        from ccdesk.bootstrap.account import account_client, account_limiter, cache_path, load_settings, team_link
        from ccdesk.ui.account_gate import AccountGate

        gate = AccountGate(load_settings(args))
        session = await gate.signed_in_session(quit_event)
        if session is None:
            return 0
        # in team mode it draws from the team's request budget; tokens from the session in use (see AccountGate)
        client = account_client(session, gate.prefs, tokens=gate)
        db_path = cache_path(args)
        team = team_link(gate.prefs)
        account = gate.prefs.account_name or "Constant Contact account"
    if gate is not None:
        record_identity(gate.prefs)
    from ccdesk.ui.store_problem import open_or_explain

    opened = await open_or_explain(lambda: Desk(client, db_path, sync_interval_min=gate.prefs.sync_interval_min
                                                if gate else 15, team=team), quit_event, smoke=args.smoke)

    async def release_session() -> None:
        """Sign-in sessions, the demo sandbox and the demo's temporary folder, whichever this run has."""
        if demo is not None:
            await demo.close()
        if gate is not None:
            await gate.aclose()

    if opened is None:  # the local data could not be opened and the user quit (the screen said why)
        await client.aclose()
        await release_session()
        return 1 if args.smoke else 0
    desk = opened
    window = MainWindow(desk, account=account, demo=args.demo)
    if instance is not None:
        instance.raise_requested.connect(window.bring_to_front)
    account_menu = _install_account_menu(window, desk, gate, account)
    from ccdesk.ui.team_view import install_team_view

    install_team_view(window, desk, gate)
    window.restore_layout()
    window.show()
    from ccdesk.startup_time import seconds_since_process_start

    window.started_in_s = seconds_since_process_start()
    from ccdesk.ui.tray import install_tray

    tray = install_tray(window, window.windowIcon())  # noqa: F841 - kept alive for the session
    if gate is not None:
        def signed_out(message: str) -> None:
            # Nothing queued is lost: the sender and the sync pause until someone signs in again.
            desk.worker.pause(message)
            desk.scheduler.pause(message)
            account_menu.sign_out_action.setEnabled(False)
            waiting = len(desk.reads.pending())
            gate.show_screen(f"{message} Sign in again; your {plural(waiting, 'queued change')} "
                             f"{is_are(waiting)} kept.")

        def signed_in_again() -> None:
            account_menu.sign_out_action.setEnabled(True)
            follow_sign_in_key(desk.client, gate, account_limiter)
            desk.worker.resume()
            desk.scheduler.resume()
            window.status.show_notice("")

        gate.signed_in_again.connect(signed_in_again)

        def prefs_saved() -> None:
            record_identity(gate.prefs)
            account_menu.set_identity(account=gate.prefs.account_name or account, user=gate.prefs.cc_user,
                                      desk_name=gate.prefs.desk_name)

        gate.prefs_saved.connect(prefs_saved)
        gate.watch(signed_out)
        desk.worker.sign_in_required.connect(lambda message: gate.show_screen(
            f"{message} Your queued changes are kept.") if gate.screen is None else None)
    desk.start()  # the outbox sender and the background sync (its first run is right away)
    try:
        if args.smoke:
            from ccdesk.ui.smoke import SmokeFailure, run_smoke

            try:
                print(await run_smoke(window), flush=True)
            except SmokeFailure as exc:
                print(f"smoke FAILED: {exc}", file=sys.stderr, flush=True)
                return 1
            return 0
        await quit_event.wait()
    finally:
        window.shutdown()
        await desk.close()
        await release_session()
    return 0


def follow_sign_in_key(client: Any, gate: Any, limiter_for: Any) -> None:
    """After a sign-in with the other app's key (browser / code) the window's requests count against that key, as
    the commands of this desk that use it do (Constant Contact limits each key)."""
    key = gate.session.config.client_id if gate.session is not None else ""
    if key and getattr(client.rate_limiter, "api_key", key) != key:
        client.rate_limiter = limiter_for(key, gate.prefs)


def _install_account_menu(window: Any, desk: Any, gate: Any, account: str) -> Any:
    """The account menu; Settings and Sign out go to the sign-in gate (greyed in the demo, which has none)."""
    from ccdesk.ui.account_menu import install_account_menu

    prefs = gate.prefs if gate is not None else None
    menu = install_account_menu(window, desk, account=account, user=prefs.cc_user if prefs else "Demo user",
                                desk_name=prefs.desk_name if prefs else "", can_sign_out=gate is not None,
                                can_change_settings=gate is not None)
    if gate is not None:
        menu.settings_requested.connect(lambda: gate.open_settings(parent=window))
        menu.sign_out_requested.connect(lambda: gate._spawn(gate.sign_out()))
    return menu
