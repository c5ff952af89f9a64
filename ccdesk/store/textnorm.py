"""Text folding for search and sorting, and turning a typed query into match terms.

Search approach (SQLite 3.40 ships FTS5 ``trigram`` but not its ``remove_diacritics`` option, which
arrived in 3.45): Python folds text itself (NFKD, combining marks dropped, a few letters that do not
decompose mapped, casefold), and the folded *search document* of a contact is indexed by a trigram
FTS5 table. The document puts two spaces before every word::

    "  josé  núñez  acme  jnunez@gmail.com"  ->  folded  "  jose  nunez  acme  jnunez@gmail.com"

A typed token of 3+ characters matches anywhere (``"unez"`` finds ``jnunez@...``); trigrams cannot
match 1–2 characters, so shorter tokens match the *start of a word* by looking up ``"  j"`` or
``" jo"`` - which are 3 characters once the leading spaces are included. Query tokens never contain
spaces, so the markers cannot be forged. Several tokens must all match (AND).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Letters that NFKD does not decompose into base letter + combining mark.
_EXTRA = str.maketrans(
    {
        "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
        "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d",
    }
)  # fmt: skip

WORD_MARK = "  "


def fold(text: str | None) -> str:
    """Fold for matching: no accents, no case, single spaces. ``"Zoë  ŁUKASZ"`` -> ``"zoe lukasz"``."""
    if not text:
        return ""
    if text.isascii():  # fast path: the bulk of a real account
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_document(values: Iterable[str | None]) -> str:
    """The folded text indexed for a contact: every word preceded by two spaces."""
    words = [w for v in values for w in fold(v).split(" ") if w]
    return "".join(WORD_MARK + w for w in words)


def sort_name(first_name: str | None, last_name: str | None, email: str | None) -> str:
    """Sort key: ``"1last first"``; contacts without a name sort after named ones (``"2email"``)."""
    name = fold(f"{last_name or ''} {first_name or ''}")
    if name:
        return "1" + name
    return "2" + fold(email)


def name_keys(first_name: str | None, last_name: str | None, company: str | None,
              email: str | None) -> tuple[str, str]:
    """`sort_name(first_name, last_name, email)` and `search_document((first_name, last_name, company, email))`
    with each value folded once (a first full read makes a million of them). A folded value is single-spaced,
    so its words marked are the value with every space doubled."""
    first, last, folded_email = fold(first_name), fold(last_name), fold(email)
    doc = "".join(WORD_MARK + f.replace(" ", WORD_MARK) for f in (first, last, fold(company), folded_email) if f)
    name = f"{last} {first}" if last and first else last or first
    return ("1" + name if name else "2" + folded_email), doc


@dataclass(frozen=True, slots=True)
class Needle:
    """One query token: the FTS5 phrase to match and the identical plain substring (for instr())."""

    substring: str

    @property
    def fts_phrase(self) -> str:
        return '"' + self.substring.replace('"', '""') + '"'


def parse_query(query: str | None) -> list[Needle]:
    """Split a typed query into needles. Duplicates are dropped; order is kept."""
    needles: list[Needle] = []
    seen: set[str] = set()
    for token in fold(query).split(" "):
        if not token:
            continue
        if len(token) == 1:
            sub = WORD_MARK + token
        elif len(token) == 2:
            sub = " " + token
        else:
            sub = token
        if sub not in seen:
            seen.add(sub)
            needles.append(Needle(sub))
    return needles


def fts_expression(needles: Iterable[Needle]) -> str:
    return " AND ".join(n.fts_phrase for n in needles)
