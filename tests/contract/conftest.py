"""The contract tests run on the sandbox tests' in-process sandbox (`app`, `sandbox`, `client` on a `clock`),
with more contacts."""

import pytest

from ccdesk.sandbox.app import SandboxConfig
from tests.sandbox.conftest import TOKEN, app, client, clock, sandbox  # noqa: F401 - shared fixtures
from tests.sandboxes import FakeClock


@pytest.fixture
def config(clock: FakeClock) -> SandboxConfig:  # noqa: F811 - the fixture, used
    return SandboxConfig(contacts=600, seed=11, rate_limit=0, tokens=[TOKEN], clock=clock)
