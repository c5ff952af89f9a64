"""Checks on what staff type before it goes to Constant Contact: opt-out reasons and email addresses.

Plain Python (no Qt), so dialogs, services and tests share one definition. Messages are written for the
marketing staff who will read them, not for developers.

Lengths are counted the way the API counts them: Python ``len()``, i.e. Unicode code points. An emoji such
as "😀" is 1, a flag such as "🇨🇦" is 2 and a family emoji joined with zero-width joiners can be 7, even though
each looks like one character. (Constant Contact documents the limits only as "characters"; we take that as
code points. If the live service counts UTF-16 code units instead, a reason full of emoji would be refused
there with a 400, which the caller shows; nothing is lost.)
"""

from __future__ import annotations

import unicodedata

from ccdesk.api.models import MAX_REASON_LENGTH

__all__ = ["MAX_EMAIL_LENGTH", "MAX_REASON_LENGTH", "InvalidInput", "clean_reason", "is_valid_email",
           "validate_reason"]

MAX_EMAIL_LENGTH = 80
"""``EmailAddress.address`` is at most 80 characters in the v3 API."""

# Line and tab characters a reason may contain when pasted from an email or a document. An opt-out reason is a
# single line in Constant Contact (and in CSV exports), so each run of them becomes one space rather than
# being refused: refusing a pasted paragraph would only make staff retype it.
_LINE_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"


class InvalidInput(ValueError):
    """Input that cannot be sent as it is. ``message`` is a plain-words sentence to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean_reason(text: str) -> str:
    """The reason as it would be sent: line breaks and tabs become single spaces, outer whitespace goes.

    Never raises; use :func:`validate_reason` to also check it. ``len(clean_reason(t))`` is what the live
    counter in the unsubscribe dialog shows.
    """
    if any(ch in _LINE_BREAKS for ch in text):
        out: list[str] = []
        for ch in text:
            if ch in _LINE_BREAKS:
                if not out or out[-1] != " ":
                    out.append(" ")
            else:
                out.append(ch)
        text = "".join(out)
    return text.strip()


def _first_control_character(text: str) -> str | None:
    """The first character of general category Cc (C0, DEL, C1 controls), if any."""
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            return ch
    return None


def validate_reason(text: str, *, allow_empty: bool = False) -> str:
    """Return the cleaned reason (see :func:`clean_reason`) or raise :class:`InvalidInput`.

    Refused: an empty reason (unless ``allow_empty``), invisible control characters other than line breaks
    and tabs (for example a NUL or an escape character pasted from another program), and anything longer than
    255 characters once cleaned. Right-to-left text, emoji, zero-width joiners and direction marks are kept.
    """
    cleaned = clean_reason(text)
    if not cleaned and not allow_empty:
        raise InvalidInput("Please give a reason, for example \u201cAsked by phone\u201d.")
    bad = _first_control_character(cleaned)
    if bad is not None:
        raise InvalidInput(
            f"The reason contains an invisible control character (U+{ord(bad):04X}), probably from a paste. "
            "Please retype the reason."
        )
    # len() counts code points, which is how the API counts (see the module docstring).
    if len(cleaned) > MAX_REASON_LENGTH:
        extra = len(cleaned) - MAX_REASON_LENGTH
        raise InvalidInput(
            f"The reason is {len(cleaned)} characters long. Constant Contact accepts at most "
            f"{MAX_REASON_LENGTH}, so please shorten it by {extra}."
        )
    return cleaned


_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zs", "Zl", "Zp"})


def _looks_wrong(ch: str) -> bool:
    if ch.isascii():
        return ch.isspace() or not ch.isprintable()
    return (ch.isspace() or unicodedata.category(ch) in _REFUSED_CATEGORIES
            or unicodedata.east_asian_width(ch) in ("F", "H"))


def is_valid_email(text: str) -> bool:
    """A practical check, not RFC 5322: would Constant Contact plausibly accept this address?

    True when there is exactly one ``@``, a non-empty part before it, a domain with at least one dot and no
    empty label (``a@b..com`` fails), no whitespace or control characters anywhere, and at most 80 characters
    (the API's limit, counted in code points). International letters are allowed on both sides.

    Characters that make an address look like another one are refused: invisible format characters (zero-width
    space and joiners, the BOM, soft hyphen, right-to-left overrides and marks: category Cf), full-width and
    half-width forms (``ａｌｉｃｅ＠example.com``, category "F"/"H" in Unicode's East Asian width, which NFKC
    would turn into a different address), private-use, surrogate and unassigned code points.
    """
    if not text or len(text) > MAX_EMAIL_LENGTH:
        return False
    if any(_looks_wrong(ch) for ch in text):
        return False
    if text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if not local or "." not in domain:
        return False
    return all(domain.split("."))
