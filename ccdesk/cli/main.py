"""`ccdesk <command> ...`: parse, run on an asyncio loop (no Qt), and turn every failure into a sentence and an
exit code a scheduler can act on."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ccdesk.api import (
    ApiError,
    MalformedResponse,
    NetworkError,
    QuotaExceeded,
    ServerError,
    SignInRequired,
    Throttled,
    Unauthorized,
)
from ccdesk.files import UnwritableTarget
from ccdesk.services.address_file import AddressFileError
from ccdesk.services.validation import InvalidInput, validate_reason
from ccdesk.store.errors import SchemaTooNewError, StoreUnavailableError, StoreUnreadableError
from ccdesk.team.errors import TeamError, TeamLoginRefused, TeamUnreachable

from . import account_commands, team_commands
from .account import HOW_TO_SIGN_IN, NotSignedIn, open_account
from .commands import COMMANDS, Context, Interrupted, UnknownList, parse_since
from .exit_codes import Exit
from .output import Output

log = logging.getLogger("ccdesk.cli")

EPILOG = """exit codes: 0 done, 1 failed, 2 wrong options, 3 not signed in, 4 daily API quota used up,
5 partly done (some addresses failed or are still queued), 6 Constant Contact unreachable, 7 local data file
locked by another program, damaged or not ccdesk's, 130 interrupted."""


