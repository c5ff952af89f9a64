"""Real processes on one desk: `ccdesk sync` started four at a time after the access token expired, with rotating
refresh tokens, the token endpoint limited to one request a second and new sign-ins expiring old chains. Before
the shared chain, all but one process got invalid_grant and wiped the keyring (every later command exited 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SecretService
from .multiprocess_desk import shared_desk

pytestmark = [pytest.mark.keyring, pytest.mark.slow]


@pytest.mark.parametrize("reuse_revokes", [False, True], ids=["reuse-refused", "reuse-ends-chain"])
def test_concurrent_syncs_on_an_expired_token_stay_signed_in(tmp_path: Path, secret_service: SecretService,
                                                             reuse_revokes: bool) -> None:
    """Under both readings of a rotated refresh token used again (docs/sandbox.md): where reuse ends the chain,
    a process that spent a rotated token would sign every process out."""
    with shared_desk(tmp_path / "home", secret_service.bus_address, refresh_reuse_revokes=reuse_revokes) as desk:
        before = 0
        for _ in range(3):
            desk.expire_access_tokens()
            result = desk.sync_at_once(4)
            assert result.exit_codes == [0, 0, 0, 0], "\n".join(result.stderr)
            # Usually one refresh request per round (the others use the saved set); on a loaded machine a
            # process may read the keyring just before the new set lands, spend its dead token once
            # (invalid_grant), re-read and use the new set: still nobody is signed out.
            assert 1 <= desk.refreshes() - before <= 4
            before = desk.refreshes()
        assert desk.status() == 0
        # The token endpoint (1 request/s here) is never tripped by the desk's one refresh a round; only a
        # process that spent its dead set on the loaded-machine path above may be refused (429, temporary:
        # it re-reads the keyring and goes on, as the exit codes show).
        extra_refreshes = desk.refreshes() - 3
        assert desk.server.sandbox.tokens.oauth.limits.refused <= extra_refreshes


def test_window_like_process_and_cli_syncs_share_the_chain(tmp_path: Path, secret_service: SecretService) -> None:
    """The window stays open (and keeps syncing) while scheduled `ccdesk sync` runs come and go and the access
    token expires under all of them: nobody is signed out."""
    import time

    with shared_desk(tmp_path / "home", secret_service.bus_address, contacts=4000) as desk:
        window = desk.start_window_like(seconds=20)
        try:
            for _ in range(3):
                time.sleep(1.0)
                result = desk.sync_at_once(2, expire_after=2.0)  # expires while all three are mid-sync
                assert result.exit_codes == [0, 0], "\n".join(result.stderr)
            out, err = window.communicate(timeout=120)
        finally:
            if window.poll() is None:
                window.kill()
                window.communicate()
        assert window.returncode == 0, out + err
        assert "signed out" not in out and out.count("synced") >= 3
        assert desk.refreshes() >= 1 and desk.status() == 0  # how many depends on timing


def test_a_chain_ended_elsewhere_says_what_to_do(tmp_path: Path, secret_service: SecretService) -> None:
    """A new sign-in with the same app on another desk ends this desk's chain: every process stops with exit 3
    and the plain message, none with a traceback."""
    import asyncio
    import time

    from ccdesk.bootstrap.demo import signed_in_to_sandbox

    from .multiprocess_desk import CLIENT_ID

    with shared_desk(tmp_path / "home", secret_service.bus_address) as desk:
        time.sleep(1.1)  # the token endpoint takes about one request a second per app
        asyncio.run(signed_in_to_sandbox(desk.server, CLIENT_ID))  # another desk, its own keyring
        desk.expire_access_tokens()
        result = desk.sync_at_once(3)
        assert result.exit_codes == [3, 3, 3]
        for err in result.stderr:
            assert "sign-in has ended" in err and "ccdesk sign-in" in err and "Traceback" not in err, err
        assert desk.status() == 3
