"""The views of issue 3: the assignment queue (分配工单) with reasons, CC'd to me (抄送我的)
directly and as a department head, my dashboard (sections, counts, --json), and saved
views used by `ticket list --view NAME` with overrides."""

import pytest
from conftest import ok, run, set_active


@pytest.fixture
def desk(life_desk):
    return life_desk


def opened(type_key="help", as_user="alice", extra="") -> int:
    return ok(f"ticket open --type {type_key} --title 'T {type_key}' {extra} --json",
              as_user=as_user).json["id"]


CRASH = "--field phone_model=X1 --field os=iOS"


# --- the assignment queue -----------------------------------------------------------------

def test_queue_lists_tickets_nobody_must_accept_with_the_reason(desk):
    manual = opened("task")
    declined = opened("help")
    ok(f"ticket decline {declined} -m 'Wrong product'", as_user="bob")
    assigned = opened("help")  # bob must accept it: not in the queue
    rows = ok("queue list --json", as_user="mgr").json
    assert [r["id"] for r in rows] == [manual, declined]  # oldest first
    reasons = {r["id"]: r["queue_reason"] for r in rows}
    assert reasons[manual] == "routing rule manual: to the assignment queue"
    assert "declined by bob: Wrong product" in reasons[declined]
    assert assigned not in reasons
    table = ok("queue list", as_user="mgr").out
    assert "REASON" in table.splitlines()[0] and "Wrong product" in table


def test_queue_shows_tickets_left_by_departed_staff(desk):
    owned = opened("help")
    ok(f"ticket accept {owned}", as_user="bob")
    waiting = opened("help")
    ok("user deactivate bob")
    rows = {r["id"]: r for r in ok("queue list --json", as_user="mgr").json}
    assert set(rows) == {owned, waiting}
    for tid in (owned, waiting):
        assert rows[tid]["status"] == "new"
        assert "bob left" in rows[tid]["queue_reason"]
        assert "back to the assignment queue" in rows[tid]["queue_reason"]


def test_queue_shows_open_tickets_whose_person_is_no_longer_active(desk):
    """A desk changed behind deskcli's back (or imported): the ticket still names someone
    inactive. It belongs in the queue, saying who left."""
    assigned = opened("help")
    owned = opened("help")
    ok(f"ticket accept {owned}", as_user="bob")
    done = opened("help")
    ok(f"ticket accept {done}", as_user="bob")
    ok(f"ticket resolve {done} -m Fixed", as_user="bob")
    set_active(desk, "bob", False)
    rows = {r["id"]: r for r in ok("queue list --json", as_user="mgr").json}
    assert set(rows) == {assigned, owned}  # resolved tickets are not waiting for anyone
    assert rows[assigned]["queue_reason"].startswith("bob is no longer active")
    assert rows[owned]["queue_reason"].startswith("bob is no longer active")
    # dispatch from the queue
    ok(f"ticket assign {assigned} --to carol", as_user="mgr")
    assert assigned not in [r["id"] for r in ok("queue list --json", as_user="mgr").json]


def test_queue_plain_output_feeds_assign(desk):
    ids = [opened("task") for _ in range(3)]
    plain = ok("queue list --format plain", as_user="mgr").out
    first_column = "\n".join(line.split("\t")[0] for line in plain.splitlines())
    ok("ticket assign - --to carol --yes", as_user="mgr", input=first_column)
    assert ok("queue list --json", as_user="mgr").json == []
    assert {ok(f"ticket show {i} --json").json["assignee"] for i in ids} == {"carol"}


def test_queue_limit_and_empty(desk):
    assert ok("queue list --json", as_user="mgr").json == []
    for _ in range(3):
        opened("task")
    assert len(ok("queue list --limit 2 --json", as_user="mgr").json) == 2


def test_an_access_client_sees_only_its_own_tickets_in_the_queue(desk):
    opened("task")
    own = ok("ticket open --type renewal --title Renew --customer C2 --field package=12 "
             "--json", as_user="sales-system").json  # C2 has no consultant: the queue
    assert own["status"] == "new"
    assert [r["id"] for r in ok("queue list --json", as_user="sales-system").json] == [
        own["id"]]
    assert len(ok("queue list --json", as_user="mgr").json) == 2


# --- CC'd to me ---------------------------------------------------------------------------

def test_cc_list_directly_and_as_department_head(desk):
    direct = opened("help", extra="--cc carol")
    crash = opened("crash", extra=CRASH)  # the type CCs dept:sales, whose head is zhao
    plain = opened("help")
    assert [t["id"] for t in ok("cc list --json", as_user="carol").json] == [direct]
    assert [t["id"] for t in ok("cc list --json", as_user="zhao").json] == [crash]
    assert ok("cc list --json", as_user="sun").json == []  # in sales, but not its head
    ok(f"ticket cc {plain} --add dept:sales", as_user="alice")
    assert [t["id"] for t in ok("cc list --json", as_user="zhao").json] == [plain, crash]
    ok("dept update sales --head sun")  # CC to a department follows its head
    assert [t["id"] for t in ok("cc list --json", as_user="sun").json] == [plain, crash]
    assert ok("cc list --json", as_user="zhao").json == []