def _count(text: str) -> int:
    """A whole number, 0 or more (``--show -2`` would otherwise print one item and "and 5 more" for three)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccdesk", description="ccdesk commands for scheduled jobs and scripts. They "
                                "use the sign-in and the local cache of the ccdesk window.", epilog=EPILOG)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the result as one JSON object on stdout")
    common.add_argument("--quiet", action="store_true", help="no progress lines")
    common.add_argument("--show", type=_count, default=20, metavar="N", help="list at most N addresses per group")
    common.add_argument("--db", type=Path, help="local cache file (default: the window's)")
    common.add_argument("--api-base", help=argparse.SUPPRESS)
    common.add_argument("--auth-base", help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    sub.add_parser("sync", parents=[common], help="one incremental sync; prints the new opt-outs",
                   description="Bring the local cache up to date (the first time: read the whole account) "
                   "and print what changed.", epilog=EPILOG)

    exp = sub.add_parser("export-optouts", parents=[common], help="write the Do Not Mail list (or what is new) "
                         "to a CSV file", epilog=EPILOG)
    which = exp.add_mutually_exclusive_group()
    which.add_argument("--since", type=parse_since, metavar="DATE", help="only opt-outs on or after DATE (UTC)")
    which.add_argument("--since-last", action="store_true",
                       help="only opt-outs not written to this file's earlier exports (remembered per file); "
                       "while the last file is still there, not collected, the new one keeps its rows too")
    exp.add_argument("--out", type=Path, required=True, metavar="FILE", help="the CSV file to write")
    exp.add_argument("--no-sync", action="store_true", help="export the local cache as it is, without syncing")
    exp.add_argument("--spreadsheet-safe", action="store_true",
                     help="for opening in a spreadsheet: cells (never the email address) that start with = + - @ "
                     "get a leading apostrophe. Without it every value is written exactly, for other systems")

    for name, helptext in (("unsubscribe", "unsubscribe every address in a file"),
                           ("remove-from-list", "remove every address in a file from lists (not an opt-out)")):
        cmd = sub.add_parser(name, parents=[common], help=helptext, epilog=EPILOG,
                             description=helptext[0].upper() + helptext[1:] + ". Shows a preview first; "
                             "with --dry-run nothing is sent.")
        cmd.add_argument("--file", type=Path, required=True, metavar="FILE",
                         help="CSV or text file; a column named like 'email', else the first column")
        if name == "unsubscribe":
            cmd.add_argument("--reason", required=True, metavar="TEXT",
                             help="reason recorded with each opt-out (a 'reason' column in the file wins)")
            cmd.add_argument("--asked-by", choices=("contact", "account"), default="account",
                             help="who asked: the contact themselves, or our team (default)")
        else:
            cmd.add_argument("--list", action="append", required=True, metavar="NAME",
                             help="list name (or id); repeat for several lists")
        cmd.add_argument("--dry-run", action="store_true", help="print the preview and send nothing")
        cmd.add_argument("--report", type=Path, metavar="FILE", help="save a CSV report: address, outcome, message")
        cmd.add_argument("--wait", type=float, default=900, metavar="SECONDS",
                         help="how long to keep retrying temporary failures before leaving the rest queued "
                         "(default 900)")
        cmd.add_argument("--no-sync", action="store_true", help="match addresses against the cache without syncing")
    account_commands.add_parsers(sub, common, EPILOG)
    team_commands.add_parsers(sub, common, EPILOG)
    return p


def _code_for(exc: BaseException) -> tuple[Exit, str]:
    if isinstance(exc, NotSignedIn):
        return Exit.NOT_SIGNED_IN, exc.message
    if isinstance(exc, SignInRequired | Unauthorized):
        text = str(exc)
        return Exit.NOT_SIGNED_IN, text if "ccdesk sign-in" in text else f"{text} {HOW_TO_SIGN_IN}"
    if isinstance(exc, QuotaExceeded):
        return Exit.QUOTA_EXHAUSTED, f"{exc} Run the command again after 00:00 UTC; nothing is lost."
    if isinstance(exc, TeamLoginRefused):  # not an outage: running again later will not mend it
        return Exit.FAILED, exc.message
    if isinstance(exc, TeamUnreachable):
        return Exit.UNAVAILABLE, exc.message
    if isinstance(exc, TeamError):
        return Exit.FAILED, exc.message
    if isinstance(exc, NetworkError | ServerError | Throttled | MalformedResponse | TimeoutError):
        text = str(exc)
        return Exit.UNAVAILABLE, f"{text} Run the command again later" + (
            "." if "nothing was lost" in text else "; nothing is lost.")
    if isinstance(exc, StoreUnavailableError | StoreUnreadableError | SchemaTooNewError):
        return Exit.LOCAL_DATA, str(getattr(exc, "message", exc))
    if isinstance(exc, ApiError | AddressFileError | InvalidInput | UnknownList | UnwritableTarget):
        return Exit.FAILED, str(getattr(exc, "message", exc) or exc)
    return Exit.FAILED, f"ccdesk stopped because of an unexpected problem ({type(exc).__name__}); see the log."


async def _run(args: argparse.Namespace, out: Output) -> int:
    from ccdesk.services.desk import Desk

    if args.command in account_commands.ACCOUNT_COMMANDS:
        return await account_commands.run(args, out)
    if args.command == team_commands.TEAM_COMMAND:
        return await team_commands.run(args, out)

    account = await open_account(args)
    desk = Desk(account.client, account.db_path, team=account.team_link())
    ctx = Context(args, out, desk)
    _stop_between_steps_on_ctrl_c(ctx)
    try:
        return int(await COMMANDS[args.command](ctx))
    finally:
        await desk.close()  # closes the client too
        await account.session.aclose()


def _stop_between_steps_on_ctrl_c(ctx: Context) -> None:
    """The first Ctrl+C lets the change being sent finish and stops there (nothing half-done, the rest stays
    queued); a second one stops at once. Cancelling the task on the first one proved unreliable: a
    cancellation arriving as an HTTP read times out can be absorbed by the network library."""
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()

    def on_sigint() -> None:
        if ctx.interrupted.is_set() and main_task is not None:
            main_task.cancel()
        ctx.interrupted.set()

    with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows event loops: Ctrl+C as usual
        loop.add_signal_handler(signal.SIGINT, on_sigint)


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    from ccdesk import logsetup

    logsetup.configure(to_stderr=False)
    out = Output(json_mode=args.json, quiet=args.quiet)
    log.info("command %s started", args.command if args.command != "team" else f"team {args.team_command}")
    try:
        if args.command == "unsubscribe":
            args.reason = validate_reason(args.reason)  # a bad reason costs nothing, not even a sign-in check
        code = asyncio.run(_run(args, out))
    except (KeyboardInterrupt, Interrupted):
        message = "Interrupted. What was queued stays queued and is sent by the next run (or by the window)."
        out.warn(message)
        code = Exit.INTERRUPTED
        out.result({"command": args.command, "ok": False, "exit_code": int(code), "error": message})
    except Exception as exc:
        code, message = _code_for(exc)
        if code == Exit.FAILED and not isinstance(exc, ApiError | AddressFileError | InvalidInput
                                                  | UnknownList | NotSignedIn | StoreUnavailableError
                                                  | StoreUnreadableError | SchemaTooNewError | UnwritableTarget
                                                  | TeamError):
            log.exception("command %s failed", args.command)
        else:
            log.warning("command %s: %s", args.command, message)
        out.warn(f"ccdesk {args.command}: {message}")
        out.result({"command": args.command, "ok": False, "exit_code": int(code), "error": message})
    log.info("command %s finished with exit code %d", args.command, int(code))
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
