"""Shared fixtures: the services tests' sandbox options (tests/conftest.py starts the sandboxes)."""

from tests.services.conftest import resubscribe_state, sandbox_options  # noqa: F401 - re-exported fixtures
