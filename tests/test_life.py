"""Each verb of the ticket life (issue 3): its effect on the ticket, the event it records
(actor, kind, from -> to, message, visibility), --json, several ids and `-` on stdin, bulk
confirmation, no-ops, and the rules around resolve, waiting, reopen, merge, attachments,
links, tags, time and ratings. Time moves with DESKCLI_NOW, never by sleeping."""

import pytest
from conftest import NOW, execute, is_pg, ok, run


@pytest.fixture
def desk(life_desk):
    return life_desk


def opened(type_key="help", as_user="alice", extra="", now=None) -> int:
    return ok(f"ticket open --type {type_key} --title 'Login fails' {extra} --json",
              as_user=as_user, now=now).json["id"]


def accepted(type_key="help", by="bob", **kwargs) -> int:
    tid = opened(type_key, **kwargs)
    ok(f"ticket accept {tid}", as_user=by, now=kwargs.get("now"))
    return tid


def show(tid: int, as_user="alice") -> dict:
    return ok(f"ticket show {tid} --json", as_user=as_user).json


def last(tid: int) -> dict:
    return show(tid)["events"][-1]


def event_is(e: dict, kind, actor, frm=None, to=None, message=None, visibility="internal"):
    assert (e["kind"], e["actor"], e["from"], e["to"], e["message"], e["visibility"]) == \
        (kind, actor, frm, to, message, visibility), e
    assert e["at"] == NOW


# --- each verb: effect and event ----------------------------------------------------------

def test_assign_and_reassign(desk):
    tid = opened("task")
    out = ok(f"ticket assign {tid} --to carol -m 'She knows the app'", as_user="mgr")
    assert out.out == f"{tid}\n"
    t = show(tid)
    assert (t["status"], t["assignee"], t["owner"]) == ("assigned", "carol", None)
    event_is(t["events"][-1], "assigned", "mgr", None, "carol", "She knows the app")
    ok(f"ticket accept {tid}", as_user="carol")
    ok(f"ticket assign {tid} --to bob", as_user="mgr")
    t = show(tid)
    assert (t["status"], t["assignee"], t["owner"], t["handler"]) == (
        "assigned", "bob", None, None)
    event_is(t["events"][-1], "reassigned", "mgr", "carol", "bob")


def test_assign_to_an_unknown_or_departed_user(desk):
    tid = opened("task")
    assert run(f"ticket assign {tid} --to nobody", as_user="mgr").code == 3
    ok("user deactivate carol")
    result = run(f"ticket assign {tid} --to carol", as_user="mgr")
    assert result.code == 5 and "carol is deactivated" in result.err


def test_accept_makes_owner_and_handler(desk):
    tid = opened("help")
    t = ok(f"ticket accept {tid} --json", as_user="bob").json
    assert (t["status"], t["assignee"], t["owner"], t["handler"], t["accepted_at"]) == (
        "in_progress", "bob", "bob", "bob", NOW)
    event_is(show(tid)["events"][-1], "accepted", "bob", "assigned", "in_progress")


def test_anyone_may_accept_from_the_queue(desk):
    tid = opened("task")
    assert show(tid)["status"] == "new"
    t = ok(f"ticket accept {tid} --json", as_user="sun").json
    assert (t["status"], t["owner"]) == ("in_progress", "sun")


def test_decline_goes_back_to_the_queue_with_the_reason(desk):
    tid = opened("help")
    t = ok(f"ticket decline {tid} -m 'Billing, not me' --json", as_user="bob").json
    assert (t["status"], t["assignee"]) == ("new", None)
    e = show(tid)["events"][-1]
    assert (e["kind"], e["actor"], e["visibility"]) == ("declined", "bob", "internal")
    assert "Billing, not me" in e["message"]
    queued = ok("queue list --json", as_user="mgr").json
    assert [(q["id"], "Billing, not me" in q["queue_reason"]) for q in queued] == [(tid, True)]


def test_decline_needs_a_reason(desk):
    tid = opened("help")
    result = run(f"ticket decline {tid} -m ' '", as_user="bob")
    assert result.code == 2 and "say why" in result.err
    assert show(tid)["status"] == "assigned"


def test_transfer_changes_the_handler_not_the_owner(desk):
    tid = accepted()
    t = ok(f"ticket transfer {tid} --to carol -m 'Check the payment' --json",
           as_user="bob").json
    assert (t["owner"], t["handler"], t["status"]) == ("bob", "carol", "in_progress")
    event_is(show(tid)["events"][-1], "transferred", "bob", "bob", "carol", "Check the payment")


def test_transfer_to_a_department_reaches_its_head(desk):
    tid = accepted()
    ok(f"ticket transfer {tid} --to dept:sales", as_user="bob")
    t = show(tid)
    assert (t["owner"], t["handler"]) == ("bob", "zhao")
    e = t["events"][-1]
    assert (e["kind"], e["from"], e["to"], e["data"]) == (
        "transferred", "bob", "zhao", {"to": "dept:sales"})
    result = run(f"ticket transfer {tid} --to dept:teaching", as_user="zhao")
    assert result.code == 5 and "has no head" in result.err
    assert run(f"ticket transfer {tid} --to dept:nope", as_user="zhao").code == 3


