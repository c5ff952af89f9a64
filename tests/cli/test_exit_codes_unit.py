"""What the command line says for an exception (cli/main.py `_code_for`): its own refusals in their own words,
anything else as an unexpected problem, never a bare key."""

from __future__ import annotations

from ccdesk.cli.commands import UnknownList
from ccdesk.cli.exit_codes import Exit
from ccdesk.cli.main import _code_for


def test_an_unknown_list_is_said_in_its_own_words() -> None:
    assert _code_for(UnknownList("The account has no list named 'X'. Lists: A.")) == (
        Exit.FAILED, "The account has no list named 'X'. Lists: A.")


def test_a_stray_key_error_is_an_unexpected_problem_not_a_bare_key() -> None:
    code, message = _code_for(KeyError("list_id"))
    assert code == Exit.FAILED and message.startswith("ccdesk stopped because of an unexpected problem (KeyError)")
