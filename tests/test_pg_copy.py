"""Bulk writes as COPY on a PostgreSQL desk (deskcli/store/pg/bulk.py): every byte of a
title or body that COPY's text format treats specially arrives as it was sent, through
`ticket import` and through `db copy` SQLite -> PostgreSQL -> SQLite; INSERT OR IGNORE,
the ids a trigger used to number and the events' append-only rules hold as before."""

import json

import pytest
from conftest import execute, is_pg, ok, query, run

from deskcli.store.pg import bulk

# what COPY's text format escapes or reads specially, and what it must leave alone
AWKWARD = [
    "tab\there", "new\nline", "carriage\r\nreturn", "back\\slash", "\\N", "\\.", "\\\\N",
    "a literal \\t and \\n", "登录失败 续费", "emoji 😀 ok 👨‍👩‍👧",
    "control \x01\x02\x1b[0m\x7f end",
    "\u2028line separator\u2029", "trailing backslash \\", "'quotes' \"and\" %s %(x)s ?",
]


def test_values_in_copy_text_format():
    assert bulk.text(None) == "\\N"
    assert bulk.text("\\N") == "\\\\N"
    assert bulk.text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert bulk.text("登录 😀") == "登录 😀"
    assert bulk.text(7) == "7" and bulk.text(-2) == "-2"
    assert bulk.text(True) == "1" and bulk.text(False) == "0"
    assert bulk.text(0.1) == "0.1" and float(bulk.text(1 / 3)) == 1 / 3
    assert bulk.text(b"\x00\xff\\") == "\\\\x00ff5c"


def test_plan_takes_only_plain_inserts_of_many_rows():
    sql = "INSERT INTO ticket_steps (ticket_id, position, text) VALUES (?,?,?)"
    assert bulk.plan(sql, 5) == ("ticket_steps", ("ticket_id", "position", "text"), False)
    assert bulk.plan(sql, 1) is None
    ignore = "INSERT OR IGNORE INTO ticket_cc (ticket_id, dept_id, user_id) VALUES (?,?,?)"
    assert bulk.plan(ignore, bulk.IGNORE_MIN - 1) is None
    assert bulk.plan(ignore, bulk.IGNORE_MIN)[2] is True
    for other in ("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                  "INSERT INTO faq_terms (term, keywords) VALUES (?, ?) ON CONFLICT DO NOTHING",
                  "INSERT INTO t (a, b) VALUES (?, 'x')", "UPDATE t SET a = ? WHERE id = ?"):
        assert bulk.plan(other, 1000) is None, other


def test_the_stream_gives_every_row_once_in_chunks():
    rows = [(n, f"title {n}\t{'x' * (n % 50)}", None) for n in range(2000)]
    stream = bulk.Stream(rows)
    chunks = []
    while chunk := stream.read(1000):
        chunks.append(chunk)
    assert len(chunks) > 10 and all(c.endswith("\n") for c in chunks)
    lines = "".join(chunks).split("\n")[:-1]
    assert len(lines) == 2000
    assert lines[3] == "3\ttitle 3\\txxx\t\\N"


def awkward_lines() -> list[dict]:
    out = []
    for n, text in enumerate(AWKWARD, start=1):
        out.append({"type": "renewal", "title": f"T{n} {text}", "body": f"{text} | {text}",
                    "customer": "C1", "fields": {"package": "12"}, "external_id": f"X-{n}",
                    "cc": ["bob", "bob", "dept:teaching", "dept:teaching"]})
    return out


def stored(location) -> list[tuple]:
    return query(location, "SELECT id, title, body, external_id FROM tickets "
                           "WHERE external_id LIKE 'X-%' ORDER BY id")


@pytest.fixture
def copied_tables(monkeypatch):
    """The tables written by COPY (the real one: this only takes note)."""
    seen = []
    real = bulk.copy_in

    def noting(conn, table, *rest):
        seen.append(table)
        return real(conn, table, *rest)

    monkeypatch.setattr(bulk, "copy_in", noting)
    return seen


