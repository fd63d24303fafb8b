"""The SQL views for browsing a desk (v_tickets, v_open_work, v_events, v_people) and
the triggers as they read in sqlite_master."""

import re
import sqlite3

import pytest

from deskcli.store.browse import _SQL_TOKEN, readable_sql
from deskcli.store.migrations import remind_at_sql
from tests.conftest import is_pg, ok


def query(path, sql, params=()):
    """Rows as dicts, read-only, as a browser would read the desk (file or database)."""
    if is_pg(path):
        import psycopg2

        conn = psycopg2.connect(path)
        conn.set_session(readonly=True)
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            conn.close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # as a browser would
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def work(desk):
    """Tickets in every open state and one closed, for bob, carol and the queue."""
    ok("type add task --name Task --route manual --accept-within 1h")
    ok("ticket open --type crash --title 'Crash A' --customer C1 --field phone_model=X "
       "--field os=iOS")                                    # 1: assigned (least-loaded)
    ok("ticket open --type crash --title 'Crash B' --customer C2 --field phone_model=Y "
       "--field os=Android")                                # 2: assigned
    ok("ticket open --type task --title 'In the queue'")    # 3: new
    assignees = {t["id"]: t["assignee"] for t in ok("ticket list --json").json}
    ok("ticket accept 1", as_user=assignees[1])             # 1: in_progress
    ok(f"ticket transfer 1 --to {'carol' if assignees[1] == 'bob' else 'bob'}",
       as_user=assignees[1])
    ok("ticket open --type task --title Done")              # 4: closed
    ok("ticket accept 4", as_user="bob")
    ok("ticket resolve 4 -m fixed", as_user="bob")
    ok("ticket close 4", as_user="bob")
    return assignees


def test_v_tickets_names_everything_like_ticket_list(desk):
    work(desk)
    listed = {t["id"]: t for t in ok("ticket list --status open,resolved,closed --json").json}
    rows = query(desk, "SELECT * FROM v_tickets ORDER BY id")
    assert [r["id"] for r in rows] == sorted(listed)
    for row in rows:
        ticket = listed[row["id"]]
        for key in ("type", "title", "status", "priority", "customer", "assignee", "owner",
                    "handler", "opened_by", "created_at", "accept_due_at"):
            assert row[key] == ticket[key], (row["id"], key)
        assert row["is_open"] == (ticket["status"] not in ("resolved", "closed"))
    assert rows[0]["type_name"] == "App crash" and rows[0]["customer_name"] == "Zhang Wei"


def test_v_open_work_puts_each_open_ticket_under_who_must_act(desk):
    assignees = work(desk)
    rows = query(desk, "SELECT person, role, ticket, status, department FROM v_open_work "
                       "ORDER BY ticket")
    handler = "carol" if assignees[1] == "bob" else "bob"
    assert [(r["ticket"], r["person"], r["role"]) for r in rows] == [
        (1, handler, "handling"), (2, assignees[2], "to accept"), (3, None, "queue")]
    assert rows[0]["department"] == "support"
    counts = query(desk, "SELECT person, count(*) AS n FROM v_open_work GROUP BY person "
                         "ORDER BY person")
    assert sum(r["n"] for r in counts) == 3
    # the due time that applies, and overdue by the real clock (the test's time is 2026)
    due = query(desk, "SELECT ticket, due_at, overdue FROM v_open_work WHERE ticket = 3")
    assert due[0]["due_at"] == "2026-11-28T10:00:00Z" and due[0]["overdue"] in (0, 1)


def test_v_events_and_v_people(desk):
    work(desk)
    kinds = [r["kind"] for r in query(desk, "SELECT kind FROM v_events WHERE ticket_id = 4 "
                                            "ORDER BY id")]
    assert kinds[0] == "opened" and kinds[-1] == "closed"
    closed = query(desk, "SELECT actor, ticket_title FROM v_events WHERE ticket_id = 4 AND "
                         "kind = 'closed'")
    assert closed == [{"actor": "bob", "ticket_title": "Done"}]
    bob = query(desk, "SELECT * FROM v_people WHERE login = 'bob'")[0]
    assert (bob["department"], bob["manager"], bob["role"]) == ("support", "mgr", "agent")


def words(sql: str) -> list[str]:
    return [t for t in _SQL_TOKEN.findall(sql) if not t.isspace()]


@pytest.mark.sqlite_only(reason="the trigger SQL as SQLite stores it in sqlite_master; "
                         "PostgreSQL's triggers are PL/pgSQL functions, with no such text")
def test_triggers_read_on_several_lines_with_the_same_sql(desk):
    triggers = query(desk, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    assert {"tickets_remind_insert", "tickets_remind_update"} <= {t["name"] for t in triggers}
    for trigger in triggers:
        assert max(len(line) for line in trigger["sql"].splitlines()) < 180, trigger["name"]
    remind = next(t["sql"] for t in triggers if t["name"] == "tickets_remind_update")
    assert re.search(r"\n +CASE\n +WHEN NEW.status IN \('new', 'assigned'\)\n", remind)
    one_line = f"    UPDATE tickets SET remind_at = {remind_at_sql('NEW')} WHERE id = NEW.id;"
    assert words(readable_sql(one_line)) == words(one_line)
    assert "'%Y-%m-%dT%H:%M:%SZ'" in readable_sql(one_line)


def test_reminders_still_work_through_the_rewritten_triggers(desk):
    ok("type add task --name Task --route user:bob --accept-within 1h --nudge-every 1h")
    ok("ticket open --type task --title Late")
    assert query(desk, "SELECT remind_at FROM tickets WHERE id = 1")[0]["remind_at"] == \
        "2026-11-28T10:00:00Z"
    nudged = ok("remind run --json", now="2026-11-28T10:30:00Z").json
    assert nudged["nudged"] == 1
    assert query(desk, "SELECT remind_at FROM tickets WHERE id = 1")[0]["remind_at"] == \
        "2026-11-28T11:30:00Z"
