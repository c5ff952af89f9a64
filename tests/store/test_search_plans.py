"""The cheaper ways to a text query's first page give exactly the page SQL gives: candidates read from a word's
rarest trigrams (checked against the row), and the short walk through the name index's copy of the text. And the
name index that holds the text arrives by migration without losing anything."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ccdesk.store import full_read, name_index, name_page
from ccdesk.store import search as search_module
from ccdesk.store.database import DeskDatabase
from ccdesk.store.schema import SCHEMA_VERSION, user_version
from ccdesk.store.textnorm import parse_query
from ccdesk.store.trigram_candidates import candidate_expressions, trigrams
from tests.benchmarks import store_fill as bench
from tests.store.test_name_order import _ranked, _reference, _same_everywhere_for


@pytest.fixture
def filled(tmp_path: Path) -> DeskDatabase:
    store = DeskDatabase(tmp_path / "plans.sqlite3")
    contacts = list(bench.synthetic_contacts(3_000, ["list-x"] * 5, seed=11))
    for i, c in enumerate(contacts[:300]):  # first-named William, most sorting first: "williams" candidates' misses
        c["first_name"], c["last_name"] = "William", "Adams" if i % 3 else "Zimmer"
    for c in contacts[300:420]:
        c["last_name"] = "Williams"
    store.upsert_contacts(contacts)
    yield store
    store.close()


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    real = getattr(name_page, name)
    answers: list[Any] = []

    def spy(*args: Any, **kw: Any) -> Any:
        answers.append(answer := real(*args, **kw))
        return answer

    monkeypatch.setattr(name_page, name, spy)
    return answers


def test_candidates_hold_every_match() -> None:
    """Every candidate expression is implied by the word: the rarest trigrams of a word are in it."""
    rng = random.Random(3)
    for word in ("williams", "oscorp", "o'brien", 'say "hi"', "øvergaard", "ab", "abcabcabc"):
        (needle,) = parse_query(word) if " " not in word else parse_query(word)[:1]
        expressions = candidate_expressions([needle], lambda g: rng.random())
        grams = trigrams(needle.substring)
        assert (expressions == []) is (len(grams) < 3)
        for expression in expressions:
            for part in expression.split(" AND "):
                assert part.startswith('"') and part[1:-1].replace('""', '"') in grams


def test_candidate_pages_and_counts_equal_sql_even_when_most_candidates_miss(
        filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """With candidates allowed however many misses they add (the William Adamses for "williams" sort first), the
    rows checked grow until the page is full of real matches; the count left behind is exact."""
    monkeypatch.setattr(name_page, "CANDIDATE_EXTRA", 1_000.0)
    checked = _spy(monkeypatch, "_holding_every_word")
    _same_everywhere_for(filled, ["williams", "william", "adams", "williams gmail", "zimmer"])
    assert len([c for c in checked if c]) > 10
    for q in ("williams", "william", "adams", "zimmer", "liams"):
        page = filled.search(q, limit=500)
        assert filled.count(q) == filled.count(q, cap=None) == len(page) == len(
            search_module.search(filled.connection, q, limit=500))
    assert len(_ranked(filled, "williams", False, 0, 500)) >= 120


def test_random_substrings_find_the_same_pages(filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of real contacts' text as queries (one or two words, any length), every plan allowed."""
    monkeypatch.setattr(name_page, "CANDIDATE_EXTRA", 1_000.0)
    rng = random.Random(17)
    docs = [d for (d,) in filled.connection.execute("SELECT search_doc FROM contacts ORDER BY random() LIMIT 60")]
    queries = []
    for doc in docs:
        text = doc.strip()
        start = rng.randrange(len(text))
        queries.append(text[start:start + rng.randint(3, 12)].strip() or "a")
    for a, b in zip(queries[::2], queries[1::2], strict=False):
        queries.append(f"{a.split()[0] if a.split() else a} {b}")
    for q in queries:
        for descending in (False, True):
            assert _ranked(filled, q, descending, 0, 40) == _reference(filled, q, descending, 0, 40), q