def test_a_transfer_to_the_handler_keeps_its_message_as_a_note(desk):
    """Issue 10, point 11: the message is not dropped; exit 0, said on stderr."""
    tid = accepted()
    ok("user update carol --email carol@example.com")
    ok(f"ticket transfer {tid} --to carol", as_user="bob")
    outbox = len(ok("outbox list --json --limit 0").json)
    result = run(f"ticket transfer {tid} --to carol -m 'Logs are in /tmp/x'", as_user="bob")
    assert result.code == 0 and result.out == f"{tid}\n"
    assert "carol is already handling" in result.err and "added as an internal note" in \
        result.err and "nothing to do" not in result.err
    t = show(tid)
    assert (t["owner"], t["handler"]) == ("bob", "carol")
    event_is(t["events"][-1], "note", "bob", None, None, "Logs are in /tmp/x")
    assert [e["kind"] for e in t["events"]].count("transferred") == 1
    notices = ok("outbox list --json --limit 0").json
    assert len(notices) == outbox + 1 and notices[0]["template"] == "note"
    assert notices[0]["to"] == ["carol@example.com"]  # the note reaches the handler


def test_note_is_internal(desk):
    tid = accepted()
    ok(f"ticket note {tid} -m 'Called the centre, no answer'", as_user="carol")
    event_is(last(tid), "note", "carol", message="Called the centre, no answer")
    public = ok(f"ticket show {tid} --public --json").json
    assert "note" not in [e["kind"] for e in public["events"]]
    assert run(f"ticket note {tid} -m ''", as_user="carol").code == 2


def test_reply_is_public(desk):
    tid = accepted()
    t = ok(f"ticket reply {tid} -m 'Please update to 3.2' --json", as_user="bob").json
    assert t["status"] == "in_progress"
    event_is(show(tid)["events"][-1], "reply", "bob", message="Please update to 3.2",
             visibility="public")
    public = ok(f"ticket show {tid} --public --json").json
    assert public["events"][-1]["message"] == "Please update to 3.2"


def test_reply_wait_then_reply_again(desk):
    tid = accepted()
    ok(f"ticket reply {tid} -m 'Which phone?' --wait", as_user="bob")
    t = show(tid)
    assert t["status"] == "waiting"
    event_is(t["events"][-1], "reply", "bob", "in_progress", "waiting", "Which phone?",
             "public")
    ok(f"ticket reply {tid} -m 'Thanks, looking'", as_user="bob")
    t = show(tid)
    assert t["status"] == "in_progress"
    event_is(t["events"][-1], "reply", "bob", "waiting", "in_progress", "Thanks, looking",
             "public")


def test_resolve_and_close(desk):
    tid = accepted()
    t = ok(f"ticket resolve {tid} -m 'Fixed in 3.2.2' --json", as_user="bob").json
    assert (t["status"], t["resolution"], t["resolved_at"]) == ("resolved", "Fixed in 3.2.2",
                                                                 NOW)
    event_is(show(tid)["events"][-1], "resolved", "bob", "in_progress", "resolved",
             "Fixed in 3.2.2", "public")
    t = ok(f"ticket close {tid} -m 'Confirmed by the parent' --json", as_user="bob").json
    assert (t["status"], t["closed_at"]) == ("closed", NOW)
    event_is(show(tid)["events"][-1], "closed", "bob", "resolved", "closed",
             "Confirmed by the parent", "public")


def test_resolve_needs_a_resolution(desk):
    tid = accepted()
    result = run(f"ticket resolve {tid} -m ''", as_user="bob")
    assert result.code == 2, result
    assert show(tid)["status"] == "in_progress"


def test_a_manager_closes_without_resolving(desk):
    tid = opened("task")
    ok(f"ticket close {tid}", as_user="mgr")
    assert show(tid)["status"] == "closed"


def test_nudge_counts_and_names_who_must_act(desk):
    tid = opened("help")
    result = ok(f"ticket nudge {tid} -m 'The centre opens Monday'", as_user="alice")
    assert f"nudged bob on #{tid}" in result.err
    ok(f"ticket nudge {tid}", as_user="alice")
    t = show(tid)
    assert t["nudges"] == 2
    e = t["events"][-2]
    assert (e["kind"], e["actor"], e["to"], e["message"], e["data"]["count"]) == (
        "nudged", "alice", "bob", "The centre opens Monday", 1)
    queued = opened("task")
    assert "nudged the dispatchers" in ok(f"ticket nudge {queued}", as_user="alice").err


