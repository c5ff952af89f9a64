"""A cheaper read of a long word's matches: its two rarest trigrams as candidates, checked against the row.

FTS5 answers a trigram phrase ("oscorp": osc sco cor orp at consecutive positions) by reading the whole doclist of
every trigram in it. "cor" and "orp" are in 462,000 of a million documents (every "corp" address), so the phrase
cost 18 ms for its 23,000 matches. The two rarest of its trigrams, ANDed without positions, are read in 5 ms and
hold every match plus a few documents that have both trigrams elsewhere; those are dropped when the page's rows are
read, by the same test the walking plan makes (the folded text holds the word). Which trigrams are rarest is
estimated from the oldest contacts, as the plan's sample is; a wrong guess costs time, never rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from ccdesk.store.textnorm import Needle

TRIGRAMS_KEPT = 2
CANDIDATE_WORDS = 4
LONGEST = 24  # characters of a word read as candidates; a longer one is read as it is (a pasted address)
SHARES_KEPT = 4_096  # trigrams remembered per reader (a few bytes each); forgotten all at once beyond that


def trigrams(word: str) -> list[str]:
    return [word[i:i + 3] for i in range(len(word) - 2)]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def candidate_expressions(needles: Sequence[Needle], share: Callable[[str], float]) -> list[str]:
    """FTS5 expressions matching every document the needles' phrases match, cheapest to read first: each word's two,
    three, then four rarest trigrams (``share`` estimates how common a trigram is). A word of up to two trigrams is
    read as it is; none when no word is longer."""
    # Which words: of three trigrams or more, at most CANDIDATE_WORDS of them and none longer than LONGEST (each
    # trigram's share costs an FTS count the first time: a pasted paragraph took 120 ms before).
    chosen = [len(trigrams(n.substring)) >= 3 and len(n.substring) <= LONGEST for n in needles]
    for i in [i for i, c in enumerate(chosen) if c][CANDIDATE_WORDS:]:
        chosen[i] = False
    if not any(chosen):
        return []
    ordered = [sorted(set(trigrams(n.substring)), key=lambda g: (share(g), g)) if c else []
               for n, c in zip(needles, chosen, strict=True)]
    expressions: list[str] = []
    for kept in range(TRIGRAMS_KEPT, TRIGRAMS_KEPT + 3):
        parts = [" AND ".join(map(_phrase, grams[:kept])) if c else needle.fts_phrase
                 for needle, grams, c in zip(needles, ordered, chosen, strict=True)]
        expression = " AND ".join(parts)
        if expression not in expressions:
            expressions.append(expression)
    return expressions


def holds_every_word(search_doc: str | None, needles: Sequence[Needle]) -> bool:
    """The exact test a candidate must pass: the same as instr(search_doc, word) > 0 for each word."""
    return search_doc is not None and all(needle.substring in search_doc for needle in needles)


class TrigramShares:
    """How common each trigram is among the oldest contacts, remembered per reader. Only plans depend on it, so a
    value that has aged (contacts written since) costs time, never rows."""

    def __init__(self) -> None:
        self._shares: dict[str, float] = {}

    def share(self, conn: sqlite3.Connection, gram: str, bound: int, rows: int) -> float:
        """Share of the `rows` contacts with rowid up to `bound` whose text holds `gram`."""
        known = self._shares.get(gram)
        if known is not None:
            return known
        if len(self._shares) >= SHARES_KEPT:
            self._shares.clear()
        found = conn.execute("SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH ? AND rowid <= ?",
                             (_phrase(gram), bound)).fetchone()[0]
        self._shares[gram] = value = int(found) / max(1, rows)
        return value
