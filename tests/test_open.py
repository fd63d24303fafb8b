"""`ticket open`: validation (every problem named, exit 2, nothing written), routing with
its fallbacks, CC, SLA due times, approval, source, and the events recorded."""

import shlex

import pytest
from conftest import db_count, execute, ok, run, set_active


@pytest.fixture
def desk(seeded_desk):
    """conftest's seeded desk, copied from a per-session template (same content, faster)."""
    return seeded_desk


CRASH_OK = "--field phone_model='iPhone 15' --field os=iOS --field app_version=3.2"


def open_json(args: str, **kwargs) -> dict:
    return ok(f"ticket open {args} --json", **kwargs).json


def show(ticket_id: int, **kwargs) -> dict:
    return ok(f"ticket show {ticket_id} --json", **kwargs).json


def nothing_written(db) -> bool:
    return all(db_count(db, table) == 0 for table in
               ("tickets", "events", "ticket_cc", "ticket_steps", "ticket_fts"))


def routed(t: dict) -> dict:
    """The routing event of a ticket (assigned, queued or approval_requested)."""
    events = show(t["id"])["events"]
    assert events[0]["kind"] == "opened"
    return events[1]


# --- what a good open records ---------------------------------------------------------------

def test_open_prints_the_id_and_says_where_it_went(desk):
    result = ok(f"ticket open --type crash --title 'App closes' {CRASH_OK}")
    assert result.out == "1\n"
    assert "Opened #1 (assigned to" in result.err
    result = ok("ticket open --type renewal --title 'Renew' --customer C2 --field package=12")
    assert result.out == "2\n"
    assert "Opened #2 (in the assignment queue)" in result.err


def test_open_json_has_the_contract_keys(desk):
    t = open_json(f"--type crash --title 'App closes' -m 'Right after login' --customer C1 "
                  f"{CRASH_OK} --source phone")
    for key in ("id", "type", "title", "body", "status", "priority", "customer", "assignee",
                "owner", "handler", "opened_by", "cc", "fields", "checklist", "created_at",
                "updated_at", "accept_due_at", "resolve_due_at"):
        assert key in t, key
    assert (t["type"], t["title"], t["body"], t["customer"], t["opened_by"], t["source"]) == (
        "crash", "App closes", "Right after login", "C1", "alice", "phone")
    assert (t["owner"], t["handler"]) == (None, None)
    assert t["priority"] == "high"  # the type's default
    assert t["fields"] == {"phone_model": "iPhone 15", "os": "iOS", "app_version": "3.2"}
    assert t["created_at"] == t["updated_at"] == "2026-11-28T09:00:00Z"
    shown = show(t["id"])
    t.pop("suggestions")  # what open suggests (FAQ entries, similar tickets) is not stored
    assert {k: shown[k] for k in t} == t  # show says the same (and adds the timeline)


def test_field_values_are_stored_in_their_kind(desk):
    ok("type add kinds --name Kinds --field 'n:int' --field 'x:number' --field 'd:date' "
       "--field 'b:bool' --field 'c:choice=Red|Green' --field 't:text' --field 'no:bool'")
    t = open_json("--type kinds --title K --field n=-42 --field x=2.5 --field d=2026-12-01 "
                  "--field b=yes --field c=green --field t=' spaced ' --field no=否")
    assert t["fields"] == {"n": -42, "x": 2.5, "d": "2026-12-01", "b": True, "c": "Green",
                           "t": "spaced", "no": False}
    # optional fields may be left out
    assert open_json("--type kinds --title Empty")["fields"] == {}


def test_priority_override_and_body_sources(desk, tmp_path):
    t = open_json(f"--type crash --title A {CRASH_OK} --priority urgent -m 'inline'")
    assert (t["priority"], t["body"]) == ("urgent", "inline")
    body = tmp_path / "body.md"
    body.write_text("从文件读取\nsecond line\n", encoding="utf-8")
    assert open_json(f"--type crash --title B {CRASH_OK} --body-file {body}")["body"] == \
        "从文件读取\nsecond line\n"
    assert open_json(f"--type crash --title C {CRASH_OK} --body-file -",
                     input="from stdin\n")["body"] == "from stdin\n"
    assert open_json(f"--type crash --title D {CRASH_OK} -m -",
                     input="dash m\n")["body"] == "dash m\n"
    assert open_json(f"--type crash --title E {CRASH_OK}")["body"] == ""


