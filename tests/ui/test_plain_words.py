"""No jargon in what staff read: no exception class names, no "keyring: memory", no "requests today" (15.10)."""

from __future__ import annotations

import re
import socket

import pytest
from PySide6.QtWidgets import QLabel

from ccdesk.api import ApiError, CCClient, RetryPolicy, StaticTokenProvider
from ccdesk.preferences import Preferences
from ccdesk.services.scheduler import QuotaStatus
from ccdesk.ui.main_window import MainWindow
from ccdesk.ui.preferences_dialog import PreferencesDialog
from tests.ui.test_window_ux import window  # noqa: F401 - the window fixture

CLASS_NAME = re.compile(r"\([A-Z][a-z]+[A-Z]\w*\)")  # "(ConnectError)", "(ReadTimeout)"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_server_is_said_without_class_names() -> None:
    client = CCClient(StaticTokenProvider("t"), base_url=f"http://127.0.0.1:{closed_port()}/v3",
                      retry=RetryPolicy(attempts=1))
    with pytest.raises(ApiError) as caught:
        await client.get_contact("00000000-0000-0000-0000-000000000001")
    await client.aclose()
    assert "Could not reach Constant Contact" in caught.value.message
    assert not CLASS_NAME.search(caught.value.message), caught.value.message


def test_the_daily_allowance_in_plain_words(window: MainWindow) -> None:  # noqa: F811
    window.desk.scheduler.quota.emit(QuotaStatus(used=1234, limit=10000))
    text = window.status.quota_label.text()
    assert "1,234" in text and "10,000" in text
    assert "requests today" not in text


@pytest.mark.parametrize("backend", ["memory (this session only)", "keyring.backends.SecretService.Keyring"])
def test_settings_say_where_the_sign_in_is_kept_in_plain_words(qtbot, backend: str) -> None:
    dialog = PreferencesDialog(Preferences(), signed_in_as="you", keyring_backend=backend)
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "Signed in." in texts
    assert "keyring" not in texts.lower() and "memory" not in texts and "backends" not in texts
