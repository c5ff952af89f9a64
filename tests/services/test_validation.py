"""Reason and email checks (no Qt)."""

from __future__ import annotations

import pytest

from ccdesk.services.validation import (
    MAX_EMAIL_LENGTH,
    MAX_REASON_LENGTH,
    InvalidInput,
    clean_reason,
    is_valid_email,
    validate_reason,
)


def test_limits_match_the_api() -> None:
    assert MAX_REASON_LENGTH == 255
    assert MAX_EMAIL_LENGTH == 80


def test_strips_outer_whitespace() -> None:
    assert validate_reason("   Asked by phone \u00a0 ") == "Asked by phone"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("line one\nline two", "line one line two"),
        ("line one\r\n\r\nline two", "line one line two"),
        ("a\tb", "a b"),
        ("a\u2028b\u2029c", "a b c"),  # Qt's line and paragraph separators
        ("\n\nleading and trailing\n", "leading and trailing"),
    ],
)
def test_line_breaks_and_tabs_become_single_spaces(raw: str, cleaned: str) -> None:
    assert clean_reason(raw) == cleaned
    assert validate_reason(raw) == cleaned


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_other_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_reason(f"Asked{bad} by phone")
    assert "control character" in info.value.message
    assert f"U+{ord(bad):04X}" in info.value.message


def test_empty_reason_is_refused_unless_allowed() -> None:
    with pytest.raises(InvalidInput, match="Please give a reason"):
        validate_reason(" \n\t ")
    assert validate_reason("  ", allow_empty=True) == ""


def test_length_limit_counts_code_points_after_cleaning() -> None:
    assert validate_reason("x" * 255) == "x" * 255
    assert validate_reason("  " + "x" * 255 + "\n") == "x" * 255
    with pytest.raises(InvalidInput) as info:
        validate_reason("x" * 256)
    assert "256 characters" in info.value.message
    assert "shorten it by 1" in info.value.message


def test_emoji_count_as_code_points() -> None:
    assert validate_reason("😀" * 255) == "😀" * 255
    family = "👨\u200d👩\u200d👧"  # looks like one character, is 5 code points
    assert len(clean_reason(family)) == 5
    with pytest.raises(InvalidInput):
        validate_reason("😀" * 256)


def test_rtl_text_direction_marks_and_joiners_are_kept() -> None:
    text = "\u200fطلبت إلغاء الاشتراك\u200e (by phone) 👍🏽"
    assert validate_reason(text) == text


def test_invalid_input_is_a_value_error_with_a_message() -> None:
    err = InvalidInput("plain words")
    assert isinstance(err, ValueError)
    assert err.message == "plain words"
    assert str(err) == "plain words"


@pytest.mark.parametrize(
    "email",
    ["ana@example.com", "a.b+tag@sub.example.co.uk", "josé@exämple.de", "x@y.io", "a" * 68 + "@example.com"],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ana",
        "@example.com",
        "ana@",
        "ana@localhost",
        "ana@@example.com",
        "ana@b@example.com",
        "ana @example.com",
        "ana@example .com",
        "ana@example.com\n",
        "ana@example..com",
        "ana@.example.com",
        "ana@example.com.",
        "ana\x00@example.com",
        "a" * 69 + "@example.com",  # 81 characters
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not is_valid_email(email)
