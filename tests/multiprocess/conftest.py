"""A keyring for the whole module (starting gnome-keyring takes a while) and a fresh desk per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .world import NoKeyring, keyring_bus


@pytest.fixture(scope="module")
def bus_address() -> Iterator[str]:
    try:
        with keyring_bus() as address:
            yield address
    except NoKeyring as exc:
        pytest.skip(str(exc))
