"""The three action dialogs (unsubscribe, request resubscribe, remove from lists) and what they share.

Modules: ``requests`` (what a dialog is given and gives back), ``widgets`` (shared labels, notices, lists),
``base`` (``ActionDialog``: size, accept guard, result), one module per dialog. This package re-exports the
dialogs and their requests; the widget helpers are imported from ``widgets``.

The dialogs only collect and check input: no network, no database. Each returns a frozen request dataclass from
``result_request()`` (None when cancelled) and the caller hands it to the services layer.

Wording rules shared by all three:
- Unsubscribe is account-wide and permanent from our side; removing from lists is per list and reversible;
  resubscribing is something only the contact can do, by clicking Constant Contact's one-time email.
- A disabled OK button always has a line next to it that says what is still missing.
- Buttons for actions that ccdesk cannot undo are never pressed by a stray Enter in a text box.
"""

from __future__ import annotations

from .add_lists import AddBackDialog
from .base import ActionDialog
from .remove_lists import RemoveFromListsDialog
from .requests import ContactChoice, RemoveFromListsRequest, ResubscribeRequest, UnsubscribeRequest
from .resubscribe import ResubscribeDialog
from .unsubscribe import UnsubscribeDialog

__all__ = [
    "ActionDialog",
    "AddBackDialog",
    "ContactChoice",
    "RemoveFromListsDialog",
    "RemoveFromListsRequest",
    "ResubscribeDialog",
    "ResubscribeRequest",
    "UnsubscribeDialog",
    "UnsubscribeRequest",
]