def test_the_short_walk_gives_the_page_or_gives_way(filled: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds scaled to 3,000 contacts: common terms take their page from the first rows in name order; a term
    that sorts late ("zimmer") is not walked for, and a walk that finds too few gives way to the ranks."""
    monkeypatch.setattr(name_page, "WALK_FIRST", 200)
    monkeypatch.setattr(name_page, "WALK_ROWS", 300)
    monkeypatch.setattr(name_page, "RANK_CAP", 2_000)
    monkeypatch.setattr(name_page, "SAMPLE_EXPECTED", 200)
    walked = _spy(monkeypatch, "_short_walk")
    queries = ["gmail", "a", "e", "corp", "william", "zimmer", "williams", "co"]
    _same_everywhere_for(filled, queries)
    assert any(page is not None for page in walked)
    real_judge = name_page._walk_is_short
    monkeypatch.setattr(name_page, "_walk_is_short", lambda *args, **kw: True)  # walk for anything: some find too few
    walked.clear()
    _same_everywhere_for(filled, queries)
    assert any(page is not None for page in walked) and any(page is None for page in walked)
    monkeypatch.setattr(name_page, "_walk_is_short", real_judge)
    walked.clear()
    filled.search("zimmer", limit=20)
    assert walked == []  # the sample's matches sort late: straight to the ranks


def test_the_walk_waits_for_the_name_index_during_a_first_read(filled: DeskDatabase,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(name_page, "WALK_FIRST", 200)
    filled.connection.execute(f"DROP INDEX {name_index.NAME}")  # as a first read at 4 requests/s leaves it
    assert name_page._short_walk(filled.connection, parse_query("gmail"), False, 0, 10) is None
    assert _ranked(filled, "gmail", False, 0, 30) == _reference(filled, "gmail", False, 0, 30)


def _as_version_6(path: Path, *, mid_first_read: bool) -> None:
    """Turn a current file into what schema v6 left: the name index of sort_name alone (none at all while a first
    full read was in progress)."""
    conn = sqlite3.connect(path)
    conn.execute(f"DROP INDEX {name_index.NAME}")
    if not mid_first_read:
        conn.execute(f"CREATE INDEX {name_index.NAME} ON contacts (sort_name)")
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()


def _name_index_columns(conn: sqlite3.Connection) -> list[str]:
    return [r[2] for r in conn.execute(f"PRAGMA index_info({name_index.NAME})")]


@pytest.mark.parametrize("mid_first_read", [False, True])
def test_version_6_files_get_the_name_index_with_the_text(tmp_path: Path, mid_first_read: bool) -> None:
    path = tmp_path / "v6.sqlite3"
    with DeskDatabase(path) as db:
        bench.fill(db, 500, seed=2)
        before = db.connection.execute("SELECT * FROM contacts ORDER BY id").fetchall()
        page = _ranked(db, "gmail", False, 0, 50)
    _as_version_6(path, mid_first_read=mid_first_read)
    with DeskDatabase(path) as db:
        conn = db.connection
        assert user_version(conn) == SCHEMA_VERSION >= 7
        assert conn.execute("SELECT * FROM contacts ORDER BY id").fetchall() == before
        if mid_first_read:  # left to the first read's end, which builds the new one
            assert _name_index_columns(conn) == []
            full_read.end(conn)
        assert _name_index_columns(conn) == ["sort_name", "id", "search_doc"]
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert _ranked(db, "gmail", False, 0, 50) == page


def test_a_contact_stored_after_the_newest_was_forgotten_is_found(tmp_path: Path) -> None:
    """A complete re-read forgets the contact holding the highest change_seq; the next contact stored must not get
    that number again (the ranks took "highest unchanged" for "nothing changed": the new contact was missing from
    the page, and the candidate loop waited for it forever)."""
    db = DeskDatabase(tmp_path / "forget.sqlite3")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    people = list(bench.synthetic_contacts(600, ["l1", "l2", "l3"], seed=4))
    db.upsert_contacts(people, t0)
    renamed = dict(people[10], first_name="Renamed", updated_at="2026-01-02T00:00:00Z")
    db.upsert_contacts([renamed], t0 + timedelta(days=1))  # an action's answer: the highest change_seq
    assert db.search("gmail", limit=10)  # the ranks are built now
    reread = t0 + timedelta(days=2)
    db.upsert_contacts([c for c in people if c["contact_id"] != renamed["contact_id"]], reread)
    assert db.forget_contacts_not_fetched_since(reread) == 1
    new = dict(people[0], contact_id="11111111-2222-4333-8444-555555555555", first_name="Xochitl",
               last_name="Quetzalcoatl", email_address=dict(people[0]["email_address"], address="xq@example.org"))
    db.upsert_contacts([new], t0 + timedelta(days=3))
    for q in ("quetzalcoatl", "xochitl quetzalcoatl", "a"):
        assert _ranked(db, q, False, 0, 50) == _reference(db, q, False, 0, 50), q
    assert db.count("quetzalcoatl") == 1
    db.close()


def test_a_count_is_not_stamped_newer_than_what_it_counted(filled: DeskDatabase,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process stores matching contacts while a keystroke's page is read: the count left behind must not
    pass for the count after that write."""
    monkeypatch.setattr(name_page, "CANDIDATE_EXTRA", 1_000.0)
    other = DeskDatabase(filled.path, recover=False)
    extra = list(bench.synthetic_contacts(5, ["list-x"] * 5, seed=77))
    for i, c in enumerate(extra):
        c["contact_id"] = f"55555555-0000-4000-8000-{i:012d}"
        c["last_name"] = "Williams"
    real = name_page._all_matches
    written: list[bool] = []

    def writing_meanwhile(conn: sqlite3.Connection, expression: str) -> Any:
        rowids = real(conn, expression)
        if not written:
            written.append(True)
            other.upsert_contacts(extra)
        return rowids

    monkeypatch.setattr(name_page, "_all_matches", writing_meanwhile)
    filled.search("williams", limit=500)
    assert written
    assert filled.count("williams") == search_module.count(filled.connection, "williams")
    other.close()


def test_a_name_index_without_the_text_is_rebuilt_at_open(tmp_path: Path) -> None:
    """A ccdesk of the version before v7, still running when a newer one migrated the file, ends its first full
    read by building the old name index: the next open rebuilds it with the text."""
    path = tmp_path / "old-end.sqlite3"
    with DeskDatabase(path) as db:
        bench.fill(db, 200, seed=1)
        db.connection.execute(f"DROP INDEX {name_index.NAME}")
        db.connection.execute(f"CREATE INDEX {name_index.NAME} ON contacts (sort_name)")
    with DeskDatabase(path) as db:
        assert _name_index_columns(db.connection) == ["sort_name", "id", "search_doc"]


def test_long_pastes_get_no_candidates_beyond_a_few_words() -> None:
    """Each trigram's share costs an FTS count the first time: only the first few words of a sensible length."""
    asked: list[str] = []
    words = parse_query("alphabetical " * 1 + " ".join(f"word{i}xyz" for i in range(8)) + " " + "x" * 40)

    def share(gram: str) -> float:
        asked.append(gram)
        return 0.0

    expressions = candidate_expressions(words, share)
    assert expressions and len({g for g in asked}) <= sum(len(trigrams(n.substring)) for n in words[:4])
    assert '"' + "x" * 40 + '"' in expressions[0]  # the long one as it is
