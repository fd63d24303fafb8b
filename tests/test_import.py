"""`ticket import` and `ticket export`: JSON lines in and out, all or nothing,
idempotent by external_id, from a file or stdin, streamed in batches."""

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import copy_desk, db_count, execute, is_pg, isolated_env, ok, query, run, seed_desk

IMPORT_KEYS = {"type", "title", "body", "customer", "fields", "priority", "cc", "source",
               "external_id"}


@pytest.fixture
def desk(seeded_desk):
    """conftest's seeded desk, copied from a per-session template (same content, faster)."""
    return seeded_desk


def crash(i: int, **extra) -> dict:
    record = {"type": "crash", "title": f"Crash {i}", "body": f"Details {i}",
              "customer": "C1", "fields": {"phone_model": "iPhone 15", "os": "iOS",
                                           "app_version": "3.2"},
              "priority": "urgent", "cc": ["bob", "dept:support"], "source": "email",
              "external_id": f"CRM-{i}"}
    record.update(extra)
    return record


def jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def nothing_written(db) -> bool:
    return all(db_count(db, t) == 0 for t in ("tickets", "events", "ticket_cc",
                                              "ticket_steps", "ticket_fts"))


# --- import ---------------------------------------------------------------------------------

def test_import_opens_validated_routed_tickets(desk, tmp_path):
    src = write(tmp_path, "in.jsonl", jsonl([
        crash(1),
        {"type": "renewal", "title": "续费 48", "customer": "C1",
         "fields": {"package": "48"}},
        {"type": "renewal", "title": "No consultant", "customer": "C2",
         "fields": {"package": 12}},
    ]))
    result = ok(f"ticket import {src}")
    assert result.out.strip() == "imported 3, skipped 0 (already on the desk)"
    got = {t["id"]: t for t in ok("ticket list --json").json}
    one = got[1]
    assert (one["type"], one["title"], one["body"], one["customer"], one["priority"],
            one["source"], one["external_id"]) == (
        "crash", "Crash 1", "Details 1", "C1", "urgent", "email", "CRM-1")
    assert one["fields"] == {"phone_model": "iPhone 15", "os": "iOS", "app_version": "3.2"}
    assert one["cc"] == ["zhao", "bob", "alice"]  # the type's CC, then the line's
    assert one["status"] == "assigned" and one["assignee"] == "bob"
    assert one["accept_due_at"] == "2026-11-28T11:00:00Z"
    assert (got[2]["assignee"], got[2]["fields"]) == ("sun", {"package": "48"})
    assert [s["text"] for s in got[2]["checklist"]] == ["Call the parent", "Send the contract"]
    assert (got[3]["status"], got[3]["assignee"]) == ("new", None)
    events = ok("ticket show 1 --json").json["events"]
    assert [e["kind"] for e in events] == ["opened", "assigned"]
    assert events[0]["actor"] == "alice"


def test_import_routes_each_line_as_if_opened_one_by_one(desk):
    lines = jsonl(crash(i, external_id=None, cc=[]) for i in range(6))
    ok("ticket import -", input=lines)
    assignees = [t["assignee"] for t in ok("ticket list --sort id --json").json]
    assert assignees == ["bob", "carol", "mgr", "bob", "carol", "mgr"]  # least-loaded
    ok("type add it --name IT --route round-robin:support")
    ok("ticket import -", input=jsonl({"type": "it", "title": f"I{i}"} for i in range(2)))
    opened = ok("ticket open --type it --title After --json").json
    assert opened["assignee"] == "mgr"  # the turn imported tickets took is kept


def test_import_reads_stdin_by_default_and_with_dash(desk):
    ok("ticket import", input=jsonl([crash(1)]))
    ok("ticket import -", input=jsonl([crash(2)]))
    counts = ok("ticket import - --json", input=jsonl([crash(3)]) + "\n\n").json
    assert counts == {"imported": 1, "skipped": 0, "lines": 3, "rebuilt_indexes": False,
                      "ignored_keys": []}
    assert [t["external_id"] for t in ok("ticket list --json").json] == [
        "CRM-3", "CRM-2", "CRM-1"]


