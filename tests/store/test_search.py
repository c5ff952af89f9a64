"""Search, filters, counts, sort orders and paging for the contact table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ccdesk.store import DeskDatabase, Status
from ccdesk.store import search as search_mod
from ccdesk.store.textnorm import fold
from tests.store.conftest import LIST_A, LIST_B, LIST_C, cid, make_contact

T0 = datetime(2024, 6, 1, tzinfo=UTC)

PEOPLE = [
    # n, first, last, company, email, permission, lists, deleted, opt_out_date
    (1, "John", "Smith", "Acme Corp", "jsmith@gmail.com", "implicit", [LIST_A], None, None),
    (2, "Jane", "Smithers", "Globex", "jane.s@yahoo.com", "explicit", [LIST_A, LIST_B], None, None),
    (
        3,
        "José",
        "Núñez",
        "Acme Corp",
        "jnunez@corp.example",
        "unsubscribed",
        [LIST_B],
        None,
        "2024-03-01T10:00:00-05:00",
    ),
    (4, "Zoë", "Ó Briain", None, "zoe@gmail.com", "unsubscribed", [], "2024-04-01", "2024-02-01T00:00:00Z"),
    (5, "Łukasz", "Kowalski", "Søren Ltd", "lukasz@example.pl", "implicit", [], None, None),
    (6, None, None, None, "anonymous@gmail.com", "implicit", [LIST_C], None, None),
    (7, "Mary", "Jones", "Initech", "mj@initech.com", "pending_confirmation", [LIST_A], None, None),
    (8, "Bob", "O'Brien", "Acme Corp", "bob@acme.com", "explicit", [LIST_A], "2024-05-05", None),
    (9, "Ann", "Smith", None, "ann.smith@outlook.com", "unsubscribed", [LIST_A], None, "2024-03-01T14:59:59Z"),
]


@pytest.fixture
def people(store: DeskDatabase) -> DeskDatabase:
    page = [make_contact(n, first=first, last=last, company=company, email=email, permission=perm, lists=lists,
                         deleted_at=deleted, opt_out_date=out)
            for n, first, last, company, email, perm, lists, deleted, out in PEOPLE]
    store.upsert_contacts(page, T0)
    return store


def ids(rows: list) -> list[int]:  # type: ignore[type-arg]
    return [int(r.contact_id.replace("-", "")[-4:], 16) for r in rows]


def found(store: DeskDatabase, query: str, **kw: object) -> set[int]:
    return set(ids(store.search(query, limit=1000, **kw)))  # type: ignore[arg-type]


@pytest.mark.parametrize("cap", [0, 10_000])  # force either plan: walk the sort index / drive from FTS
def test_partial_matches(people: DeskDatabase, cap: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_mod, "DRIVE_CAP", cap)
    assert found(people, "smith") == {1, 2, 9}  # inside jsmith@ and ann.smith@, and last names
    assert found(people, "SMI") == {1, 2, 9}
    assert found(people, "gmail") == {1, 4, 6}
    assert found(people, "acme") == {1, 3, 8}
    assert found(people, "cme co") == {1, 3, 8}  # "co" = a word starting with co
    assert found(people, "orp") == {1, 3, 8}  # "Corp" and "corp.example"
    assert found(people, "john smith") == {1}
    assert found(people, "smith john") == {1}
    assert found(people, "j") == {1, 2, 3, 7}  # 1 char: a word starts with it (john, jane, jose, jones)
    assert found(people, "jo") == {1, 3, 7}
    assert found(people, "mi") == set()  # 2 chars match word starts only, not inside "smith"
    assert found(people, "o'b") == {8}
    assert found(people, "xyzzy") == set()
    assert found(people, "") == set(range(1, 10))
    assert found(people, '"') == set()
    assert found(people, 'acme"') == set()


@pytest.mark.parametrize("cap", [0, 10_000])
def test_diacritics_and_case(people: DeskDatabase, cap: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_mod, "DRIVE_CAP", cap)
    assert found(people, "jose nunez") == {3}
    assert found(people, "JOSÉ NÚÑEZ") == {3}
    assert found(people, "zoe") == {4}
    assert found(people, "zoë") == {4}
    assert found(people, "lukasz") == {5}
    assert found(people, "łukasz") == {5}
    assert found(people, "soren") == {5}
    assert found(people, "o bria") == {4}
    assert found(people, "o bri") == {4, 8}  # o'brien too: a word starting with o, and "bri"


def test_filters_and_counts(people: DeskDatabase) -> None:
    assert found(people, "", status="unsubscribed") == {3, 4, 9}  # deleted 4 still unsubscribed
    assert found(people, "", status="deleted") == {8}
    assert found(people, "", status="removed") == {5}
    assert found(people, "", status="pending") == {7}
    assert found(people, "", status="mailable") == {1, 2, 6}
    assert found(people, "", list_id=LIST_A) == {1, 2, 7, 8, 9}
    assert found(people, "smith", list_id=LIST_A, status="unsubscribed") == {9}
    assert found(people, "", list_id="unknown-list") == set()

    for q in ("", "smith", "gmail", "j"):
        for st in (None, *Status):
            for lst in (None, LIST_A, LIST_B):
                expected = len(found(people, q, status=st, list_id=lst))
                assert people.count(q, st, lst) == expected, (q, st, lst)
    assert people.count("gmail", cap=2) == 2
    assert people.count("", cap=5) == 5

    assert people.status_counts() == {"mailable": 3, "unsubscribed": 3, "removed": 1, "deleted": 1, "pending": 1}
    assert people.status_counts("smith") == {"mailable": 2, "unsubscribed": 1, "removed": 0, "deleted": 0, "pending": 0}
    assert people.status_counts("", LIST_A)["unsubscribed"] == 1
    assert people.list_counts() == {LIST_A: 5, LIST_B: 2, LIST_C: 1}
    assert people.list_counts("smith") == {LIST_A: 3, LIST_B: 1}
    assert people.list_counts("", "unsubscribed") == {LIST_A: 1, LIST_B: 1}
    assert people.list_counts("acme", "deleted") == {LIST_A: 1}
    with pytest.raises(ValueError):
        people.count("", "bogus")


def _expected_order(store: DeskDatabase, sort: str, descending: bool) -> list[str]:
    rows = store.search("", limit=1000)

    def key(r):  # type: ignore[no-untyped-def]
        name = fold(f"{r.last_name or ''} {r.first_name or ''}")
        name_key = ("1" + name) if name else ("2" + fold(r.email))
        tie = store.connection.execute("SELECT id FROM contacts WHERE contact_id = ?", (r.contact_id,)).fetchone()[0]
        if sort == "name":
            return (name_key, tie)
        if sort == "email":
            return ((r.email or "").lower(), tie)
        if sort == "status":
            return (str(r.status), name_key, tie)
        return (r.opt_out_date is not None, r.opt_out_date or datetime.min.replace(tzinfo=UTC), tie)

    return [r.contact_id for r in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("sort", ["name", "email", "status", "opt_out_date"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("cap", [0, 10_000])
def test_sort_orders_and_paging(
    people: DeskDatabase, sort: str, descending: bool, cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_mod, "DRIVE_CAP", cap)
    expected = _expected_order(people, sort, descending)
    got = [r.contact_id for r in people.search("", sort=sort, descending=descending, limit=1000)]
    assert got == expected
    paged = []
    for offset in range(0, 9, 2):
        paged += [r.contact_id for r in people.search("", sort=sort, descending=descending, offset=offset, limit=2)]
    assert paged == expected
    # the same order holds within a filter
    within = [r.contact_id for r in people.search("a", list_id=LIST_A, sort=sort, descending=descending)]
    assert within == [c for c in expected if c in set(within)]


def test_name_sort_specifics(people: DeskDatabase) -> None:
    order = [r.contact_id for r in people.search("", sort="name")]
    assert order[-1] == cid(6)  # nameless contact after all named ones
    assert order.index(cid(4)) < order.index(cid(8))  # "Ó Briain" folds to "o briain" < "o'brien"
    unsub = people.search("", status="unsubscribed", sort="opt_out_date", descending=True)
    # As raw text "14:59:59Z" sorts after "10:00:00-05:00", but 10:00-05:00 is 15:00Z: later.
    assert [r.contact_id for r in unsub] == [cid(3), cid(9), cid(4)]


def test_bad_arguments(people: DeskDatabase) -> None:
    with pytest.raises(ValueError):
        people.search("", sort="shoe_size")
    with pytest.raises(ValueError):
        people.search("", offset=-1)
    assert people.search("", sort="optout")  # alias


def test_many_rows_both_plans_agree(store: DeskDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    firsts = ["Ann", "Bob", "Cleo", "Dörte", "Eve"]
    page = [make_contact(i, first=firsts[i % 5], last=f"Name{i % 37}", email=f"u{i}@d{i % 7}.example",
                         permission="unsubscribed" if i % 11 == 0 else "implicit",
                         opt_out_date=f"2024-01-{1 + i % 28:02d}T00:00:00Z" if i % 11 == 0 else None,
                         lists=[LIST_A] if i % 3 else [LIST_B])
            for i in range(1, 601)]
    store.upsert_contacts(page, T0)
    cases = [
        ("", None, None),
        ("ann", None, None),
        ("d3", "unsubscribed", None),
        ("name1", None, LIST_A),
        ("do", None, LIST_B),
        ("e", "mailable", LIST_A),
    ]
    for q, st, lst in cases:
        for sort in ("name", "email", "status", "opt_out_date"):
            results = []
            for cap in (0, 50, 100_000):
                monkeypatch.setattr(search_mod, "DRIVE_CAP", cap)
                results.append([r.contact_id for r in store.search(q, st, lst, sort, True, 5, 40)])
                results.append([store.count(q, st, lst)])
            assert results[0] == results[2] == results[4], (q, st, lst, sort)
            assert results[1] == results[3] == results[5]
