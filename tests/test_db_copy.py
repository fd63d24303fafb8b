"""`db copy`: a desk moved between stores (SQLite file <-> PostgreSQL database) keeps every
row, answers the same, and a copy that cannot be made leaves nothing behind.

On the sqlite leg the desk is a file and the copies are files; on the postgres leg the
desk is a database, copied to a file and from that file into a second database.
"""

import os

import pytest
from conftest import is_pg, ok, query, run

# rows a store numbers or derives itself (the full-text indexes, counts kept by triggers)
SKIPPED = {"migrations", "search_index", "assignee_load", "faq_terms"}
COMPARED = ["departments", "users", "roles", "customers", "ticket_types", "type_fields",
            "type_steps", "type_cc", "tickets", "ticket_cc", "ticket_steps", "events",
            "outbox", "settings", "meta", "faq", "faq_keywords", "ticket_tags"]


def busy_desk():
    """A seeded desk with what the copy must order and fill in: CC lists, a merge (a
    ticket's key to another ticket), replies, tags, a FAQ entry, a setting."""
    crash = ("ticket open --type crash --title 'App closes at login' -m '登录以后闪退' "
             "--customer C1 --field phone_model='iPhone 15' --field os=iOS")
    ok(crash, as_user="alice")
    ok(crash.replace("App closes at login", "App closes again"), as_user="alice")
    ok("ticket open --type renewal --title 'Renewal for Zhang' --customer C1 "
       "--field package=12", as_user="alice")
    ok("ticket accept 1", as_user="bob")
    ok("ticket reply 1 -m 'Please update to 3.2.2' --wait", as_user="bob")
    ok("ticket tag 1 ios", as_user="bob")
    ok("ticket merge 2 --into 1", as_user="alice")
    ok("faq add --question '忘记密码怎么办' --answer '点忘记密码' --keywords 密码",
       as_user="alice")
    ok("config set locale zh", as_user="alice")


def rows(location, table):
    cols = [c for c in _columns(location, table) if c != "rowid"]
    return sorted(query(location, f"SELECT {', '.join(cols)} FROM {table}"), key=repr)


def _columns(location, table):
    if is_pg(location):
        return [r[0] for r in query(
            location, "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? "
            "ORDER BY ordinal_position", (table,))]
    return [r[1] for r in query(location, f"PRAGMA table_info({table})")]


ALL = "awaiting_approval,new,assigned,in_progress,waiting,resolved,closed"


def listing(location):
    return ok(f"--db {location} ticket list --status {ALL} --json", as_user="alice").json


@pytest.fixture
def copied(seeded_desk, isolated, store_kind, request):
    """(original, a copy in a file, a copy of that copy: a file or a second database)."""
    busy_desk()
    first = str(isolated / "copy.db")
    ok(f"db copy {seeded_desk} {first}", as_user="alice")
    if store_kind == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        second = cluster.url(cluster.new_database())
    else:
        second = str(isolated / "copy-of-copy.db")
    ok(f"db copy {first} {second}", as_user="alice")
    return str(seeded_desk), first, second


def test_a_copy_keeps_every_row(copied):
    original, first, second = copied
    for table in COMPARED:
        expected = rows(original, table)
        assert rows(first, table) == expected, table
        assert rows(second, table) == expected, table
    assert len(rows(original, "tickets")) == 3


def test_a_copy_answers_like_the_original(copied):
    original, first, second = copied
    assert listing(first) == listing(original)
    assert listing(second) == listing(original)
    for where in copied:
        shown = ok(f"--db {where} ticket show 2 --json", as_user="alice").json
        assert shown["merged_into"] == 1
        found = ok(f"--db {where} ticket list --search 闪退 --status {ALL} --json",
                   as_user="alice").json
        assert sorted(t["id"] for t in found) == [1, 2]
        faq = ok(f"--db {where} faq search 密码 --json", as_user="alice").json
        assert [entry["question"] for entry in faq][:1] == ["忘记密码怎么办"]
    assert ok(f"--db {second} db check", as_user="alice").out.strip() == "ok"


def test_the_copy_goes_on_where_the_original_stood(copied):
    original, _, second = copied
    ok("ticket open --type renewal --title 'Renewal again' --customer C1 "
       "--field package=24", as_user="alice")
    made = ok(f"--db {second} ticket open --type renewal --title 'Renewal again' "
              "--customer C1 --field package=24 --json", as_user="alice").json
    assert made["id"] == 4  # ids go on from the copied tickets, on either store
    assert made["assignee"] == listing(original)[0]["assignee"] == "sun"


def test_a_target_that_holds_a_desk_is_refused(seeded_desk, isolated):
    other = isolated / "other.db"
    ok(f"db copy {seeded_desk} {other}", as_user="alice")
    before = other.stat().st_size
    result = run(f"db copy {seeded_desk} {other}", as_user="alice")
    assert result.code == 5, result
    assert "already exists" in result.err
    assert other.stat().st_size == before
    back = run(f"db copy {other} {seeded_desk}", as_user="alice")
    assert back.code == 5, back
    assert "already exists" in back.err


def test_only_an_admin_may_copy_and_a_refusal_leaves_no_file(seeded_desk, isolated):
    target = isolated / "stolen.db"
    result = run(f"db copy {seeded_desk} {target}", as_user="bob")
    assert result.code == 4, result
    assert "desk.configure" in result.err or "not allowed" in result.err
    assert not os.path.exists(target)


def test_a_missing_source_is_named(isolated):
    result = run(f"db copy {isolated / 'nowhere.db'} {isolated / 'x.db'}", as_user="alice")
    assert result.code == 3, result
    assert "nowhere.db" in result.err
    assert not os.path.exists(isolated / "x.db")
