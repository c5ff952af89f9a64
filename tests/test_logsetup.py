"""The log file: rotating, owner-only, and no tokens, codes or full email addresses in it."""

from __future__ import annotations

import logging
import stat

from ccdesk import logsetup


def test_redaction_of_tokens_codes_and_emails() -> None:
    text = logsetup.redact("Authorization: Bearer abcDEF123456789 refresh_token=xyz98765432100 "
                           "code=AbCdEfGh12345 eyJhbGciOi.eyJzdWIiOiIx.sig_part jane.doe@example.com")
    for secret in ("abcDEF123456789", "xyz98765432100", "AbCdEfGh12345", "eyJhbGciOi", "jane.doe@"):
        assert secret not in text
    assert "j…@example.com" in text


def test_log_file_is_owner_only_and_redacted() -> None:
    path = logsetup.configure(logging.INFO, to_stderr=False)
    try:
        logging.getLogger("ccdesk.test").info("sent for alice@example.org with Bearer SECRET-TOKEN-VALUE-123")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_text(encoding="utf-8")
        assert "SECRET-TOKEN-VALUE-123" not in content and "alice@" not in content
        assert "a…@example.org" in content
    finally:
        logging.getLogger().handlers.clear()
