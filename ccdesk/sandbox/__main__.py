"""`python -m ccdesk.sandbox`: serve a sandbox until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence

from .config import SandboxConfig
from .oauth_apps import AppRegistry
from .server import SandboxServer


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ccdesk.sandbox", description="Local Constant Contact v3 emulator.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    p.add_argument("--contacts", type=int, default=200, help="seeded contacts (default 200)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate-limit", type=float, default=4.0, help="requests per second per client; 0 = off")
    p.add_argument("--daily-quota", type=int, default=10_000, help="requests per UTC day per client; 0 = off")
    p.add_argument("--token", action="append", default=[], help="a fixed access token to accept (repeatable)")
    p.add_argument("--activity-seconds", type=float, default=1.0, help="how long bulk activities take")
    p.add_argument("--auto-approve", action="store_true", help="OAuth: approve sign-ins without a consent page")
    p.add_argument("--refresh-tokens", choices=("rotating", "long-lived"), default="rotating")
    p.add_argument("--token-lifetime", type=float, default=86400, help="access token lifetime in seconds")
    p.add_argument("--resubscribe-state", choices=("pending_confirmation", "unsubscribed"),
                   default="pending_confirmation",
                   help="a contact's permission_to_send after a resubscribe request, until it confirms")
    p.add_argument("--link-ttl", type=float, default=0.0, metavar="S",
                   help="_links.next cursors older than S seconds answer 400 (0 = never)")
    p.add_argument("--contact-optout-overrides-account", action="store_true",
                   help="a contact's own unsubscribe PUT on an Account opt-out records Contact as the source")
    p.add_argument("--app", action="append", default=[], metavar="ID=pkce:URI[,URI]|ID=device",
                   help="register an app for one flow (repeatable); without --app any client id is accepted")
    p.add_argument("--new-sign-in-expires-old", action="store_true",
                   help="with rotating refresh tokens, a new sign-in expires the app's earlier refresh tokens")
    p.add_argument("--token-rate-limit", type=float, default=0.0, metavar="R",
                   help="token endpoint requests per second per app (the real one allows about 1); 0 = off")
    p.add_argument("--token-fault", choices=("429", "temporarily_unavailable"), default="429",
                   help="what --token-fault-next answers")
    p.add_argument("--token-fault-next", type=int, default=0, metavar="K",
                   help="the next K token-endpoint requests are refused with --token-fault")
    p.add_argument("--account-optout-final", action="store_true",
                   help="the account may not add back a contact it opted out itself (default: it may, as the "
                        "spec's opt_out_source says)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    p.add_argument("--fault-5xx", type=int, default=0, metavar="K", help="the next K requests get a 5xx")
    p.add_argument("--fault-5xx-status", type=int, default=503, choices=(500, 502, 503, 504))
    p.add_argument("--fault-429", type=int, default=0, metavar="K", help="the next K requests get 429 throttled")
    p.add_argument("--retry-after", type=int, default=0, metavar="S",
                   help="send Retry-After: S with every 429 throttled (0 = no header, as documented)")
    p.add_argument("--fault-drop", type=int, default=0, metavar="K", help="drop the next K connections")
    p.add_argument("--fault-drop-after", type=int, default=0, metavar="K",
                   help="handle the next K requests, then drop the connection without answering")
    p.add_argument("--fault-malformed", type=int, default=0, metavar="K", help="truncate the next K bodies")
    p.add_argument("--fault-cut", type=int, default=0, metavar="K",
                   help="handle the next K requests, then drop the connection halfway through the answer")
    p.add_argument("--fault-html", type=int, default=0, metavar="K", help="the next K get a proxy's HTML 502")
    p.add_argument("--refresh-reuse-revokes", action="store_true",
                   help="a rotated refresh token used again ends its whole chain (Okta's rotation)")
    p.add_argument("--delete-keeps-updated-at", action="store_true",
                   help="a deleted contact keeps its updated_at (updated_after does not find deletes)")
    p.add_argument("--read-only-user", action="store_true",
                   help="the signed-in user may read contacts but not change them (writes are 403)")
    p.add_argument("--bare-write-answers", action="store_true",
                   help="PUT and POST /contacts answer without sub-resources (lists, custom fields...)")
    p.add_argument("--fault-only", default="", metavar="REGEX", help='faults only for "METHOD /path" matches')
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    config = SandboxConfig(
        contacts=a.contacts, seed=a.seed, rate_limit=a.rate_limit, daily_quota=a.daily_quota, tokens=a.token,
        activity_seconds=a.activity_seconds, auto_approve=a.auto_approve, refresh_tokens=a.refresh_tokens,
        token_lifetime_s=a.token_lifetime, resubscribe_state=a.resubscribe_state, link_ttl_s=a.link_ttl,
        contact_optout_overrides_account=a.contact_optout_overrides_account,
        apps=a.app, new_sign_in_expires_old=a.new_sign_in_expires_old,
        token_rate_limit=a.token_rate_limit, token_fault=a.token_fault, token_fault_next=a.token_fault_next,
        account_optout_readd=not a.account_optout_final,
        write_answers_with_subresources=not a.bare_write_answers, refresh_reuse_revokes=a.refresh_reuse_revokes,
        delete_moves_updated_at=not a.delete_keeps_updated_at, user_may_write=not a.read_only_user,
    )
    started = time.perf_counter()
    try:
        AppRegistry(config.apps)
    except ValueError as exc:
        print(f"python -m ccdesk.sandbox: {exc}", file=sys.stderr)
        return 2
    server = SandboxServer(config, host=a.host, port=a.port)
    server.sandbox.faults.update({
        "latency_ms": a.latency_ms, "error_next": a.fault_5xx, "error_status": a.fault_5xx_status,
        "throttle_next": a.fault_429, "drop_next": a.fault_drop, "drop_after_next": a.fault_drop_after,
        "malformed_next": a.fault_malformed, "cut_next": a.fault_cut, "html_next": a.fault_html, "only": a.fault_only,
        "retry_after": a.retry_after,
    })
    server.start()
    print(f"ccdesk sandbox serving {server.api_base} ({a.contacts} contacts, seed {a.seed})", flush=True)
    print(f"ready in {time.perf_counter() - started:.1f} s; controls at {server.base_url}/_sandbox/",
          file=sys.stderr, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