def test_approve_routes_and_reject_closes(desk):
    tid = opened("purchase", as_user="sun")
    t = show(tid)
    assert (t["status"], t["approver"], t["assignee"], t["accept_due_at"]) == (
        "awaiting_approval", "zhao", None, None)
    ok(f"ticket approve {tid} -m 'Budget ok'", as_user="zhao")
    t = show(tid)
    assert (t["status"], t["assignee"]) == ("assigned", "carol")
    kinds = [(e["kind"], e["actor"], e["message"]) for e in t["events"][-2:]]
    assert kinds[0] == ("approved", "zhao", "Budget ok")
    assert kinds[1][0] == "assigned"
    other = opened("purchase", as_user="sun")
    t = ok(f"ticket reject {other} -m 'Not this quarter' --json", as_user="zhao").json
    assert (t["status"], t["resolution"]) == ("closed", "rejected: Not this quarter")
    event_is(show(other)["events"][-1], "rejected", "zhao", "awaiting_approval", "closed",
             "Not this quarter", "public")


def test_cc_add_remove_and_the_event(desk):
    tid = accepted()
    t = ok(f"ticket cc {tid} --add carol --add dept:teaching --json", as_user="bob").json
    assert "carol" in t["cc"]
    kinds = [(e["kind"], e["to"]) for e in show(tid)["events"][-2:]]
    assert kinds == [("cc_added", "carol"), ("cc_added", "dept:teaching")]
    t = ok(f"ticket cc {tid} --remove carol --json", as_user="bob").json
    assert "carol" not in t["cc"]
    e = last(tid)
    assert (e["kind"], e["from"]) == ("cc_removed", "carol")
    assert run(f"ticket cc {tid}", as_user="bob").code == 2


def test_set_fields_priority_title(desk):
    tid = accepted()
    t = ok(f"ticket set {tid} --field ref=R-1 --priority urgent --title 'Login loops' --json",
           as_user="bob").json
    assert (t["fields"]["ref"], t["priority"], t["title"]) == ("R-1", "urgent", "Login loops")
    kinds = [(e["kind"], e["from"], e["to"]) for e in show(tid)["events"][-3:]]
    assert kinds == [("field_changed", None, "R-1"), ("priority_changed", "normal", "urgent"),
                     ("title_changed", "Login fails", "Login loops")]
    crash = opened("crash", extra="--field phone_model=X1 --field os=iOS")
    result = run(f"ticket set {crash} --field os=Windows --field app_version=three",
                 as_user="alice")
    assert result.code == 2, result
    assert "os" in result.err and "app_version" in result.err
    result = run(f"ticket set {crash} --field phone_model=", as_user="alice")
    assert result.code == 2 and "phone_model is required" in result.err


# --- --json, several ids, stdin, confirmation ---------------------------------------------

def test_write_commands_print_the_id_or_the_ticket(desk):
    tid = opened("help")
    assert ok(f"ticket accept {tid}", as_user="bob").out == f"{tid}\n"
    t = ok(f"ticket note {tid} -m hi --json", as_user="bob").json
    for key in ("id", "type", "title", "body", "status", "priority", "customer", "assignee",
                "owner", "handler", "opened_by", "cc", "fields", "checklist", "created_at",
                "updated_at", "accept_due_at", "resolve_due_at"):
        assert key in t, key
    assert t["id"] == tid and t["updated_at"] == NOW


def test_several_ids_each_reported(desk):
    a, b = opened("task"), opened("task")
    result = ok(f"ticket close {a} {b} --json", as_user="mgr")
    assert [t["id"] for t in result.json] == [a, b]
    assert {t["status"] for t in result.json} == {"closed"}
    c, d = opened("task"), opened("task")
    assert ok(f"ticket close {c} {d}", as_user="mgr").out == f"{c}\n{d}\n"


def test_ids_from_stdin(desk):
    ids = [opened("task") for _ in range(4)]
    result = ok("ticket assign - --to bob --yes", as_user="mgr",
                input="\n".join(f"#{i}" for i in ids) + "\n")
    assert result.out == "".join(f"{i}\n" for i in ids)
    assert {show(i)["assignee"] for i in ids} == {"bob"}


def test_three_or_more_need_yes_in_a_script(desk):
    ids = [opened("task") for _ in range(3)]
    result = run(f"ticket close {' '.join(map(str, ids))}", as_user="mgr")
    assert result.code == 2, result
    assert "needs --yes" in result.err
    assert {show(i)["status"] for i in ids} == {"new"}
    result = run("ticket close - ", as_user="mgr", input=" ".join(map(str, ids)))
    assert result.code == 2
    ok(f"ticket close {' '.join(map(str, ids))} --yes", as_user="mgr")
    assert {show(i)["status"] for i in ids} == {"closed"}


def test_a_bulk_change_reports_each_failure_and_exits_with_it(desk):
    mine, queued = accepted(), opened("task")
    result = run(f"ticket resolve {mine} {queued} 999 -m Done --yes", as_user="bob")
    assert result.code == 4, result  # the first error's status
    assert result.out == f"{mine}\n"
    assert f"#{queued}: Error:" in result.err and "#999: Error: no ticket #999" in result.err
    assert show(mine)["status"] == "resolved"


def test_bad_ids(desk):
    assert run("ticket close abc", as_user="mgr").code == 2
    assert run("ticket close -", as_user="mgr", input="").code == 2
    assert run("ticket close 999", as_user="mgr").code == 3