def test_cc_list_hides_finished_tickets_unless_all(desk):
    tid = opened("help", extra="--cc carol")
    ok(f"ticket accept {tid}", as_user="bob")
    ok(f"ticket resolve {tid} -m Done", as_user="bob")
    assert ok("cc list --json", as_user="carol").json == []
    assert [t["id"] for t in ok("cc list --all --json", as_user="carol").json] == [tid]
    assert "T help" in ok("cc list --all", as_user="carol").out


# --- the dashboard ------------------------------------------------------------------------

def test_dashboard_sections_and_counts(desk):
    to_accept = opened("help")                      # assigned to bob
    mine = opened("help")
    ok(f"ticket accept {mine}", as_user="bob")       # bob owns it
    waiting = opened("help")
    ok(f"ticket accept {waiting}", as_user="bob")
    ok(f"ticket reply {waiting} -m 'Which phone?' --wait", as_user="bob")
    for_carol = opened("task")
    ok(f"ticket accept {for_carol}", as_user="carol")
    ok(f"ticket transfer {for_carol} --to bob", as_user="carol")  # bob handles for carol
    cc_d = opened("task", extra="--cc bob")
    ok(f"ticket nudge {to_accept} -m 'Please'", as_user="alice")
    board = ok("dashboard --json", as_user="bob").json
    assert board["user"] == "bob"
    ids = {name: [t["id"] for t in board[name]] for name in
           ("to_approve", "to_accept", "in_progress", "handling", "cc", "overdue", "nudged")}
    assert ids == {"to_approve": [], "to_accept": [to_accept], "in_progress": [waiting, mine],
                   "handling": [for_carol], "cc": [cc_d], "overdue": [],
                   "nudged": [to_accept]}
    assert board["counts"] == {"to_approve": 0, "to_accept": 1, "in_progress": 2,
                               "handling": 1, "cc": 1, "overdue": 0, "nudged": 1}
    # four hours on, bob's unaccepted ticket is past its accept time (help: 4h)
    later = ok("dashboard --json", as_user="bob", now="2026-11-28T13:30:00Z").json
    assert [t["id"] for t in later["overdue"]] == [to_accept]
    # a day and more on, the owned ticket is past its resolve time; the waiting one is not
    later = ok("dashboard --json", as_user="bob", now="2026-11-29T10:00:00Z").json
    assert sorted(t["id"] for t in later["overdue"]) == [to_accept, mine]


def test_dashboard_queue_count_for_dispatchers_only(desk):
    opened("task")
    opened("task")
    assert ok("dashboard --json", as_user="mgr").json["counts"]["queue"] == 2
    assert "queue" not in ok("dashboard --json", as_user="bob").json["counts"]


def test_dashboard_to_approve_lists_only_what_i_may_approve(desk):
    named = opened("purchase", as_user="sun")   # approver zhao
    ok("user update sun --manager none")
    nobody = opened("leave", as_user="sun")     # the opener's manager, but sun has none
    assert ok(f"ticket show {nobody} --json").json["approver"] is None
    zhao = ok("dashboard --json", as_user="zhao").json
    assert [t["id"] for t in zhao["to_approve"]] == [nobody, named]
    # mgr may approve the one with no named approver, not zhao's
    board = ok("dashboard --json", as_user="mgr").json
    assert [t["id"] for t in board["to_approve"]] == [nobody]
    assert board["counts"]["to_approve"] == 1
    assert run(f"ticket approve {named}", as_user="mgr").code == 4
    ok(f"ticket approve {nobody}", as_user="mgr")
    assert ok("dashboard --json", as_user="bob").json["to_approve"] == []


def test_dashboard_text(desk):
    tid = opened("help")
    out = ok("dashboard", as_user="bob").out
    assert out.splitlines()[0].startswith("bob — to_approve: 0  to_accept: 1")
    assert "To accept (待接单) (1)" in out
    assert f"#{tid}" in out and "(bob)" in out
    assert "Handling for others" not in out  # empty sections are left out


def test_dashboard_limit_says_how_many_more(desk):
    for _ in range(3):
        opened("help")
    board = ok("dashboard --limit 2 --json", as_user="bob").json
    assert len(board["to_accept"]) == 2 and board["counts"]["to_accept"] == 3
    assert "... and 1 more" in ok("dashboard --limit 2", as_user="bob").out


