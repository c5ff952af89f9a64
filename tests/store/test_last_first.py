"""A name typed "Last, First" (as CRMs and spreadsheets write it) finds the contact (issue 15, item 10)."""

from __future__ import annotations

import pytest

from ccdesk.store import DeskDatabase
from ccdesk.store import search as search_mod
from tests.store.test_search import found, people  # noqa: F401 - the people fixture


@pytest.mark.parametrize("cap", [0, 10_000])  # either query plan
def test_last_comma_first(people: DeskDatabase, cap: int, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(search_mod, "DRIVE_CAP", cap)
    assert found(people, "Smith, John") == {1}
    assert found(people, "smith,john") == {1}
    assert found(people, "Núñez, José") == {3}
    assert found(people, "Smith, Jo") == {1}  # a short first name: a word that starts with it
    assert people.count("Smith, Ann") == 1
    assert found(people, "Acme Corp,") == {1, 3, 8}