def test_long_text_from_a_file_and_stdin(desk, tmp_path):
    tid = accepted()
    answer = tmp_path / "answer.md"
    answer.write_text("Update to 3.2\n\nThen log in again.\n", encoding="utf-8")
    ok(f"ticket reply {tid} --body-file {answer}", as_user="bob")
    assert last(tid)["message"] == "Update to 3.2\n\nThen log in again.\n"
    ok(f"ticket note {tid} --body-file -", as_user="bob", input="从标准输入\n")
    assert last(tid)["message"] == "从标准输入\n"
    ok(f"ticket note {tid} -m -", as_user="bob", input="dash m\n")
    assert last(tid)["message"] == "dash m\n"
    result = run(f"ticket note {tid} -m x --body-file {answer}", as_user="bob")
    assert result.code == 2 and "not both" in result.err
    result = run(f"ticket note {tid}", as_user="bob")
    assert result.code == 2 and "missing" in result.err


# --- no-ops -------------------------------------------------------------------------------

@pytest.mark.parametrize("setup, command, note", [
    ("close", "close {id}", "is already closed"),
    ("resolve", "resolve {id} -m again", "is already resolved"),
    ("cc", "cc {id} --add carol", "already is as asked"),
    ("none", "accept {id}", "is already yours"),
    ("transfer", "transfer {id} --to carol", "carol is already handling"),
    ("tag", "tag {id} +vip", "already are as asked"),
    ("none", "set {id} --priority normal", "already has those values"),
    ("none", "reopen {id} -m again", "is open"),
])
def test_repeating_what_is_already_true_is_a_noop(desk, setup, command, note):
    tid = accepted()
    prep = {"close": f"close {tid}", "resolve": f"resolve {tid} -m Done",
            "cc": f"cc {tid} --add carol", "transfer": f"transfer {tid} --to carol",
            "tag": f"tag {tid} +vip"}.get(setup)
    if prep:
        ok(f"ticket {prep}", as_user="bob")
    before = show(tid)
    result = run(f"ticket {command.format(id=tid)}", as_user="bob")
    assert result.code == 0, result
    assert result.out == f"{tid}\n"
    assert note in result.err and "(nothing to do)" in result.err
    assert show(tid) == before


def test_cc_of_a_department_head_already_cc_d_through_the_type(desk):
    crash = opened("crash", extra="--field phone_model=X1 --field os=iOS")
    assert "zhao" in show(crash)["cc"]
    result = run(f"ticket cc {crash} --add dept:sales", as_user="alice")
    assert result.code == 0 and "nothing to do" in result.err


# --- what blocks resolve ------------------------------------------------------------------

def test_checklist_blocks_resolve(desk):
    tid = opened("renewal", extra="--customer C1 --field package=24")
    ok(f"ticket accept {tid}", as_user="sun")
    result = run(f"ticket resolve {tid} -m Renewed", as_user="sun")
    assert result.code == 5, result
    assert "1. Call the parent" in result.err and "2. Send the contract" in result.err
    assert f"deskcli ticket check {tid}" in result.err
    ok(f"ticket check {tid} 1", as_user="sun")
    e = last(tid)
    assert (e["kind"], e["actor"], e["message"]) == ("checked", "sun", "Call the parent")
    result = run(f"ticket resolve {tid} -m Renewed", as_user="sun")
    assert result.code == 5 and "Call the parent" not in result.err
    ok(f"ticket check {tid} 'send the'", as_user="sun")  # by part of its text
    checklist = show(tid)["checklist"]
    assert [(s["done"], s["done_by"]) for s in checklist] == [(True, "sun"), (True, "sun")]
    ok(f"ticket check {tid} 2 --undo", as_user="sun")
    assert run(f"ticket resolve {tid} -m Renewed", as_user="sun").code == 5
    ok(f"ticket check {tid} 2", as_user="sun")
    ok(f"ticket resolve {tid} -m Renewed", as_user="sun")


def test_check_names_the_steps_when_it_cannot_find_one(desk):
    tid = opened("renewal", extra="--customer C1 --field package=24")
    ok(f"ticket accept {tid}", as_user="sun")
    result = run(f"ticket check {tid} 7", as_user="sun")
    assert result.code == 3 and "1. Call the parent; 2. Send the contract" in result.err
    queued = opened("task")
    ok(f"ticket accept {queued}", as_user="carol")
    result = run(f"ticket check {queued} 1", as_user="carol")
    assert result.code == 3 and "has no checklist" in result.err


def test_a_required_field_still_empty_blocks_resolve(desk):
    tid = accepted()
    ok("type update help --field 'cause:text!'")  # a field made required after opening
    result = run(f"ticket resolve {tid} -m Fixed", as_user="bob")
    assert result.code == 5, result
    assert "required fields still empty: cause" in result.err
    assert f"deskcli ticket set {tid} --field cause=VALUE" in result.err
    ok(f"ticket set {tid} --field 'cause=old app'", as_user="bob")
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob")


# --- waiting pauses the resolve clock -----------------------------------------------------