def test_source_is_kept_and_access_clients_are_the_source(desk):
    for source in ("phone", "email", "web", "walk-in"):
        assert open_json(f"--type crash --title T {CRASH_OK} --source {source}")["source"] \
            == source
    assert open_json(f"--type crash --title T {CRASH_OK}")["source"] is None
    ok("access add crm --name CRM --types renewal")
    t = open_json("--type renewal --title R --customer C1 --field package=12 --source phone",
                  as_user="crm")
    assert t["source"] == "access:crm"
    assert t["opened_by"] == "crm"
    opened = show(t["id"])["events"][0]
    assert opened["actor"] == "crm"
    assert opened["data"]["source"] == "access:crm"


def test_events_record_the_opening_and_the_routing_decision(desk):
    t = open_json(f"--type crash --title 'App closes' -m 'Details here' {CRASH_OK}")
    events = show(t["id"])["events"]
    assert [e["kind"] for e in events] == ["opened", "assigned"]
    opened, assigned = events
    assert (opened["actor"], opened["at"], opened["message"], opened["visibility"]) == (
        "alice", "2026-11-28T09:00:00Z", "Details here", "public")
    assert opened["data"] == {"type": "crash", "priority": "high", "source": None}
    assert assigned["actor"] is None  # the desk's routing rule, not a person
    assert assigned["to"] == t["assignee"]
    assert assigned["visibility"] == "internal"
    assert "least-loaded:support" in assigned["message"]
    human = ok(f"ticket show {t['id']}").out
    assert "timeline:" in human and "assigned" in human and "[internal]" in human


def test_external_id_must_be_unique(desk):
    open_json(f"--type crash --title A {CRASH_OK} --external-id CRM-1")
    result = run(f"ticket open --type crash --title B {CRASH_OK} --external-id CRM-1")
    assert result.code == 5
    assert "CRM-1" in result.err
    assert db_count(desk, "tickets") == 1


# --- validation -----------------------------------------------------------------------------

def test_every_field_problem_is_named_at_once(desk):
    result = run("ticket open --type crash --title 'App closes' --field os=Windows "
                 "--field app_version=latest --field colour=red")
    assert result.code == 2
    for text in ("phone_model is required",
                 "os must be one of iOS, Android, not 'Windows'",
                 "app_version 'latest' is not valid: like 3.2",
                 "unknown field 'colour' for type crash"):
        assert text in result.err, result.err
    assert "deskcli type show crash" in result.err
    assert result.out == ""
    assert nothing_written(desk)


@pytest.mark.parametrize("fields,problem", [
    ("--field n=three", "n must be a whole number, not 'three'"),
    ("--field n=1.5", "n must be a whole number"),
    ("--field x=abc", "x must be a number, not 'abc'"),
    ("--field x=nan", "x must be a finite number"),
    ("--field d=31/12/2026", "d must be a date like 2026-11-28"),
    ("--field d=2026-02-30", "d must be a date"),
    ("--field b=maybe", "b must be yes or no"),
    ("--field c=Blue", "c must be one of Red, Green, not 'Blue'"),
    ("--field code=sh01", "code 'sh01' is not valid: like SH01"),
    ("--field code=XSH01", "code 'XSH01' is not valid"),
    ("--field req=", "req is required and cannot be empty"),
    ("--field 'req=   '", "req is required and cannot be empty"),
])
def test_each_kind_of_bad_value_is_refused(desk, fields, problem):
    ok("type add kinds --name Kinds --field 'n:int' --field 'x:number' --field 'd:date' "
       "--field 'b:bool' --field 'c:choice=Red|Green' --field code:text --field 'req:text!' "
       "--pattern 'code=SH[0-9]{2}' --hint 'code=like SH01'")
    good = "" if "req=" in fields else "--field req=ok"
    result = run(f"ticket open --type kinds --title T {fields} {good}")
    assert result.code == 2, result
    assert problem in result.err
    assert nothing_written(desk)


