"""Benchmark the store on a synthetic account: ``python -m tests.benchmarks.store_fill --n 1000000``.

Fills a fresh database through the real ``upsert_contacts`` path (pages of 500) and times typical
table-view queries: first page (limit 200) and the matching count, warm cache, median of runs.
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ccdesk.services.page_store import MAX_GROUP
from ccdesk.store.database import DeskDatabase

FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa Matthew Betty Anthony Margaret "
    "Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Dorothy Kevin "
    "Carol Brian Amanda George Melissa Edward Deborah José María Zoë Chloé Łukasz Søren François Renée "
    "Jürgen Ana Luis Carmen Jorge Lucía Ahmed Fatima Wei Mei Hiroshi Yuki Olga Ivan Priya Arjun Noah Emma"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Müller Schmidt Núñez Dvořák Øvergaard "
    "O'Brien Kowalski Novak Rossi Bianchi Dubois Lefèvre Tanaka Suzuki Kim Park Chen Wang Singh Patel"
).split()
COMPANY = (
    "Acme Globex Initech Umbrella Hooli Vandelay Stark Wayne Wonka Cyberdyne Soylent Tyrell Aperture "
    "Massive Dynamic Gringotts Monarch Oscorp Pied Piper Prestige Worldwide Sterling Cooper Dunder Mifflin"
).split()
DOMAINS = (
    ["gmail.com"] * 30
    + ["yahoo.com"] * 10
    + ["outlook.com"] * 10
    + ["example.org"] * 5
    + [f"corp{i}.example.com" for i in range(45)]
)


def synthetic_contacts(n: int, lists: list[str], seed: int = 1) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        company = rnd.choice(COMPANY) if rnd.random() < 0.6 else None
        local = f"{first[0]}{last}{i}".lower().replace("'", "")
        created = base + timedelta(seconds=rnd.randrange(100_000_000))
        roll = rnd.random()
        email: dict[str, Any] = {
            "address": f"{local}@{rnd.choice(DOMAINS)}",
            "permission_to_send": "implicit" if roll < 0.5 else "explicit",
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
            "opt_in_source": "Account",
            "opt_in_date": created.isoformat(),
            "confirm_status": "off",
        }
        contact: dict[str, Any] = {
            "contact_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "email_address": email,
            "first_name": first if rnd.random() < 0.9 else None,
            "last_name": last if rnd.random() < 0.9 else None,
            "company_name": company,
            "create_source": "Account",
            "created_at": created.isoformat(),
            "updated_at": created.isoformat(),
            "list_memberships": rnd.sample(lists, rnd.randint(1, 3)) if rnd.random() > 0.02 else [],
        }
        if 0.90 <= roll < 0.98:
            out = created + timedelta(days=rnd.randrange(1, 900))
            offset = rnd.choice(["Z", "-05:00", "+02:00"])
            email.update(
                permission_to_send="unsubscribed",
                opt_out_source=rnd.choice(["Contact", "Account"]),
                opt_out_date=out.strftime("%Y-%m-%dT%H:%M:%S") + offset,
                opt_out_reason=rnd.choice(["Too many emails", "Not relevant", "", "Moved away"]),
            )
        elif roll >= 0.985:
            contact["deleted_at"] = (created + timedelta(days=30)).date().isoformat()
            contact["list_memberships"] = []
        elif roll >= 0.98:
            email["permission_to_send"] = "pending_confirmation"
        yield contact


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def fill(store: DeskDatabase, n: int, seed: int = 1, page: int = 500, *, first_read: bool = False) -> float:
    """Fill through the real store path; returns rows per second (the store's time only: making up the contacts
    is not part of it). Default: pages of 500 upserted one transaction each, as a sync stores them. `first_read`:
    as the account's first full read stores them (services/page_store.py): groups of MAX_GROUP pages per
    transaction (the read groups the pages that arrive while one is stored: with no network, always a full
    group), no search index or contact-id index until the end, the search index and four indexes built with the
    last group (timed)."""
    rnd = random.Random(seed)
    lists = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(25)]
    store.upsert_lists([{"list_id": lid, "name": f"List {i}"} for i, lid in enumerate(lists)])
    elapsed = 0.0
    if first_read:
        store.begin_full_read()
    group = MAX_GROUP if first_read else 1
    pages: list[list[dict[str, Any]]] = []
    batch: list[dict[str, Any]] = []
    contacts = synthetic_contacts(n, lists, seed)
    while True:
        for contact in contacts:
            batch.append(contact)
            if len(batch) == page:
                pages.append(batch)
                batch = []
                if len(pages) == group:
                    break
        last = len(pages) < group
        if batch:
            pages.append(batch)
            batch = []
        t0 = time.perf_counter()
        if first_read:
            store.store_full_read_pages(pages, last=last)
        else:
            for one in pages:
                store.upsert_contacts(one)
        elapsed += time.perf_counter() - t0
        pages = []
        if last:
            break
    store.optimize()
    return n / elapsed


def run(store: DeskDatabase, runs: int = 5) -> list[tuple[str, float, float]]:
    """(label, search ms, count ms) for typical queries."""
    first_list = store.lists()[0].list_id
    cases: list[tuple[str, dict[str, Any]]] = [
        ("everything, by name", {}),
        ("everything, by email desc", {"sort": "email", "descending": True}),
        ("everything, by opt-out date desc", {"sort": "opt_out_date", "descending": True}),
        (
            "status=unsubscribed, by opt-out desc",
            {"status": "unsubscribed", "sort": "opt_out_date", "descending": True},
        ),
        ("status=deleted, by email", {"status": "deleted", "sort": "email"}),
        ("one list, by name", {"list_id": first_list}),
        ("one list + unsubscribed, by email", {"list_id": first_list, "status": "unsubscribed", "sort": "email"}),
        ("'j' (1 char)", {"query": "j"}),
        ("'jo' (2 chars)", {"query": "jo"}),
        ("'smith'", {"query": "smith"}),
        ("'gmail' (30% of rows)", {"query": "gmail"}),
        ("'maria garcia'", {"query": "maria garcia"}),
        ("'nunez' (diacritics)", {"query": "nunez"}),
        ("'smith' + unsubscribed", {"query": "smith", "status": "unsubscribed"}),
        ("'gmail' + one list, by email", {"query": "gmail", "list_id": first_list, "sort": "email"}),
        ("'jsmith12345' (rare)", {"query": "jsmith12345"}),
        ("no match", {"query": "zzqxj"}),
    ]
    results = []
    for label, kw in cases:
        search_kw = dict(kw)
        count_kw = {k: v for k, v in kw.items() if k in ("query", "status", "list_id")}
        s = _median_ms(functools.partial(store.search, limit=200, **search_kw), runs)
        c = _median_ms(functools.partial(store.count, **count_kw), runs)
        results.append((label, s, c))
    deep = _median_ms(lambda: store.search(offset=100_000, limit=200), runs)
    results.append(("everything, by name, offset 100k", deep, float("nan")))
    sc = _median_ms(lambda: store.status_counts("smith"), runs)
    results.append(("status_counts('smith')", sc, float("nan")))
    lc = _median_ms(lambda: store.list_counts("smith"), runs)
    results.append(("list_counts('smith')", lc, float("nan")))
    sc0 = _median_ms(lambda: store.status_counts(), runs)
    results.append(("status_counts() no query", sc0, float("nan")))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse/keep this file (filled only if empty)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        with DeskDatabase(path) as store:
            if store.count() == 0:
                rate = fill(store, args.n)
                print(f"filled {args.n:,} contacts: {rate:,.0f} rows/s; file {path.stat().st_size / 1e6:,.0f} MB")
            print(f"{store.count():,} contacts")
            print(f"{'case':45} {'search ms':>10} {'count ms':>10}")
            for label, s, c in run(store, args.runs):
                print(f"{label:45} {s:10.1f} {c:10.1f}")


if __name__ == "__main__":
    main()