def test_waiting_pauses_the_resolve_clock(desk):
    tid = accepted()  # help: resolve within 1d, opened at NOW (09:00)
    assert show(tid)["resolve_due_at"] == "2026-11-29T09:00:00Z"
    ok(f"ticket reply {tid} -m 'Which phone?' --wait", as_user="bob",
       now="2026-11-28T10:00:00Z")
    assert show(tid)["resolve_due_at"] == "2026-11-29T09:00:00Z"
    ok(f"ticket reply {tid} -m 'Thanks'", as_user="bob", now="2026-11-28T13:30:00Z")
    t = show(tid)
    assert (t["status"], t["resolve_due_at"]) == ("in_progress", "2026-11-29T12:30:00Z")
    # a second wait adds up; resolving straight from waiting counts the pause too
    ok(f"ticket reply {tid} -m 'And the version?' --wait", as_user="bob",
       now="2026-11-28T14:00:00Z")
    ok(f"ticket reply {tid} -m 'Still waiting' --wait", as_user="bob",
       now="2026-11-28T15:00:00Z")  # already waiting: the pause started at 14:00
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob", now="2026-11-28T16:00:00Z")
    assert show(tid)["resolve_due_at"] == "2026-11-29T14:30:00Z"


def test_overdue_takes_the_pause_into_account(desk):
    tid = accepted()
    ok(f"ticket reply {tid} -m 'Which phone?' --wait", as_user="bob")
    ok(f"ticket reply {tid} -m 'Thanks'", as_user="bob", now="2026-11-29T09:00:00Z")
    later = "2026-11-29T10:00:00Z"  # 25h after opening, but 24h were paused
    overdue = ok("ticket list --overdue --json", now=later).json
    assert tid not in [t["id"] for t in overdue]
    overdue = ok("ticket list --overdue --json", now="2026-11-30T09:30:00Z").json
    assert tid in [t["id"] for t in overdue]


# --- reopen -------------------------------------------------------------------------------

def test_reopen_goes_back_to_the_owner(desk):
    tid = accepted()
    ok(f"ticket transfer {tid} --to carol", as_user="bob")
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob", now="2026-11-28T10:00:00Z")
    later = "2026-12-01T09:00:00Z"
    t = ok(f"ticket reopen {tid} -m 'Crashes again' --json", as_user="alice", now=later).json
    assert (t["status"], t["owner"], t["handler"], t["resolution"], t["resolved_at"]) == (
        "in_progress", "bob", "bob", None, None)
    assert t["resolve_due_at"] == "2026-12-02T09:00:00Z"  # the resolve clock starts again
    e = show(tid)["events"][-1]
    assert (e["kind"], e["actor"], e["from"], e["to"], e["message"], e["visibility"]) == (
        "reopened", "alice", "resolved", "in_progress", "Crashes again", "public")


def test_reopen_by_the_opener_from_closed(desk):
    tid = accepted(as_user="sun")
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob")
    ok(f"ticket close {tid}", as_user="bob")
    ok(f"ticket reopen {tid} -m 'Not fixed'", as_user="sun")
    assert show(tid)["status"] == "in_progress"


def test_reopen_goes_to_the_queue_when_the_owner_left(desk):
    tid = accepted()
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob")
    ok("user deactivate bob")
    result = ok(f"ticket reopen {tid} -m 'Crashes again'", as_user="alice")
    assert "back to the assignment queue" in result.err
    t = show(tid)
    assert (t["status"], t["owner"], t["handler"], t["assignee"]) == ("new", None, None, None)
    assert "no longer active" in t["events"][-1]["message"]
    assert tid in [q["id"] for q in ok("queue list --json", as_user="mgr").json]


def test_reopen_needs_a_reason(desk):
    tid = accepted()
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob")
    assert run(f"ticket reopen {tid} -m ''", as_user="bob").code == 2
    assert show(tid)["status"] == "resolved"


# --- merge --------------------------------------------------------------------------------

def test_merge_keeps_history_and_points_to_the_survivor(desk):
    survivor = accepted()
    dup = opened("help", extra="--cc carol")
    ok(f"ticket note {dup} -m 'Same parent called again'", as_user="bob")
    ok(f"ticket accept {dup}", as_user="bob")
    before = show(dup)["events"]
    t = ok(f"ticket merge {dup} --into {survivor} -m 'Same problem' --json",
           as_user="bob").json
    assert (t["status"], t["merged_into"], t["resolution"]) == (
        "closed", survivor, f"merged into #{survivor}")
    after = show(dup)["events"]
    assert after[:len(before)] == before  # nothing rewritten
    e = after[-1]
    assert (e["kind"], e["actor"], e["from"], e["to"], e["message"]) == (
        "merged", "bob", "in_progress", f"#{survivor}", "Same problem")
    s = show(survivor)
    assert s["status"] == "in_progress"
    assert (s["events"][-1]["kind"], s["events"][-1]["from"]) == ("merged_in", f"#{dup}")
    assert "carol" in s["cc"]  # the duplicate's CC list is carried over
    assert s["links"]["merged"] == [dup]
    assert f"merged into: #{survivor}" in ok(f"ticket show {dup}").out