def test_external_id_makes_reimport_idempotent(desk, tmp_path):
    src = write(tmp_path, "in.jsonl", jsonl(crash(i) for i in range(1, 4)))
    assert ok(f"ticket import {src} --json").json == {"imported": 3, "skipped": 0,
                                                      "lines": 3, "rebuilt_indexes": False,
                                                      "ignored_keys": []}
    assert ok(f"ticket import {src} --json").json == {"imported": 0, "skipped": 3,
                                                      "lines": 3, "rebuilt_indexes": False,
                                                      "ignored_keys": []}
    more = write(tmp_path, "more.jsonl", jsonl(crash(i) for i in range(2, 6)))
    assert ok(f"ticket import {more} --json").json["imported"] == 2
    assert sorted(t["external_id"] for t in ok("ticket list --json").json) == [
        f"CRM-{i}" for i in range(1, 6)]
    # lines without an external id are opened every time
    plain = jsonl([crash(9, external_id=None)])
    ok("ticket import -", input=plain)
    ok("ticket import -", input=plain)
    assert db_count(desk, "tickets") == 7
    # and a skipped ticket is left exactly as it was
    before = ok("ticket show 1 --json").json
    changed = jsonl([crash(1, title="Changed title")])
    assert ok("ticket import - --json", input=changed).json["skipped"] == 1
    assert ok("ticket show 1 --json").json == before


@pytest.mark.parametrize("bad,code,words", [
    ("{not json", 2, "line 3: not valid JSON"),
    ("[1, 2]", 2, "line 3: expected a JSON object, got list"),
    (json.dumps({"type": "crash", "title": "x", "colour": "red"}), 2,
     "line 3: unknown key colour"),
    (json.dumps({**crash(9), "fields": ["iOS"]}), 2, "line 3: 'fields' must be an object"),
    (json.dumps({**crash(9), "cc": "bob"}), 2, "line 3: 'cc' must be a list"),
    (json.dumps({**crash(9), "title": ["x"]}), 2, "line 3: 'title' must be a string"),
    (json.dumps({**crash(9), "type": "ghost"}), 3, "line 3: no ticket type 'ghost'"),
    (json.dumps({**crash(9), "customer": "C9"}), 3, "line 3: no customer 'C9'"),
    (json.dumps({**crash(9), "cc": ["ghost"]}), 3, "line 3: no user 'ghost'"),
    (json.dumps({**crash(9), "title": ""}), 2, "line 3: a title is required"),
    (json.dumps({**crash(9), "priority": "critical"}), 2, "line 3: priority must be one of"),
    (json.dumps({**crash(9), "fields": {"os": "Windows"}}), 2,
     "line 3: os must be one of iOS, Android, not 'Windows'; phone_model is required"),
    (json.dumps({**crash(9), "fields": {**crash(9)["fields"], "app_version": "new"}}), 2,
     "line 3: app_version 'new' is not valid: like 3.2"),
    (json.dumps(crash(1)), 2, "line 3: external_id 'CRM-1' appears twice"),
])
def test_import_is_all_or_nothing_and_names_the_bad_line(desk, tmp_path, bad, code, words):
    text = jsonl([crash(1), crash(2)]) + bad + "\n" + jsonl([crash(4)])
    result = run(f"ticket import {write(tmp_path, 'in.jsonl', text)}")
    assert result.code == code, result
    assert words in result.err, result.err
    assert result.out == ""
    assert nothing_written(desk)


def test_import_line_numbers_count_blank_lines(desk):
    text = jsonl([crash(1)]) + "\n\n" + '{"type": "ghost", "title": "x"}\n'
    result = run("ticket import -", input=text)
    assert result.code == 3
    assert "line 4:" in result.err


def test_a_disabled_or_ungranted_type_fails_the_whole_import(desk):
    ok("type disable renewal")
    text = jsonl([crash(1), {"type": "renewal", "title": "R", "fields": {"package": "12"}}])
    result = run("ticket import -", input=text)
    assert result.code == 5 and "line 2:" in result.err and "disabled" in result.err
    assert nothing_written(desk)


def test_import_needs_both_open_and_import_permissions(desk):
    result = run("ticket import -", input=jsonl([crash(1)]), as_user="bob")
    assert result.code == 4 and "ticket.import" in result.err
    result = run("ticket import -", input=jsonl([crash(1)]), as_user="viv")
    assert result.code == 4 and "ticket.open" in result.err
    ok("ticket import -", input=jsonl([crash(1)]), as_user="mgr")  # managers may
    assert db_count(desk, "tickets") == 1


def test_a_bad_line_after_a_written_batch_still_leaves_nothing(desk):
    from deskcli.tickets.bulk import BATCH

    good = '{"type": "renewal", "title": "R", "customer": "C1", "fields": {"package": "12"}}\n'
    text = good * (BATCH + 1) + '{"type": "renewal", "title": ""}\n'
    result = run("ticket import -", input=text)
    assert result.code == 2
    assert f"line {BATCH + 2}: a title is required" in result.err
    assert nothing_written(desk)


