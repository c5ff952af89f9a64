"""The four commands. Each returns an exit code (see exit_codes.py); errors it cannot handle propagate to
main.py, which turns them into a message and a code."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from ccdesk.files import UnwritableTarget, check_writable
from ccdesk.services import bulk
from ccdesk.services.address_file import AddressFile, ReadCancelled, read_address_file, unread_dates_note
from ccdesk.services.bulk_send import SendProgress, SendSummary, see_through
from ccdesk.services.desk import Desk
from ccdesk.services.export import OptOutExporter
from ccdesk.services.sync import SyncProgress, SyncResult
from ccdesk.services.validation import MAX_REASON_LENGTH, validate_reason
from ccdesk.store.rows import LIST_REMOVALS, ContactRow, ListRow, OutboxKind
from ccdesk.wording import is_are, line_numbers, moment, plural, was_were

from .exit_codes import Exit
from .other_process import sync_holder
from .output import Output


@dataclass
class Context:
    args: argparse.Namespace
    out: Output
    desk: Desk
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)  # Ctrl+C: stop after the current step
    waited_for: str = ""  # the other process whose sync this one waited for (and reused), in words


class Interrupted(Exception):
    """Ctrl+C: the command stopped between two steps; what is queued stays queued."""


class UnknownList(LookupError):
    """A list named on the command line is not in the account (the message lists the ones that are). Its own
    class: any other LookupError (a KeyError) is a bug, reported as one, not printed as a bare key."""


# --- sync ---------------------------------------------------------------------------------------------------------

def _optout_json(row: ContactRow) -> dict[str, Any]:
    return {"contact_id": row.contact_id, "email": row.email,
            "opt_out_date": row.opt_out_date.isoformat() if row.opt_out_date else None,
            "opt_out_source": row.opt_out_source, "opt_out_reason": row.opt_out_reason}


async def bring_up_to_date(ctx: Context) -> SyncResult:
    """One incremental sync (a full pull the first time), with progress."""

    def progress(p: SyncProgress) -> None:
        if p.stage.startswith("waiting"):  # another process syncs this cache: its result is used here
            ctx.waited_for = sync_holder(ctx.desk.db)
            ctx.out.note(f"Waiting for {ctx.waited_for} to finish syncing this cache; its result is used here…")
        elif p.total is None and not p.done:  # a step that counts nothing (yet): no "0 contacts"
            ctx.out.note(f"sync ({p.stage})…")
        else:
            ctx.out.progress(f"sync ({p.stage})", p.done, p.total, unit="contacts")

    sync = asyncio.ensure_future(ctx.desk.sync.run(progress))
    stop = asyncio.ensure_future(ctx.interrupted.wait())
    try:
        await asyncio.wait({sync, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    ctx.out.end_progress()
    if not sync.done():
        ctx.desk.sync.cancel()  # what was stored stays; the next sync resumes from there
        with contextlib.suppress(asyncio.CancelledError):
            await sync
        raise Interrupted()
    return sync.result()


async def run_sync(ctx: Context) -> int:
    result = await bring_up_to_date(ctx)
    new = await ctx.desk.db.call(lambda s: [s.get_contact(cid) for cid in result.new_optouts])
    new_rows = [r for r in new if r is not None]
    waiting = len(await ctx.desk.db.call(lambda s: s.pending()))
    out = ctx.out
    if result.reused:  # another process synced this cache meanwhile: what it found is this command's result
        did = (f"read all {result.contacts_read:,} contacts of the account" if result.full_pull else
               f"found {plural(result.contacts_read, 'contact')} changed and {plural(new_rows, 'new opt-out')}")
        out.say(f"Waited for {ctx.waited_for or 'another ccdesk process'}, which synced this cache meanwhile: "
                f"it {did}.")
    elif result.full_pull:
        cached = await ctx.desk.db.call(lambda s: s.count())
        if cached > result.contacts_read:  # a pull resumed after an interruption: part was read before
            out.say(f"First sync finished: all {cached:,} contacts of the account are in the cache "
                    f"({result.contacts_read:,} read now, the rest by the earlier, interrupted run).")
        else:
            out.say(f"First sync: read all {result.contacts_read:,} contacts of the account.")
    elif result.from_team:
        out.say(f"Brought up to date from the team's copy (no request to Constant Contact): "
                f"{plural(result.contacts_read, 'contact')} changed; {plural(new_rows, 'new opt-out')}.")
    else:
        out.say(f"Synced: {plural(result.contacts_read, 'contact')} changed since the last sync; "
                f"{plural(new_rows, 'new opt-out')}.")
    for row in new_rows[: ctx.args.show]:
        when = moment(row.opt_out_date, "date unknown", utc=True)
        reason = f": {row.opt_out_reason}" if row.opt_out_reason else ""
        out.say(f"  {row.email}  opted out {when} ({row.opt_out_source or 'source unknown'}){reason}")
    if len(new_rows) > ctx.args.show:
        out.say(f"  ... and {len(new_rows) - ctx.args.show:,} more (use --json for all).")
    if waiting:
        out.say(f"{plural(waiting, 'change')} made in ccdesk {is_are(waiting)} still waiting to be sent.")
    out.result({"command": "sync", "ok": True, "full_pull": result.full_pull, "from_team": result.from_team,
                "synced_by_other_process": ctx.waited_for if result.reused else None,
                "contacts_read": result.contacts_read, "new_optouts": [_optout_json(r) for r in new_rows],
                "changes_waiting": waiting,
                "finished_at": result.finished_at.isoformat() if result.finished_at else None})
    return Exit.OK


# --- export-optouts ---------------------------------------------------------------------------------------------

def parse_since(text: str) -> datetime:
    """A date (midnight UTC) or a date and time (UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None
    if len(text.strip()) <= 10:
        value = datetime.combine(value.date(), time(0))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def run_export(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    check_writable(args.out)  # before a sync that may take minutes
    if not args.no_sync:
        await bring_up_to_date(ctx)
    exporter = OptOutExporter(ctx.desk.db)
    path: Path = args.out
    safe: bool = args.spreadsheet_safe

    def progress(n: int) -> None:
        out.progress("export", n, unit="rows")

    if args.since is not None:
        since: datetime = args.since
        what = f"opt-outs since {moment(since, utc=True)}"
        result = await exporter.export_rows(path, lambda s: s.optouts(since=since), on_progress=progress,
                                            spreadsheet_safe=safe)
    else:
        result = await exporter.export_do_not_mail(path, only_new=args.since_last, on_progress=progress,
                                                   spreadsheet_safe=safe)
        what = ("the Do Not Mail list" if not args.since_last else
                "every opt-out: the first export to this file" if result.first else
                "new opt-outs since the last export to this file, and the rows of the last one, not yet collected"
                if result.carried else "new opt-outs since the last export to this file")
    out.end_progress()
    if result.kept:
        out.say(f"No new opt-outs since the last export to {path}; the file was left as it was.")
    else:
        out.say(f"Wrote {plural(result.rows, 'row')} ({what}) to {path}.")
        if result.carried:
            out.say(result.carried_note())
    if safe and not result.kept:
        out.say("Spreadsheet-safe: " + (result.marked_note()
                                        or "no cell needed marking; the email column is never changed."))
    out.result({"command": "export-optouts", "ok": True, "file": str(path), "rows": result.rows,
                "what": what, "newest_opt_out": result.newest_opt_out.isoformat() if result.newest_opt_out else None,
                "spreadsheet_safe": safe, "cells_marked": result.marked, "saved_at_ns": result.saved_ns,
                "file_left_as_it_was": result.kept, "rows_from_uncollected_file": result.carried})
    return Exit.OK


# --- unsubscribe / remove-from-list -----------------------------------------------------------------------------

def _print_preview(out: Output, preview: bulk.Preview, show: int, *, already_word: str,
                   sends_reasons: bool = False) -> None:
    c = preview.counts()
    out.say(f"{c['rows']:,} address(es) in the file: {c['to_change']:,} to change, {c['already']:,} {already_word}, "
            f"{c['unknown']:,} not in the account, {c['invalid']:,} not valid, {plural(c['duplicates'], 'duplicate')}.")
    if sends_reasons and (shortened := preview.reasons_shortened()):
        out.say(f"{plural(shortened, 'reason')} in the file ({line_numbers(shortened, 10)}) {is_are(shortened)} "
                f"longer than Constant Contact's {MAX_REASON_LENGTH} characters: sent shortened, ending in \u2026.")
    groups: list[tuple[str, list[str]]] = [
        ("to change", [r.email for r, _ in preview.to_change]),
        (already_word, [r.email for r, _ in preview.already]),
        ("deleted", [r.email for r, _ in preview.deleted]),
        ("not in the account", [r.email for r in preview.unknown]),
        ("not valid", [f"line {line}: {text}" for line, text in preview.invalid]),
    ]
    for title, items in groups:
        if not items:
            continue
        out.say(f"  {title}:")
        for item in items[:show]:
            out.say(f"    {item}")
        if len(items) > show:
            out.say(f"    ... and {len(items) - show:,} more (see --report or --json)")


async def _send(ctx: Context, outbox_ids: Sequence[int]) -> SendSummary:
    # Running the command again means "try again now": items from an earlier run skip their back-off.
    await ctx.desk.db.call(lambda s: s.due_now(outbox_ids))
    def progress(p: SendProgress) -> None:
        ctx.out.progress("sending", p.finished, p.total, unit="changes", seconds_left=p.seconds_left)

    summary = await see_through(ctx.desk, outbox_ids, send=True, wait_s=ctx.args.wait, on_progress=progress,
                                cancel=ctx.interrupted)
    ctx.out.end_progress()
    if summary.stopped_for == "cancelled":
        raise Interrupted()
    return summary


async def _finish_bulk(ctx: Context, command: str, preview: bulk.Preview, queued: bulk.Queued,
                       summary: SendSummary | None, done_word: str) -> int:
    args, out = ctx.args, ctx.out
    if summary is not None and summary.stopped_for == "local data":
        return _stopped_by_local_data(ctx, command, preview, summary)
    lines = await bulk.report(ctx.desk, preview, queued, done_word=done_word)
    report_problem = _save_report(ctx, lines)
    tally = dict(bulk.tally(lines))
    out.say(f"Result: {bulk.tally_text(lines)}.")
    failed = [line for line in lines if line.outcome == "failed"]
    for line in failed[: args.show]:
        out.say(f"  failed: {line.address}: {line.message}")
    code = Exit.OK
    if summary is not None and summary.stopped_for:
        out.warn(f"Stopped before the end ({summary.stopped_for}): {summary.message} "
                 f"{plural(summary.waiting, 'change')} stay queued and are sent by the next run or by the window.")
        code = {"quota": Exit.QUOTA_EXHAUSTED, "sign_in": Exit.NOT_SIGNED_IN}.get(summary.stopped_for, Exit.PARTIAL)
    if code == Exit.OK and (failed or tally.get("waiting")):
        code = Exit.PARTIAL
    if code == Exit.OK and report_problem:
        code = Exit.FAILED  # everything was sent, but the report asked for is missing
    out.result({"command": command, "ok": code == Exit.OK, "exit_code": int(code), "counts": preview.counts(),
                "outcomes": tally, "stopped_for": summary.stopped_for if summary else None,
                "report": str(args.report) if args.report and not report_problem else None,
                "report_error": report_problem,
                "lines": [{"address": x.address, "outcome": x.outcome, "message": x.message} for x in lines]})
    return code


def _stopped_by_local_data(ctx: Context, command: str, preview: bulk.Preview, summary: SendSummary) -> int:
    """The local file became unreadable mid-run: say how many were sent (not "nothing was changed")."""
    total = len(summary.done) + len(summary.failed) + len(summary.waiting)
    ctx.out.warn(f"Stopped: {summary.message.split(' Nothing was changed')[0]}")
    ctx.out.say(f"{len(summary.done):,} of {plural(total, 'change')} {was_were(summary.done)} sent before that; "
                f"{len(summary.failed):,} failed; {len(summary.waiting):,} stay queued and are sent by the next run "
                "or by the window (one of them may already have reached Constant Contact: the next run checks and "
                "sends nothing twice). "
                "No report could be written: the local data file could not be read.")
    ctx.out.result({"command": command, "ok": False, "exit_code": int(Exit.PARTIAL), "counts": preview.counts(),
                    "outcomes": {"sent": len(summary.done), "failed": len(summary.failed),
                                 "waiting": len(summary.waiting)},
                    "stopped_for": summary.stopped_for, "error": summary.message})
    return Exit.PARTIAL


def _dry_run(ctx: Context, command: str, preview: bulk.Preview, change_word: str, extra: dict[str, Any]) -> int:
    ctx.out.say("Dry run: nothing was sent.")
    problem = _save_report(ctx, bulk.preview_lines(preview, change_word=f"would be {change_word}"))
    ctx.out.result({**_preview_json(command, preview, extra), "ok": problem is None, "report_error": problem,
                    "report": str(ctx.args.report) if ctx.args.report and not problem else None})
    return Exit.FAILED if problem else Exit.OK


def _preview_json(command: str, preview: bulk.Preview, extra: dict[str, Any]) -> dict[str, Any]:
    return {"command": command, "ok": True, "dry_run": True, "counts": preview.counts(),
            **({"reasons_shortened": preview.reasons_shortened()} if command == "unsubscribe" else {}), **extra,
            "to_change": [r.email for r, _ in preview.to_change], "already": [r.email for r, _ in preview.already],
            "deleted": [r.email for r, _ in preview.deleted],
            "unknown": [r.email for r in preview.unknown],
            "invalid": [{"line": line, "text": text} for line, text in preview.invalid]}


def _save_report(ctx: Context, lines: Sequence[bulk.ReportLine]) -> str | None:
    """Save --report (whole or not at all); the problem in words if it could not be saved. The outcomes are
    printed either way: what was sent is never hidden by a report that failed."""
    if not ctx.args.report:
        return None
    try:
        bulk.save_report(ctx.args.report, lines)
    except UnwritableTarget as exc:
        ctx.out.warn(f"The report was not saved: {exc.message} The outcomes are listed here instead.")
        for line in lines[: max(ctx.args.show, 0)]:
            ctx.out.warn(f"  {line.address}: {line.outcome} ({line.message})")
        return exc.message
    ctx.out.say(f"Report saved to {ctx.args.report}.")
    return None


async def _read_file(ctx: Context) -> AddressFile:
    """Read the address file on a worker thread; Ctrl+C stops the read (it checks between lines)."""
    if ctx.args.report:
        check_writable(ctx.args.report)  # before anything is read or sent
    cancel = threading.Event()
    reading = asyncio.ensure_future(asyncio.to_thread(read_address_file, ctx.args.file, cancel))
    stop = asyncio.ensure_future(ctx.interrupted.wait())
    try:
        await asyncio.wait({reading, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    if not reading.done():
        cancel.set()
        with contextlib.suppress(ReadCancelled):
            await reading
        raise Interrupted()
    file = reading.result()
    ctx.out.say(f"Read {ctx.args.file} ({file.encoding}, column '{file.column}').")
    _show_other_encoding(ctx, file)
    return file


def _show_other_encoding(ctx: Context, file: AddressFile) -> None:
    """A file mixing UTF-8 and Windows-1252: show the lines read the other way, with the reason as it will be sent."""
    if not file.other_encoding_lines:
        return
    shown = set(file.other_encoding_lines[: max(ctx.args.show, 0)])
    ctx.out.say(f"  {plural(file.other_encoding_lines, 'line')} "
                f"{was_were(file.other_encoding_lines)} not UTF-8 and read as Windows-1252; "
                "check them as they will be sent:")
    for row in file.rows:
        if row.line in shown:
            ctx.out.say(f"    line {row.line}: {row.email}" + (f"  reason: {row.reason}" if row.reason else ""))


async def run_unsubscribe(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    reason = validate_reason(args.reason)  # before anything else: a bad reason must cost nothing
    asked_by: bulk.AskedBy = "Contact" if args.asked_by == "contact" else "Account"
    file = await _read_file(ctx)
    if file.unread_dates:
        out.warn(unread_dates_note(file.unread_dates))
    if not args.no_sync:
        await bring_up_to_date(ctx)
    preview = await bulk.preview_unsubscribe(ctx.desk, file)
    _print_preview(out, preview, args.show, already_word="already unsubscribed", sends_reasons=True)
    if args.dry_run:
        return _dry_run(ctx, "unsubscribe", preview, "unsubscribed", {"reason": reason, "asked_by": asked_by})
    queued = await bulk.queue_import(ctx.desk, preview, reason, asked_by)
    queued = await bulk.with_earlier(ctx.desk, preview, queued, [OutboxKind.UNSUBSCRIBE])
    summary = await _send(ctx, queued.outbox_ids) if queued.outbox_ids else None
    return await _finish_bulk(ctx, "unsubscribe", preview, queued, summary, "unsubscribed")


async def resolve_lists(ctx: Context, names: Sequence[str]) -> list[ListRow]:
    """Lists by name (case-insensitive) or id, read fresh from the account."""
    lists = [lst.raw async for lst in ctx.desk.client.iter_lists()]
    await ctx.desk.db.call(lambda s: s.upsert_lists(lists))
    known = await ctx.desk.db.call(lambda s: s.lists())
    found: list[ListRow] = []
    for name in names:
        wanted = name.strip().casefold()
        match = [row for row in known if row.list_id == name.strip() or row.name.strip().casefold() == wanted]
        if not match:
            available = ", ".join(sorted(row.name for row in known)[:30]) or "none"
            raise UnknownList(f"The account has no list named {name!r}. Lists: {available}.")
        found.append(match[0])
    return found


async def run_remove(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    file = await _read_file(ctx)
    lists = await resolve_lists(ctx, args.list)
    list_ids = [row.list_id for row in lists]
    names = ", ".join(row.name for row in lists)
    if not args.no_sync:
        await bring_up_to_date(ctx)
    preview = await bulk.preview_remove(ctx.desk, file, list_ids)
    out.say(f"Remove from: {names} (not an opt-out: they can be added back).")
    _print_preview(out, preview, args.show, already_word="not on the list")
    if args.dry_run:
        return _dry_run(ctx, "remove-from-list", preview, "removed", {"lists": names})
    queued = await bulk.queue_removals(ctx.desk, preview, list_ids)
    queued = await bulk.with_earlier(ctx.desk, preview, queued, list(LIST_REMOVALS))
    summary = await _send(ctx, queued.outbox_ids) if queued.outbox_ids else None
    return await _finish_bulk(ctx, "remove-from-list", preview, queued, summary, "removed")


COMMANDS = {"sync": run_sync, "export-optouts": run_export, "unsubscribe": run_unsubscribe,
            "remove-from-list": run_remove}