def test_merge_refusals(desk):
    a = accepted()
    assert run(f"ticket merge {a} --into {a}", as_user="bob").code == 2
    assert run(f"ticket merge {a} --into 999", as_user="bob").code == 3
    closed = accepted()
    ok(f"ticket close {closed}", as_user="bob")
    result = run(f"ticket merge {a} --into {closed}", as_user="bob")
    assert result.code == 5 and "merge into an open ticket" in result.err
    b = accepted()
    ok(f"ticket merge {b} --into {a}", as_user="bob")
    again = run(f"ticket merge {b} --into {a}", as_user="bob")
    assert again.code == 0 and "already merged" in again.err


# --- attachments --------------------------------------------------------------------------

def test_attach_and_get_back(desk, tmp_path, monkeypatch):
    tid = accepted()
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"\x89PNG\r\n" + bytes(range(256)) * 4)
    log = tmp_path / "crash.log"
    log.write_text("line 1\n")
    ok(f"ticket attach {tid} {shot} {log}", as_user="bob")
    kinds = [(e["kind"], e["actor"], e["to"]) for e in show(tid)["events"][-2:]]
    assert kinds == [("attached", "bob", "shot.png"), ("attached", "bob", "crash.log")]
    listing = ok(f"ticket attachment {tid} --json").json
    assert [(a["name"], a["size"], a["added_by"]) for a in listing] == [
        ("shot.png", shot.stat().st_size, "bob"), ("crash.log", 7, "bob")]
    assert run(f"ticket attach {tid} {log}", as_user="carol").code == 4  # not involved
    out = tmp_path / "back.png"
    result = ok(f"ticket attachment {tid} shot.png -o {out}")
    assert result.out == f"{out}\n"
    assert out.read_bytes() == shot.read_bytes()
    assert ok(f"ticket attachment {tid} crash.log -o -").out == "line 1\n"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "crash.log").unlink()
    assert ok(f"ticket attachment {tid} crash.log").out == "crash.log\n"
    assert (tmp_path / "crash.log").read_text() == "line 1\n"
    again = run(f"ticket attachment {tid} crash.log")
    assert again.code == 5 and "already exists" in again.err
    missing = run(f"ticket attachment {tid} nope.txt")
    assert missing.code == 3 and "shot.png, crash.log" in missing.err


def test_attach_size_limit(desk, tmp_path):
    tid = accepted()
    ok("config set attachments.max-size 1K")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1025)
    result = run(f"ticket attach {tid} {big}", as_user="bob")
    assert result.code == 2, result
    assert "1,025 bytes" in result.err and "at most 1,024" in result.err
    assert "attachments.max-size" in result.err
    assert ok(f"ticket attachment {tid} --json").json == []
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 1024)
    ok(f"ticket attach {tid} {small}", as_user="bob")
    assert run(f"ticket attach {tid} {tmp_path / 'none.bin'}", as_user="bob").code == 2


# --- links --------------------------------------------------------------------------------

def test_link_parent_and_relates(desk):
    parent, child, other = accepted(), accepted(), accepted()
    ok(f"ticket link {child} --parent {parent}", as_user="bob")
    ok(f"ticket link {child} --relates {other}", as_user="bob")
    c = show(child)
    assert c["links"]["parent"] == parent and c["links"]["related"] == [other]
    assert show(parent)["links"]["children"] == [child]
    assert show(other)["links"]["related"] == [child]
    e = c["events"][-1]
    assert (e["kind"], e["to"], e["data"]) == ("linked", f"#{other}", {"kind": "relates"})
    ok(f"ticket link {child} --unlink {other}", as_user="bob")
    assert show(child)["links"]["related"] == []


def test_link_loops_are_refused(desk):
    a, b, c = accepted(), accepted(), accepted()
    ok(f"ticket link {b} --parent {a}", as_user="bob")
    ok(f"ticket link {c} --parent {b}", as_user="bob")
    result = run(f"ticket link {a} --parent {c}", as_user="bob")
    assert result.code == 5 and "loop" in result.err
    assert run(f"ticket link {a} --parent {a}", as_user="bob").code == 2
    second = run(f"ticket link {c} --parent {a}", as_user="bob")
    assert second.code == 5 and f"already has the parent #{b}" in second.err
    assert run(f"ticket link {a} --relates 999", as_user="bob").code == 3
    assert run(f"ticket link {a}", as_user="bob").code == 2


# --- tags, time, rating -------------------------------------------------------------------

def test_tags(desk):
    tid = accepted()
    t = ok(f"ticket tag {tid} +vip +iOS17 --json", as_user="bob").json
    assert t["tags"] == ["ios17", "vip"]
    ok(f"ticket tag {tid} -- -vip +refund", as_user="bob")
    assert show(tid)["tags"] == ["ios17", "refund"]
    e = last(tid)
    assert (e["kind"], e["to"]) == ("tagged", "-vip +refund")
    assert run(f"ticket tag {tid} '+no spaces'", as_user="bob").code == 2