def test_a_required_field_names_its_label(desk):
    ok("type add lab --name Lab --field 'room:text!' --label 'room=Room number'")
    result = run("ticket open --type lab --title T")
    assert result.code == 2
    assert "room (Room number) is required" in result.err


@pytest.mark.parametrize("args,code,words", [
    (f"--type crash --title '' {CRASH_OK}", 2, "a title is required"),
    (f"--type crash --title '   ' {CRASH_OK}", 2, "a title is required"),
    (f"--type crash --title {'x' * 201} {CRASH_OK}", 2, "keep it under 200"),
    (f"--type crash --title T {CRASH_OK} --field novalue", 2, "must be NAME=VALUE"),
    (f"--type crash --title T {CRASH_OK} --priority critical", 2, "critical"),
    (f"--type crash --title T {CRASH_OK} -m x --body-file -", 2, "not both"),
    (f"--type crash --title T {CRASH_OK} --body-file /no/such/file", 2, "cannot read"),
    (f"--type ghost --title T {CRASH_OK}", 3, "no ticket type 'ghost'"),
    (f"--type crash --title T {CRASH_OK} --customer C9", 3, "no customer 'C9'"),
    (f"--type crash --title T {CRASH_OK} --cc ghost", 3, "no user 'ghost'"),
    (f"--type crash --title T {CRASH_OK} --cc dept:ghost", 3, "no department 'ghost'"),
    (f"--type crash --title T {CRASH_OK} --cc team:x", 2, "bad CC"),
    ("--title T", 2, "--type"),
    (f"--type crash {CRASH_OK}", 2, "--title"),
])
def test_open_errors_write_nothing(desk, args, code, words):
    result = run(f"ticket open {args}")
    assert result.code == code, result
    assert words in result.err, result.err
    assert result.out == ""
    assert "Traceback" not in result.err
    assert nothing_written(desk)


def test_a_bad_body_file_encoding_is_invalid(desk, tmp_path):
    body = tmp_path / "latin1.txt"
    body.write_bytes("caf\xe9".encode("latin-1"))
    result = run(f"ticket open --type crash --title T {CRASH_OK} --body-file {body}")
    assert result.code == 2
    assert "not UTF-8" in result.err
    assert nothing_written(desk)


# --- routing --------------------------------------------------------------------------------

def test_manual_goes_to_the_queue(desk):
    ok("type add it --name IT --accept-within 1h")
    t = open_json("--type it --title Printer")
    assert (t["status"], t["assignee"]) == ("new", None)
    assert t["accept_due_at"] == "2026-11-28T10:00:00Z"  # the queue has an SLA too
    event = routed(t)
    assert event["kind"] == "queued"
    assert "manual" in event["message"]


def test_user_rule_assigns_that_user(desk):
    ok("type add it --name IT --route user:carol")
    t = open_json("--type it --title Printer")
    assert (t["status"], t["assignee"]) == ("assigned", "carol")
    assert routed(t)["to"] == "carol"


def test_user_rule_falls_back_up_the_manager_chain(desk):
    ok("type add it --name IT --route user:bob")
    ok("user update mgr --manager zhao")
    set_active(desk, "bob")
    t = open_json("--type it --title One")
    assert t["assignee"] == "mgr"
    message = routed(t)["message"]
    assert "bob is inactive" in message and "mgr" in message
    set_active(desk, "mgr")
    assert open_json("--type it --title Two")["assignee"] == "zhao"  # two levels up
    set_active(desk, "zhao")
    t = open_json("--type it --title Three")
    assert (t["status"], t["assignee"]) == ("new", None)
    event = routed(t)
    assert event["kind"] == "queued"
    assert "no active manager" in event["message"]


def test_consultant_rule(desk):
    t = open_json("--type renewal --title R --customer C1 --field package=12")
    assert (t["status"], t["assignee"]) == ("assigned", "sun")
    assert "sun follows customer C1" in routed(t)["message"]
    # a customer without a consultant, or no customer: the queue
    t = open_json("--type renewal --title R --customer C2 --field package=12")
    assert (t["status"], t["assignee"]) == ("new", None)
    assert "C2 has no consultant" in routed(t)["message"]
    t = open_json("--type renewal --title R --field package=12")
    assert (t["status"], t["assignee"]) == ("new", None)


