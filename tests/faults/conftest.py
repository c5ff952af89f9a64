"""Shared fixtures: the services tests' sandbox starter."""

from tests.services.conftest import start_server  # noqa: F401 - re-exported fixture