def test_log_time(desk):
    tid = accepted()
    ok(f"ticket log {tid} 45m -m 'Remote session'", as_user="bob")
    ok(f"ticket log {tid} 1h30m", as_user="mgr")
    t = show(tid)
    assert t["time_spent_seconds"] == 45 * 60 + 90 * 60
    e = t["events"][-2]
    assert (e["kind"], e["actor"], e["message"], e["data"]) == (
        "time_logged", "bob", "Remote session", {"seconds": 2700})
    assert run(f"ticket log {tid} 0m", as_user="bob").code == 2
    assert run(f"ticket log {tid} soon", as_user="bob").code == 2


def test_rate_only_once_resolved(desk):
    tid = accepted(as_user="sun")
    result = run(f"ticket rate {tid} 5", as_user="sun")
    assert result.code == 5 and "possible now" in result.err
    ok(f"ticket resolve {tid} -m Fixed", as_user="bob")
    t = ok(f"ticket rate {tid} 4 -m 'Quick and kind' --json", as_user="sun").json
    assert t["rating"]["score"] == 4 and t["rating"]["rated_by"] == "sun"
    e = last(tid)
    assert (e["kind"], e["actor"], e["to"], e["message"]) == (
        "rated", "sun", "4", "Quick and kind")
    assert run(f"ticket rate {tid} 6", as_user="sun").code == 2
    assert run(f"ticket rate {tid} 5", as_user="bob").code == 4  # who worked it may not


def test_every_event_is_kept(desk):
    """A whole life leaves a timeline in order, nothing edited or deleted."""
    tid = opened("help")
    for command, who in [(f"accept {tid}", "bob"), (f"note {tid} -m n", "carol"),
                         (f"transfer {tid} --to carol", "bob"),
                         (f"reply {tid} -m r --wait", "bob"),
                         (f"resolve {tid} -m done", "bob"), (f"close {tid}", "bob"),
                         (f"reopen {tid} -m again", "alice")]:
        ok(f"ticket {command}", as_user=who)
    kinds = [e["kind"] for e in show(tid)["events"]]
    assert kinds == ["opened", "assigned", "accepted", "note", "transferred", "reply",
                     "resolved", "closed", "reopened"]
    ids = [e["id"] for e in show(tid)["events"]]
    assert ids == sorted(ids)


# --- $EDITOR on a terminal, and the draft kept when the command fails ---------------------

def run_on_terminal(args: str, login: str, tmp_path, text: str = "", answer: str = "",
                    stderr_terminal: bool = False):
    """Run deskcli in a real process whose stdin and stdout (and with stderr_terminal,
    stderr) are a terminal, with an $EDITOR that writes `text` (and marks the file as
    saved); `answer` is typed at the terminal."""
    import os
    import pty
    import shlex
    import subprocess
    import sys

    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\nprintf '%s' {shlex.quote(text)} > \"$1\"\n"
                      "touch -d '+1 hour' \"$1\"\n")
    editor.chmod(0o755)
    env = {**os.environ, "DESKCLI_USER": login, "EDITOR": str(editor),
           "XDG_STATE_HOME": str(tmp_path / "state"), "TERM": "xterm"}
    master, slave = pty.openpty()
    errors = tmp_path / "stderr.txt"
    with open(errors, "wb") as err_file:
        proc = subprocess.Popen([sys.executable, "-m", "deskcli", *shlex.split(args)],
                                stdin=slave, stdout=slave,
                                stderr=slave if stderr_terminal else err_file, env=env)
    os.close(slave)
    if answer:
        os.write(master, answer.encode())
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    proc.wait(timeout=30)
    return proc.returncode, out.decode(), errors.read_text(encoding="utf-8")


def test_text_from_the_editor_and_the_draft_kept_on_failure(desk, tmp_path):
    tid = accepted()
    code, _, err = run_on_terminal(f"ticket reply {tid}", "carol", tmp_path,
                                   "Please reinstall the app")
    assert code == 4, err
    assert "your text was kept in " in err
    path = err.split("your text was kept in ")[1].split()[0]
    assert path.startswith(str(tmp_path / "state" / "deskcli" / "drafts"))
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == "Please reinstall the app"
    import os

    assert os.stat(path).st_mode & 0o777 == 0o600  # a note about a customer: owner only
    code, out, err = run_on_terminal(f"ticket reply {tid} --body-file {path}", "bob", tmp_path,
                                     "unused")
    assert code == 0, err
    code, out, err = run_on_terminal(f"ticket note {tid}", "carol", tmp_path, "编辑器里的备注")
    assert code == 0, err
    events = show(tid)["events"]
    assert [(e["kind"], e["actor"], e["message"]) for e in events[-2:]] == [
        ("reply", "bob", "Please reinstall the app"), ("note", "carol", "编辑器里的备注")]


