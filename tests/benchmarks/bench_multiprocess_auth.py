"""Many processes, one sign-in chain: rounds of N `ccdesk sync` started at once after the access token expired,
with rotating refresh tokens, new sign-ins expiring old chains and the token endpoint at about one request a
second (the real limit). Counts the processes left signed out (goal 0) and the refresh requests per round."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from tests.auth.keyring_service import KeyringUnavailable, private_secret_service
from tests.auth.multiprocess_desk import shared_desk

Row = tuple[str, float | None, str, str, str]


def bench_multiprocess_auth(rounds: int = 5, processes: int = 4) -> list[Row]:
    try:
        with ExitStack() as stack:
            service = stack.enter_context(private_secret_service())
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="ccdesk-mp-auth-"))
            desk = stack.enter_context(shared_desk(Path(tmp) / "home", service.bus_address))
            for _ in range(rounds):
                desk.expire_access_tokens()
                desk.sync_at_once(processes)
            signed_out = sum(r.signed_out for r in desk.rounds)
            failed = sum(1 for r in desk.rounds for c in r.exit_codes if c != 0)
            refreshes = desk.refreshes()
            still = desk.status() == 0
            refused = desk.server.sandbox.tokens.oauth.limits.refused
    except KeyringUnavailable as exc:
        return [("multiprocess_signed_out", None, "processes", "0", f"skipped: {exc}")]
    note = (f"{rounds} rounds x {processes} concurrent `ccdesk sync` on an expired token; {refreshes} refresh "
            f"request(s) in all, {refused} refused by the token endpoint's limit, {failed} process(es) failed, "
            f"desk {'still' if still else 'NOT'} signed in afterwards")
    return [("multiprocess_signed_out", float(signed_out), "processes", "0", note)]


if __name__ == "__main__":
    for row in bench_multiprocess_auth():
        print(row)
