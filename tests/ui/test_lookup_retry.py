"""An exact address not found in Constant Contact is asked again later, not remembered as missing (15.10)."""

from __future__ import annotations

from pathlib import Path

from ccdesk.sandbox.server import SandboxServer
from tests.ui.test_window_e2e import running, sandbox_options, sb  # noqa: F401 - the sandbox fixture
from tests.ui.waiting import until


async def test_not_found_is_asked_again(server: SandboxServer, tmp_path: Path) -> None:
    address = "new.person@late-signup.example"
    async with running(server, tmp_path / "cache.sqlite3") as app:
        window = app.window
        window.contacts.search_edit.setText(address)
        window.contacts.apply_query()
        await until(lambda: "No contact with the address" in window.statusBar().currentMessage())
        contact_id = sb(server).add_contact(email_address={"address": address, "permission_to_send": "implicit"})
        window.statusBar().clearMessage()
        window.contacts.search_edit.setText("new.person")  # the user edits the search, then types the address again
        window.contacts.apply_query()
        window.contacts.search_edit.setText(address)
        window.contacts.apply_query()
        await until(lambda: window.contacts.model.total == 1)
        assert window.contacts.model.row(0).contact_id == contact_id