def test_a_big_file_is_streamed_with_progress_on_a_terminal(desk, tmp_path):
    """More lines than one batch, through the installed command with stderr on a pty:
    the progress line reports the first batch before the file is finished."""
    import pty

    from deskcli.tickets.bulk import BATCH

    total = BATCH + 200
    src = tmp_path / "big.jsonl"
    with src.open("w", encoding="utf-8") as handle:
        for i in range(total):
            handle.write(json.dumps({"type": "renewal", "title": f"Renewal {i}",
                                     "customer": "C1", "fields": {"package": "24"},
                                     "external_id": f"R{i}"}) + "\n")
    leader, follower = pty.openpty()
    env = {**os.environ, "DESKCLI_USER": "alice"}
    try:
        proc = subprocess.run([sys.executable, "-m", "deskcli", "ticket", "import", str(src)],
                              env=env, stdout=subprocess.PIPE, stderr=follower, timeout=120)
        os.close(follower)
        follower = None
        err = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0, err
    assert proc.stdout.decode().strip() == f"imported {total}, skipped 0 (already on the desk)"
    progress = err.decode()
    # a batch, or fewer lines written while the worker had nothing ready (bulk.EARLY_FLUSH)
    early = [int(n) for n in re.findall(r"importing: (\d+) lines read", progress)]
    assert early and early[0] <= BATCH < total, progress
    assert f"importing: {total} lines read (100%)" in progress
    assert db_count(desk, "tickets") == total
    assert ok("ticket list --limit 1 --json").json[0]["external_id"] == f"R{total - 1}"


def index_sql(db) -> dict:
    """Every index of the desk and the statement that makes it."""
    if is_pg(db):
        return dict(query(db, "SELECT indexname, indexdef FROM pg_indexes "
                              "WHERE schemaname = current_schema()"))
    return dict(query(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                          "AND sql IS NOT NULL"))


