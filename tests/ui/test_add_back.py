"""'Remove from lists' has its way back: 'Add back to lists', never for an unsubscribed contact (15.10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccdesk.api import ValidationError, build_put_body
from ccdesk.sandbox.server import SandboxServer
from ccdesk.services.add_back import add_to_lists, queue_add_back
from ccdesk.services.validation import InvalidInput
from ccdesk.ui.dialogs.add_lists import AddBackDialog
from tests.ui.test_window_e2e import find, mailable_with_lists, running, sandbox_options, sb  # noqa: F401 - fixture
from tests.ui.waiting import Outcomes, until


async def test_a_removed_contact_is_added_back(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid, lists = contact["contact_id"], contact["list_memberships"]
        outcomes = Outcomes(app.desk.worker)
        removal = await app.desk.actions.remove_from_lists([cid], [lists[0]])
        # The sender patches the copy before it marks the item done (two transactions): waiting for the copy
        # alone let the dialog open before the removal counted as "done here", with nothing ticked (under load).
        assert (await outcomes.of(removal.outbox_ids[0])).ok
        assert lists[0] not in app.reader.get_contact(cid).list_ids
        find(app, contact["email_address"]["address"])
        assert app.window.contacts.details.add_back_button.isEnabled()
        dialog = app.window.actions_part.add_back_selected()
        assert isinstance(dialog, AddBackDialog)
        assert dialog.chosen_ids() == (lists[0],)  # the list this desk removed starts ticked
        assert dialog.lists_widget.count() == 1  # and is the only one offered: no list they were never on
        assert dialog.ok_button.isEnabled()
        dialog.accept()
        await until(lambda: len(outcomes.final) == 2)  # the add-back's own outcome (its id is the dialog's)
        assert all(o.ok for o in outcomes.final.values())
        after = sb(server).contact_json(cid)
        assert sorted(after["list_memberships"]) == sorted(lists)
        assert after["email_address"]["permission_to_send"] == contact["email_address"]["permission_to_send"]


async def test_never_for_an_unsubscribed_contact(server: SandboxServer, tmp_path: Path) -> None:
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid = contact["contact_id"]
        spare = next(lst["list_id"] for lst in sb(server).lists() if lst["list_id"] not in contact["list_memberships"])
        unsub = sb(server).contact_ids(status="unsubscribed")[0]
        find(app, sb(server).contact_json(unsub)["email_address"]["address"])
        assert not app.window.contacts.details.add_back_button.isEnabled()
        assert app.window.actions_part.add_back_selected() is None
        with pytest.raises(InvalidInput):
            await queue_add_back(app.desk, unsub, [spare])
        # The local copy says mailable, but the contact has just unsubscribed: the server's word wins.
        sb(server).contact_unsubscribes(cid, "No more")
        with pytest.raises(ValidationError):
            await add_to_lists(app.desk.client, cid, [spare])
        assert spare not in sb(server).contact_json(cid)["list_memberships"]


async def test_greyed_while_an_unsubscribe_is_waiting(server: SandboxServer, tmp_path: Path) -> None:
    """An unsubscribe queued and not sent yet outranks the cached 'mailable': no way to add them back meanwhile,
    neither the button (greyed, the tooltip says why) nor the Contact menu (a status-bar message says why)."""
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid = contact["contact_id"]
        outcomes = Outcomes(app.desk.worker)
        removal = await app.desk.actions.remove_from_lists([cid], [contact["list_memberships"][0]])
        assert (await outcomes.of(removal.outbox_ids[0])).ok
        find(app, contact["email_address"]["address"])
        details = app.window.contacts.details
        assert details.add_back_button.isEnabled()  # taken off a list by this desk: there is a list to add back to
        app.desk.worker.pause("held by the test")  # the unsubscribe stays queued
        queued = await app.desk.actions.unsubscribe([cid], "Asked by phone", "Contact")
        app.window.after_change()
        assert str(app.reader.get_contact(cid).status) == "mailable"  # the copy still says mailable
        assert not details.add_back_button.isEnabled()
        assert "unsubscribe of this contact is waiting" in details.add_back_button.toolTip()
        said: list[str] = []
        app.window.actions_part.message.connect(lambda text, _ms: said.append(text))
        assert app.window.actions_part.add_back_selected() is None
        assert said and "waiting to send" in said[0]
        assert not app.reader.pending(cid, "add_to_lists")
        app.desk.worker.resume()  # and once the sender goes on, the unsubscribe is sent
        assert (await outcomes.of(queued.outbox_ids[0])).ok


async def test_greyed_when_this_desk_took_them_off_no_list(server: SandboxServer, tmp_path: Path) -> None:
    """A contact on lists whom this desk never removed has nothing to add back: the button is greyed (the
    tooltip says why) and the Contact menu's way in adds them to no list, it says why instead."""
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid = contact["contact_id"]
        find(app, contact["email_address"]["address"])
        button = app.window.contacts.details.add_back_button
        assert not button.isEnabled()
        assert "Nothing to add back" in button.toolTip()
        said: list[str] = []
        app.window.actions_part.message.connect(lambda text, _ms: said.append(text))
        assert app.window.actions_part.add_back_selected() is None
        assert said and "Nothing to add back" in said[0]
        assert not app.reader.pending(cid, "add_to_lists")


async def test_a_contact_on_no_list_may_go_back_on_any(server: SandboxServer, tmp_path: Path) -> None:
    """The "removed" state (on no list, taken off elsewhere too): every list is offered, none ticked."""
    async with running(server, tmp_path / "cache.sqlite3") as app:
        contact = mailable_with_lists(server)
        cid = contact["contact_id"]
        outcomes = Outcomes(app.desk.worker)
        removal = await app.desk.actions.remove_from_lists([cid], contact["list_memberships"][:1])
        assert (await outcomes.of(removal.outbox_ids[0])).ok
        now = await app.desk.client.get_contact(cid)  # the rest taken off in Constant Contact, not by this desk
        await app.desk.client.put_contact(cid, build_put_body(now, "Account", list_memberships=[]))
        await app.desk.sync.run()
        assert str(app.reader.get_contact(cid).status) == "removed"
        find(app, contact["email_address"]["address"])
        assert app.window.contacts.details.add_back_button.isEnabled()
        dialog = app.window.actions_part.add_back_selected()
        assert isinstance(dialog, AddBackDialog)
        assert dialog.lists_widget.count() == len(app.desk.reads.lists())
        assert dialog.chosen_ids() == tuple(contact["list_memberships"][:1])
        dialog.reject()