def test_inactive_consultant_routes_to_the_consultants_manager(desk):
    set_active(desk, "sun")
    t = open_json("--type renewal --title R --customer C1 --field package=12")
    assert t["assignee"] == "zhao"
    assert "sun is inactive" in routed(t)["message"]
    # the opener's manager plays no part: bob's manager is mgr, not zhao
    t = open_json("--type renewal --title R --customer C1 --field package=12", as_user="bob")
    assert t["assignee"] == "zhao"
    set_active(desk, "zhao")
    t = open_json("--type renewal --title R --customer C1 --field package=12")
    assert (t["status"], t["assignee"]) == ("new", None)


def test_round_robin_takes_turns_and_skips_inactive_members(desk):
    ok("type add it --name IT --route round-robin:support")
    turns = [open_json(f"--type it --title T{i}")["assignee"] for i in range(4)]
    assert turns == ["bob", "carol", "mgr", "bob"]  # active members by login, in turn
    set_active(desk, "carol")
    turns = [open_json(f"--type it --title U{i}")["assignee"] for i in range(3)]
    assert turns == ["mgr", "bob", "mgr"]
    assert "next in turn" in routed(open_json("--type it --title V"))["message"]


def test_round_robin_turns_are_kept_per_type(desk):
    ok("type add it --name IT --route round-robin:support")
    ok("type add hr --name HR --route round-robin:support")
    assert open_json("--type it --title A")["assignee"] == "bob"
    assert open_json("--type it --title B")["assignee"] == "carol"
    assert open_json("--type hr --title C")["assignee"] == "bob"
    assert open_json("--type it --title D")["assignee"] == "mgr"


def test_least_loaded_counts_open_tickets(desk):
    ok("type add carol-only --name C --route user:carol")
    ok("type add it --name IT --route least-loaded:support")
    for _ in range(2):
        open_json("--type carol-only --title Busy")
    # load: bob 0, carol 2, mgr 0 (ties go by login)
    picks = [open_json(f"--type it --title T{i}")["assignee"] for i in range(5)]
    assert picks == ["bob", "mgr", "bob", "mgr", "bob"]
    t = open_json("--type it --title Next")
    assert t["assignee"] in ("carol", "mgr")
    assert "fewest open tickets" in routed(t)["message"]


def test_least_loaded_ignores_queued_and_finished_tickets(desk):
    ok("type add bob-only --name B --route user:bob")
    ok("type add it --name IT --route least-loaded:support")
    first = open_json("--type bob-only --title One")
    open_json("--type bob-only --title Two")
    assert open_json("--type it --title A")["assignee"] == "carol"
    execute(desk, "UPDATE tickets SET status = 'resolved' WHERE id IN (?, ?)",
            (first["id"], first["id"] + 1))
    # bob's two are resolved now: bob 0, carol 1, mgr 0
    assert open_json("--type it --title B")["assignee"] == "bob"


def test_department_with_nobody_active_goes_to_its_head_then_the_queue(desk):
    ok("type add teach --name Teach --route round-robin:teaching")
    t = open_json("--type teach --title T")  # no members, no head
    assert (t["status"], t["assignee"]) == ("new", None)
    assert "nobody active in teaching" in routed(t)["message"]
    ok("dept update teaching --head sun")
    assert open_json("--type teach --title T")["assignee"] == "sun"
    set_active(desk, "sun")
    assert open_json("--type teach --title T")["assignee"] == "zhao"  # the head's manager
    ok("type add sup --name Sup --route least-loaded:support")
    for login in ("bob", "carol", "mgr"):
        set_active(desk, login)
    t = open_json("--type sup --title S")
    assert t["assignee"] == "alice"  # support's head
    assert "its head alice" in routed(t)["message"]


# --- CC -------------------------------------------------------------------------------------