@pytest.fixture
def many_batches(monkeypatch, copied_tables):
    """Batches of 4 tickets (8 events), every one a COPY; ignores copied from 5 rows."""
    import deskcli.tickets.bulk

    monkeypatch.setattr(deskcli.tickets.bulk, "BATCH", 4)
    monkeypatch.setattr(bulk, "IGNORE_MIN", 5)
    monkeypatch.setattr(bulk, "MANY", 3)
    return copied_tables


IMPORTED = {"tickets", "events", "ticket_cc", "ticket_steps", "ticket_fts"}


def test_import_stores_awkward_text_as_sent(desk, many_batches):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in awkward_lines())
    counts = ok("ticket import - --json", input=text).json
    assert counts["imported"] == len(AWKWARD)
    got = stored(desk)
    assert [(r[1], r[2]) for r in got] == [(x["title"].strip(), x["body"])  # (titles are
                                           for x in awkward_lines()]     # stripped)
    # the renewal type's checklist, the CC list without its repeats, two events a ticket
    ids = [r[0] for r in got]
    marks = ",".join("?" * len(ids))
    assert query(desk, f"SELECT count(*) FROM ticket_steps WHERE ticket_id IN ({marks})",
                 ids) == [(2 * len(ids),)]
    cc = query(desk, f"SELECT ticket_id, dept_id, user_id FROM ticket_cc "
                     f"WHERE ticket_id IN ({marks}) ORDER BY rowid", ids)
    assert len(cc) == 2 * len(ids) and len(set(cc)) == len(cc)
    events = query(desk, "SELECT id, ticket_id FROM events ORDER BY id")
    assert [e[0] for e in events] == list(range(1, len(events) + 1))
    assert sorted({e[1] for e in events} & set(ids)) == ids
    # the full-text rows were written (and, on PostgreSQL, their terms by the trigger)
    found = ok("ticket list --search 续费 --json").json
    assert {t["external_id"] for t in found} >= {"X-9"}
    assert ok("ticket show 1 --json").json["title"]  # the desk reads as ever
    assert set(many_batches) == (IMPORTED if is_pg(desk) else set())


def test_copied_events_stay_append_only(desk, many_batches):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in awkward_lines())
    ok("ticket import - --json", input=text)
    with pytest.raises(Exception, match="append-only"):
        execute(desk, "UPDATE events SET message = 'x' WHERE id = 3")
    with pytest.raises(Exception, match="append-only"):
        execute(desk, "DELETE FROM events WHERE id = 3")


def test_ids_go_on_after_a_copied_batch(desk, many_batches):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in awkward_lines())
    ok("ticket import - --json", input=text)
    top = query(desk, "SELECT max(id) FROM events")[0][0]
    made = ok("ticket open --type renewal --title After --customer C1 --field package=24 "
              "--json").json
    assert made["id"] == len(AWKWARD) + 1
    assert query(desk, "SELECT min(id) FROM events WHERE ticket_id = ?",
                 (made["id"],)) == [(top + 1,)]