def test_nudge_says_who_it_reached_when_nobody_is_named(desk):
    waiting = accepted()
    ok(f"ticket reply {waiting} -m 'Which phone?' --wait", as_user="bob")
    assert f"nudged the customer on #{waiting}" in ok(f"ticket nudge {waiting}").err
    ok("user update sun --manager none")
    approval = opened("leave", as_user="sun")  # no manager: any manager approves
    assert f"nudged the managers on #{approval}" in ok(f"ticket nudge {approval}").err
    handled = accepted()
    ok(f"ticket transfer {handled} --to carol", as_user="bob")
    assert f"nudged carol on #{handled}" in ok(f"ticket nudge {handled}").err


def test_relates_is_one_link_either_way_round(desk):
    a, b = accepted(), accepted()
    ok(f"ticket link {a} --relates {b}", as_user="bob")
    result = run(f"ticket link {b} --relates {a}", as_user="bob")
    assert result.code == 0 and "nothing to do" in result.err
    assert [e["kind"] for e in show(b)["events"]].count("linked") == 0
    ok(f"ticket link {b} --unlink {a}", as_user="bob")
    assert show(a)["links"]["related"] == [] and show(b)["links"]["related"] == []


def test_reopen_of_a_ticket_that_never_had_an_owner(desk):
    tid = opened("task")
    ok(f"ticket close {tid} -m 'Spam'", as_user="mgr")
    result = ok(f"ticket reopen {tid} -m 'Not spam after all'", as_user="mgr")
    assert "no longer active" not in result.err
    assert "back to the assignment queue" in result.err
    t = show(tid)
    assert t["status"] == "new"
    assert "no longer active" not in t["events"][-1]["message"]


def test_reopening_a_merged_ticket_unmerges_it(desk):
    survivor, dup = accepted(), accepted()
    ok(f"ticket merge {dup} --into {survivor}", as_user="bob")
    ok(f"ticket reopen {dup} -m 'Not the same problem after all'", as_user="bob")
    t = show(dup)
    assert (t["status"], t["merged_into"], t["owner"]) == ("in_progress", None, "bob")
    assert f"#{survivor}" in t["events"][-1]["message"]
    assert show(survivor)["links"]["merged"] == []
    assert [e["kind"] for e in t["events"]].count("merged") == 1  # history kept


@pytest.mark.parametrize("answer, closed", [("n\n", False), ("y\n", True)])
def test_a_bulk_change_asks_on_a_terminal(desk, tmp_path, answer, closed):
    ids = [opened("task") for _ in range(3)]
    code, out, _ = run_on_terminal(f"ticket close {' '.join(map(str, ids))}", "mgr",
                                   tmp_path, answer=answer, stderr_terminal=True)
    assert "close 3 tickets" in out  # the question (stderr and stdout share the terminal)
    assert code == (0 if closed else 1), out
    assert {show(i)["status"] for i in ids} == {"closed" if closed else "new"}


def test_assigning_the_owner_again_is_a_noop(desk):
    tid = accepted()
    result = run(f"ticket assign {tid} --to bob", as_user="mgr")
    assert result.code == 0 and "already accepted by bob" in result.err
    assert (show(tid)["status"], show(tid)["owner"]) == ("in_progress", "bob")


@pytest.mark.parametrize("command", ["assign {id} --to viv", "transfer {id} --to viv"])
def test_work_goes_only_to_people_who_can_work(desk, command):
    tid = accepted()
    result = run(f"ticket {command.format(id=tid)}", as_user="mgr")
    assert result.code == 5, result
    assert "viv (role viewer) cannot work tickets" in result.err
    ok("role add helper --permissions ticket.view,ticket.work")
    ok("user update viv --role helper")
    ok(f"ticket {command.format(id=tid)}", as_user="mgr")


@pytest.mark.parametrize("setup, command, hint", [
    ("accepted", "resolve {id} -m ' '", "deskcli ticket resolve {id} -m TEXT"),
    ("resolved", "reopen {id} -m ''", "deskcli ticket reopen {id} -m TEXT"),
    ("approval", "reject {id} -m ''", "deskcli ticket reject {id} -m TEXT"),
    ("accepted", "reply {id} -m ''", "deskcli ticket reply {id} -m TEXT"),
])
def test_empty_text_is_refused_with_the_command_to_type(desk, setup, command, hint):
    if setup == "approval":
        tid, who = opened("purchase", as_user="sun"), "zhao"
    else:
        tid, who = accepted(), "bob"
        if setup == "resolved":
            ok(f"ticket resolve {tid} -m Done", as_user="bob")
    before = show(tid)
    result = run(f"ticket {command.format(id=tid)}", as_user=who)
    assert result.code == 2, result
    assert hint.format(id=tid) in result.err
    assert show(tid) == before


def test_events_cannot_be_edited_or_deleted(desk):
    import sqlite3

    import psycopg2

    tid = accepted()
    refused = psycopg2.Error if is_pg(desk) else sqlite3.DatabaseError
    for sql in ("UPDATE events SET message = 'forged' WHERE ticket_id = ?",
                "DELETE FROM events WHERE ticket_id = ?"):
        with pytest.raises(refused, match="events are append-only"):
            execute(desk, sql, (tid,))
    assert [e["kind"] for e in show(tid)["events"]] == ["opened", "assigned", "accepted"]