def test_dashboard_of_an_access_client_shows_nothing_of_others(desk):
    opened("help", extra="--cc bob")
    board = ok("dashboard --json", as_user="sales-system").json
    assert set(board["counts"].values()) == {0}


# --- saved views --------------------------------------------------------------------------

def test_saved_view_and_overrides(desk):
    mine = opened("help")
    ok(f"ticket accept {mine}", as_user="bob")
    other = opened("help")
    done = opened("help")
    ok(f"ticket accept {done}", as_user="bob")
    ok(f"ticket resolve {done} -m Done", as_user="bob")
    opened("task")
    assert ok("view add mine --status open --owner @me", as_user="bob").out == "mine\n"
    assert [t["id"] for t in ok("ticket list --view mine --json", as_user="bob").json] == [mine]
    # options on the command line override the saved ones
    assert [t["id"] for t in ok("ticket list --view mine --status resolved --json",
                                as_user="bob").json] == [done]
    # @me is whoever uses the view; but views are personal
    result = run("ticket list --view mine", as_user="carol")
    assert result.code == 3 and "no saved view 'mine'" in result.err
    ok("view add mine --status open --owner @me", as_user="carol")
    assert ok("ticket list --view mine --json", as_user="carol").json == []
    # replacing a view
    ok("view add mine --type help --assignee @me --status assigned,in_progress", as_user="bob")
    assert [t["id"] for t in ok("ticket list --view mine --json", as_user="bob").json] == [
        other, mine]
    listed = ok("view list --json", as_user="bob").json
    assert [(v["name"], v["filters"]) for v in listed] == [
        ("mine", {"types": ["help"], "assignee": "@me", "status": ["assigned,in_progress"]})]


def test_view_add_needs_a_filter_and_a_good_name(desk):
    result = run("view add empty", as_user="bob")
    assert result.code == 2 and "at least one filter" in result.err
    assert run("view add 'bad name' --status open", as_user="bob").code == 2


def test_view_remove(desk):
    ok("view add o --overdue", as_user="bob")
    assert ok("view remove o", as_user="bob").out == "o\n"
    assert ok("view list --json", as_user="bob").json == []
    assert run("view remove o", as_user="bob").code == 3


def test_a_saved_view_keeps_its_limit_and_sort(desk):
    ids = [opened("task") for _ in range(3)]
    ok("view add oldest --sort id --limit 2", as_user="bob")
    assert [t["id"] for t in ok("ticket list --view oldest --json", as_user="bob").json] == \
        ids[:2]
    assert [t["id"] for t in ok("ticket list --view oldest --limit 0 --json",
                                as_user="bob").json] == ids


# --- whole tickets in JSON, columns in tables ------------------------------------------------

def test_listings_give_whole_tickets_in_json_and_columns_in_tables(desk):
    """Tables, plain, CSV and TSV show columns only, so the listings skip loading CC lists,
    checklists and tags for them; the JSON formats still carry all of it."""
    tid = opened("task", extra="--cc bob")
    ok(f"ticket tag {tid} +printer", as_user="mgr")
    ok(f"ticket cc {tid} --add carol", as_user="mgr")
    for argv, user in (("ticket list --json", "mgr"), ("queue list --json", "mgr"),
                       ("cc list --json", "bob")):
        row = next(r for r in ok(argv, as_user=user).json if r["id"] == tid)
        assert row["cc"] == ["bob", "carol"] and row["tags"] == ["printer"], argv
    board = ok("dashboard --json", as_user="bob").json
    assert board["cc"][0]["cc"] == ["bob", "carol"] and board["cc"][0]["tags"] == ["printer"]
    for argv, user in (("ticket list", "mgr"), ("queue list", "mgr"), ("cc list", "bob"),
                       ("ticket list --format csv", "mgr"), ("dashboard", "bob")):
        out = ok(argv, as_user=user).out
        assert str(tid) in out and "T task" in out, argv
    jsonl = ok("ticket list --format jsonl", as_user="mgr").out.splitlines()
    assert '"tags": ["printer"]' in next(line for line in jsonl if f'"id": {tid},' in line)


@pytest.mark.sqlite_only(reason="SQLite's EXPLAIN QUERY PLAN and its covering indexes; "
                         "PostgreSQL's planner chooses by table statistics (a small table "
                         "is scanned whatever the indexes)")
def test_a_persons_open_work_is_read_from_the_covering_indexes(desk):
    """The dashboard's pass over someone's open work reads the open-work indexes alone
    (m011, m013): no table row is fetched, however many tickets the person holds."""
    import sqlite3

    from deskcli.store import tickets as tstore

    conn = sqlite3.connect(desk)
    plan = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + tstore._MY_OPEN_WORK,
                                                 {"me": 1}))
    conn.close()
    for role in ("assignee", "owner", "handler"):
        assert f"USING COVERING INDEX tickets_open_{role} " in plan, plan