def test_type_cc_to_a_department_reaches_its_head(desk):
    t = open_json(f"--type crash --title T {CRASH_OK}")
    assert t["cc"] == ["zhao"]
    # the CC names the department, so it follows the department's head
    ok("dept update sales --head sun")
    assert show(t["id"])["cc"] == ["sun"]


def test_open_cc_adds_users_and_departments_without_duplicates(desk):
    t = open_json(f"--type crash --title T {CRASH_OK} --cc bob --cc dept:support "
                  "--cc user:carol --cc zhao --cc dept:sales")
    assert t["cc"] == ["zhao", "bob", "alice", "carol"]
    assert "cc: zhao, bob, alice, carol" in ok(f"ticket show {t['id']}").out


def test_cc_to_a_department_without_a_head_reaches_nobody_yet(desk):
    t = open_json(f"--type crash --title T {CRASH_OK} --cc dept:teaching")
    assert t["cc"] == ["zhao"]
    ok("dept update teaching --head carol")
    assert show(t["id"])["cc"] == ["zhao", "carol"]


# --- SLA ------------------------------------------------------------------------------------

def test_sla_due_times_come_from_deskcli_now(desk):
    t = open_json(f"--type crash --title T {CRASH_OK}", now="2026-12-31T23:30:00+08:00")
    assert t["created_at"] == "2026-12-31T15:30:00Z"
    assert t["accept_due_at"] == "2026-12-31T17:30:00Z"
    assert t["resolve_due_at"] == "2027-01-02T15:30:00Z"
    t = open_json("--type renewal --title R --customer C1 --field package=12")
    assert (t["accept_due_at"], t["resolve_due_at"]) == (None, None)


def test_a_bad_deskcli_now_is_a_clear_error(desk):
    result = run(f"ticket open --type crash --title T {CRASH_OK}", now="next tuesday")
    assert result.code == 2
    assert "DESKCLI_NOW" in result.err
    assert nothing_written(desk)


def test_checklist_is_copied_onto_the_ticket(desk):
    t = open_json("--type renewal --title R --customer C1 --field package=12")
    assert [(s["step"], s["text"], s["done"]) for s in t["checklist"]] == [
        (1, "Call the parent", False), (2, "Send the contract", False)]
    human = ok(f"ticket show {t['id']}").out
    assert "[ ] 1. Call the parent" in human


# --- approval -------------------------------------------------------------------------------

def test_an_approver_holds_the_ticket_for_approval(desk):
    ok("type add buy --name Purchase --route user:bob --approver carol --accept-within 1h")
    t = open_json("--type buy --title 'New laptop'", as_user="bob")
    assert (t["status"], t["assignee"], t["approver"]) == ("awaiting_approval", None, "carol")
    assert t["accept_due_at"] is None  # the SLA starts once it is routed
    event = routed(t)
    assert event["kind"] == "approval_requested" and event["to"] == "carol"
    assert "Opened #" in ok("ticket open --type buy --title X", as_user="bob").err


def test_approver_manager_is_the_openers_manager(desk):
    ok("type add leave --name Leave --approver manager")
    assert open_json("--type leave --title L", as_user="bob")["approver"] == "mgr"
    assert open_json("--type leave --title L", as_user="sun")["approver"] == "zhao"
    t = open_json("--type leave --title L")  # alice has no manager
    assert (t["status"], t["approver"]) == ("awaiting_approval", None)
    assert "any manager may approve" in routed(t)["message"]


def test_an_inactive_approver_leaves_it_to_any_manager(desk):
    ok("type add buy --name Purchase --approver carol")
    set_active(desk, "carol")
    t = open_json("--type buy --title B")
    assert (t["status"], t["approver"]) == ("awaiting_approval", None)
    assert "not active" in routed(t)["message"]


def test_open_as_shell_would_type_it(desk):
    # the key synopsis of SPEC §9, quoted the way a user types it
    args = shlex.split("ticket open --type crash --title 'App closes at login' "
                       "-m 'The parent says it closes' --customer C1 "
                       "--field phone_model='iPhone 15' --field os=iOS --priority urgent "
                       "--cc bob --cc dept:support")
    result = ok(*args)
    assert result.out.strip().isdigit()