def indexes_complete(db) -> bool:
    """Whether every index holds an entry for every row: SQLite's integrity_check, or
    PostgreSQL's amcheck (bt_index_check with heapallindexed) on every b-tree index."""
    if not is_pg(db):
        return query(db, "PRAGMA integrity_check") == [("ok",)]
    execute(db, "CREATE EXTENSION IF NOT EXISTS amcheck")
    checked = query(db, "SELECT c.relname, bt_index_check(c.oid, true)::text FROM pg_index x "
                        "JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam "
                        "WHERE a.amname = 'btree' AND c.relnamespace = "
                        "current_schema()::regnamespace")
    return len(checked) > 0  # bt_index_check raises on a missing entry


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 2 lines, and indexes deferred once 3 tickets were added (the real
    figures are 5,000 and 20,000)."""
    import deskcli.tickets.bulk

    monkeypatch.setattr(deskcli.tickets.bulk, "BATCH", 2)
    monkeypatch.setattr(deskcli.tickets.bulk, "DEFER_INDEXES_AT", 3)


def test_a_large_import_drops_and_rebuilds_the_indexes(desk, small_batches):
    before = index_sql(desk)
    assert "tickets_open_owner" in before and "events_ticket_kind" in before
    counts = ok("ticket import - --json", input=jsonl(crash(i) for i in range(1, 10))).json
    # (PostgreSQL keeps them: dropping one would lock every reader out until the commit)
    assert counts == {"imported": 9, "skipped": 0, "lines": 9,
                      "rebuilt_indexes": not is_pg(desk),
                      "ignored_keys": []}
    assert index_sql(desk) == before  # the same indexes, from their own SQL
    assert indexes_complete(desk)  # entries complete
    listed = ok("ticket list --status assigned --json").json  # read through the indexes
    assert len(listed) == 9 and ok("ticket show 5 --json").json["events"]
    bobs = [t["id"] for t in listed if t["assignee"] == "bob"]
    assert bobs and [t["id"] for t in ok("ticket list --assignee bob --json").json] == bobs
    # the desk now holds 9 tickets: a 5-line import keeps its indexes
    counts = ok("ticket import - --json", input=jsonl(crash(i) for i in range(10, 15))).json
    assert counts["imported"] == 5 and counts["rebuilt_indexes"] is False


def test_progress_says_when_the_indexes_are_being_built(desk, small_batches):
    """A terminal sees the import's progress after every batch, and a last word before the
    (long, silent) index rebuild; the service reports both through one callback."""
    from deskcli.desk import Desk
    from deskcli.tickets.bulk import import_tickets

    calls = []
    opened = Desk.open(str(desk), "alice")
    try:
        counts = import_tickets(opened, jsonl(crash(i) for i in range(1, 8)).splitlines(),
                                lambda *args: calls.append(args))
    finally:
        opened.close()
    assert counts["rebuilt_indexes"] is not is_pg(desk)  # (PostgreSQL keeps its indexes)
    assert calls == [(2,), (4,), (6,), (7,)] + ([] if is_pg(desk) else
                                                [(7, "building the indexes")])


def test_a_bad_line_after_the_indexes_were_dropped_leaves_them_and_nothing_else(
        desk, small_batches):
    before = index_sql(desk)
    text = jsonl(crash(i) for i in range(1, 8)) + '{"type": "crash", "title": ""}\n'
    result = run("ticket import -", input=text)
    assert result.code == 2 and "line 8:" in result.err
    assert nothing_written(desk) and index_sql(desk) == before


# --- export ---------------------------------------------------------------------------------

def test_export_writes_importable_lines(desk):
    ok("ticket open --type crash --title 'App closes' -m '登录闪退' --customer C1 "
       "--field phone_model='iPhone 15' --field os=iOS --cc bob --source phone")
    ok("ticket open --type renewal --title Renewal --customer C2 --field package=24 "
       "--external-id SALES-7")
    lines = ok("ticket export").out.splitlines()
    records = [json.loads(line) for line in lines]
    assert all(set(r) == IMPORT_KEYS for r in records)
    assert "登录闪退" in lines[0]  # UTF-8, not \u escapes
    assert records[0] == {"type": "crash", "title": "App closes", "body": "登录闪退",
                          "customer": "C1", "fields": {"phone_model": "iPhone 15",
                                                       "os": "iOS"},
                          "priority": "high", "cc": ["zhao", "bob"], "source": "phone",
                          "external_id": "Test desk#1"}
    assert records[1]["external_id"] == "SALES-7"  # oldest first, own ids kept


def test_export_filters_and_output_file(desk, tmp_path):
    ok("ticket open --type renewal --title Old --customer C1 --field package=12",
       now="2026-11-01T09:00:00Z")
    ok("ticket open --type renewal --title Queued --customer C2 --field package=12")
    ok("ticket open --type crash --title New --field phone_model=x --field os=iOS")
    titles = [json.loads(x)["title"] for x in ok("ticket export --type renewal").out.split("\n")
              if x]
    assert titles == ["Old", "Queued"]
    titles = [json.loads(x)["title"] for x in ok("ticket export --status new").out.split("\n")
              if x]
    assert titles == ["Queued"]
    titles = [json.loads(x)["title"] for x in ok("ticket export --since 7d").out.split("\n")
              if x]
    assert titles == ["Queued", "New"]
    target = tmp_path / "out.jsonl"
    assert ok(f"ticket export -o {target}").out == ""
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
    assert run("ticket export", as_user="bob").code == 4


def test_export_then_import_round_trips_into_another_desk(desk, tmp_path, seeded_template,
                                                          store_kind, request):
    """Into a second desk of the store under test (a copy of the seeded template)."""
    ok("ticket open --type crash --title 'App closes' -m 'Body' --customer C1 "
       "--field phone_model='iPhone 15' --field os=iOS --field app_version=3.2 --cc carol "
       "--priority urgent --source phone")
    ok("ticket open --type renewal --title '续费' --customer C1 --field package=48")
    ok("ticket open --type renewal --title Queue --customer C2 --field package=12")
    ok("ticket import -", input="".join(  # more than one export page
        json.dumps({"type": "renewal", "title": f"Bulk {n}", "customer": "C2",
                    "fields": {"package": "12"}}) + "\n" for n in range(1200)))
    exported = ok("ticket export").out
    assert len(exported.splitlines()) == 1203
    if store_kind == "postgres":  # same people and types, in a second database
        cluster = request.getfixturevalue("pg_cluster")
        url = cluster.url(cluster.new_database())
        (tmp_path / "other").mkdir()
        with isolated_env(tmp_path / "other", url):
            seed_desk()
        other = f"'{url}'"
    else:
        other = copy_desk(seeded_template, tmp_path / "other.db")
    assert ok(f"--db {other} ticket import - --json", input=exported).json["imported"] == 1203
    assert ok(f"--db {other} ticket import - --json", input=exported).json["skipped"] == 1203
    again = ok(f"--db {other} ticket export").out
    assert again == exported  # the same records, external ids included
    first = ok(f"--db {other} ticket show 1 --json").json
    assert (first["title"], first["priority"], first["source"], first["body"]) == (
        "App closes", "urgent", "phone", "Body")
    assert first["cc"] == ["zhao", "carol"]
