"""Shared fixtures: the services tests' sandbox starter."""

from tests.services.conftest import resubscribe_state, start_server  # noqa: F401 - re-exported fixtures