def table_rows(location, table: str) -> list[tuple]:
    if is_pg(location):
        cols = [r[0] for r in query(
            location, "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,))]
    else:
        cols = [r[1] for r in query(location, f"PRAGMA table_info({table})")]
    cols = [c for c in cols if c not in ("rowid", "terms", "size")]
    rows = query(location, f"SELECT {', '.join(cols)} FROM {table}")
    return sorted(rows, key=lambda row: [(v is not None, v) for v in row])  # NULLs first


ROUND_TRIP = ["users", "customers", "ticket_types", "tickets", "events", "ticket_cc",
              "ticket_steps", "outbox", "faq", "faq_keywords", "settings"]


def test_db_copy_round_trip_sqlite_postgres_sqlite(store_kind, tmp_path, request, monkeypatch,
                                                  copied_tables):
    """A SQLite desk with awkward text, copied into PostgreSQL (COPY) and back: equal row
    by row, on either leg's desk (the postgres leg copies its own database first)."""
    if store_kind != "postgres":
        pytest.skip("copies into PostgreSQL: the postgres leg")
    from conftest import seed_desk

    source = str(tmp_path / "source.db")
    monkeypatch.setenv("DESKCLI_DB", source)
    seed_desk()
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in awkward_lines())
    ok("ticket import - --json", input=text)
    ok("ticket accept 1", as_user="sun")
    ok("ticket reply 1 -m 'tab\there, new\nline, back\\slash \\N 😀' --wait", as_user="sun")
    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.url(cluster.new_database())
    back = str(tmp_path / "back.db")
    ok(f"db copy {source} {url}")
    assert set(copied_tables) >= IMPORTED | {"users", "customers"}
    ok(f"--db {url} db check")
    ok(f"db copy {url} {back}")
    for table in ROUND_TRIP:
        original = table_rows(source, table)
        assert table_rows(url, table) == original, table
        assert table_rows(back, table) == original, table
    assert stored(back) == stored(source)
    assert len(stored(url)) == len(AWKWARD)
    for where in (url, back):
        found = ok(f"--db {where} ticket list --search 登录失败 --json").json
        assert {t["external_id"] for t in found} == {"X-9"}


def test_a_failing_copy_leaves_nothing(desk, many_batches):
    """A row the database refuses inside a COPY fails the import as before, and the
    transaction is rolled back."""
    lines = awkward_lines()
    lines[6]["title"] = "NUL \x00 inside"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    before = query(desk, "SELECT count(*) FROM tickets")
    result = run("ticket import - --json", input=text)
    if result.code == 0:  # SQLite stores a NUL; PostgreSQL's text cannot hold one
        assert not is_pg(desk)
        return
    assert is_pg(desk) and "Traceback" not in result.err
    assert query(desk, "SELECT count(*) FROM tickets") == before


def test_copied_full_text_rows_get_the_terms_their_trigger_gives(desk, many_batches):
    """The terms and sizes bulk.py computes for a COPY equal what search.sql's row trigger
    computes (an UPDATE runs it again on every row), and fts_stats counts them."""
    if not is_pg(desk):
        pytest.skip("PostgreSQL's full-text twin")
    from test_import_rows import TEXTS

    lines = awkward_lines()
    for n, text in enumerate(TEXTS + ["x" * 3000 + " short", "it's a \\ 'quote'"]):
        lines.append({**lines[0], "title": f"more {n} {text[:150]}", "body": text * 3,
                      "external_id": f"Y-{n}"})
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
    ok("ticket import - --json", input=text)
    assert "ticket_fts" in many_batches
    read = "SELECT rowid, terms::text, size FROM ticket_fts ORDER BY rowid"
    copied = query(desk, read)
    assert len(copied) >= len(lines) and any(r[1] for r in copied)
    assert query(desk, "SELECT rows, tokens FROM fts_stats WHERE name = 'ticket_fts'") == \
        query(desk, "SELECT count(*), sum(size) FROM ticket_fts")
    execute(desk, "UPDATE ticket_fts SET title = title")
    assert query(desk, read) == copied


def test_an_import_leaves_tickets_readable(desk):
    """The import's paused trigger is disabled, not dropped: DROP TRIGGER took ACCESS
    EXCLUSIVE on tickets, so every reader waited for the whole import to commit."""
    if not is_pg(desk):
        pytest.skip("PostgreSQL's table locks")
    import psycopg2

    from deskcli.store import Store, bulk_load

    def enabled():
        return query(desk, "SELECT tgenabled FROM pg_trigger "
                           "WHERE tgname = 'assignee_load_insert'")[0][0]

    db = Store.open(desk)
    reader = psycopg2.connect(desk, options="-c lock_timeout=3000")
    try:
        with db.write(), bulk_load.triggers_paused(db, first_id=1):
            db.run("INSERT INTO meta (key, value) VALUES ('import', 'on')")  # (begun)
            modes = {r[0] for r in db.all(
                "SELECT mode FROM pg_locks WHERE relation = 'tickets'::regclass "
                "AND pid = pg_backend_pid()")}
            assert "AccessExclusiveLock" not in modes
            cur = reader.cursor()
            cur.execute("SELECT count(*) FROM tickets")  # not held up
            assert cur.fetchone()[0] >= 0
            assert enabled() == "O"  # (the other session sees the trigger as it was)
        assert enabled() == "O"
        assert query(desk, "SELECT count(*) FROM assignee_load")[0][0] >= 0
    finally:
        reader.close()
        db.close()
