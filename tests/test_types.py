"""Ticket types: data, not code. Defined in one command or built up with update;
`type show --json` carries all of it; changes never rewrite existing tickets."""

import shlex

import pytest
from conftest import db_count, ok, run


@pytest.fixture
def desk(seeded_desk):
    """conftest's seeded desk, copied from a per-session template (same content, faster)."""
    return seeded_desk


FULL = ("type add all --name 'Everything' --description 'Every option at once' "
        "--priority urgent "
        "--field 'code:text!' --field 'count:int' --field 'amount:number!' "
        "--field 'day:date' --field 'paid:bool' --field 'grade:choice!=P1|P2|Primary 3' "
        "--label 'code=Centre code' --label 'grade=School grade' "
        "--pattern 'code=SH[0-9]{2}' --hint 'code=like SH01' "
        "--route user:bob --cc dept:sales --cc user:carol --cc viv "
        "--accept-within 30m --resolve-within 1d12h --nudge-every 4h --escalate-after 3 "
        "--approver manager --step 'Call the centre' --step 'Send the form'")


def show(key: str) -> dict:
    return ok(f"type show {key} --json").json


def test_type_add_with_every_option_and_show_json(desk):
    assert ok(FULL).out.strip() == "all"
    t = show("all")
    assert {k: t[k] for k in ("key", "name", "description", "priority", "route",
                              "accept_within", "resolve_within", "nudge_every",
                              "escalate_after", "approver", "active", "cc", "checklist")} == {
        "key": "all", "name": "Everything", "description": "Every option at once",
        "priority": "urgent", "route": "user:bob", "accept_within": "30m",
        "resolve_within": "1d12h", "nudge_every": "4h", "escalate_after": 3,
        "approver": "manager", "active": True,
        "cc": ["dept:sales", "user:carol", "user:viv"],
        "checklist": ["Call the centre", "Send the form"]}
    assert t["fields"] == [
        {"name": "code", "label": "Centre code", "kind": "text", "required": True,
         "choices": None, "pattern": "SH[0-9]{2}", "hint": "like SH01"},
        {"name": "count", "label": None, "kind": "int", "required": False, "choices": None,
         "pattern": None, "hint": None},
        {"name": "amount", "label": None, "kind": "number", "required": True,
         "choices": None, "pattern": None, "hint": None},
        {"name": "day", "label": None, "kind": "date", "required": False, "choices": None,
         "pattern": None, "hint": None},
        {"name": "paid", "label": None, "kind": "bool", "required": False, "choices": None,
         "pattern": None, "hint": None},
        {"name": "grade", "label": "School grade", "kind": "choice", "required": True,
         "choices": ["P1", "P2", "Primary 3"], "pattern": None, "hint": None},
    ]
    assert t["created_at"] == t["updated_at"] == "2026-11-28T09:00:00Z"


def args_from(t: dict, key: str) -> str:
    """The `type add` command that defines the type described by `type show --json`."""
    parts = ["type", "add", key, "--name", t["name"], "--priority", t["priority"],
             "--route", t["route"]]
    if t["description"]:
        parts += ["--description", t["description"]]
    for f in t["fields"]:
        spec = f"{f['name']}:{f['kind']}{'!' if f['required'] else ''}"
        if f["choices"]:
            spec += "=" + "|".join(f["choices"])
        parts += ["--field", spec]
        for option in ("label", "pattern", "hint"):
            if f[option]:
                parts += [f"--{option}", f"{f['name']}={f[option]}"]
    for entry in t["cc"]:
        parts += ["--cc", entry]
    for option in ("accept_within", "resolve_within", "nudge_every", "escalate_after",
                   "approver"):
        if t[option] is not None:
            parts += [f"--{option.replace('_', '-')}", str(t[option])]
    for step in t["checklist"]:
        parts += ["--step", step]
    return shlex.join(parts)


@pytest.mark.parametrize("key", ["all", "crash", "renewal"])
def test_type_show_json_round_trips(desk, key):
    if key == "all":
        ok(FULL)
    original = show(key)
    ok(args_from(original, "copy"))
    copy = show("copy")
    for t in (original, copy):
        del t["key"], t["created_at"], t["updated_at"]
    assert copy == original


def test_type_list_and_human_show(desk):
    ok(FULL)
    rows = {t["key"]: t for t in ok("type list --json").json}
    assert set(rows) == {"all", "crash", "renewal"}
    table = ok("type list").out
    assert "code! count amount! day paid grade!" in table
    human = ok("type show all").out
    for text in ("all: Everything", "approver: manager", "cc: dept:sales, user:carol",
                 "code (text, required) — Centre code: matching SH[0-9]{2} (like SH01)",
                 "grade (choice, required) — School grade: one of P1 | P2 | Primary 3",
                 "1. Call the centre", "accept within 30m", "escalate after 3 nudges"):
        assert text in human, human
    assert run("type show ghost").code == 3


def test_a_type_can_be_built_up_with_update(desk):
    ok("type add it --name 'IT problem'")
    t = show("it")
    assert (t["priority"], t["route"], t["fields"], t["cc"], t["checklist"]) == (
        "normal", "manual", [], [], [])
    ok("type update it --field 'room:text!' --route round-robin:support")
    ok("type update it --field 'floor:int' --label room=Room --pattern 'room=[0-9]{3}' "
       "--hint 'room=three digits'")
    ok("type update it --cc dept:support --cc user:bob --accept-within 4h --step Reboot")
    ok("type update it --step 'Ask the user' --approver carol --escalate-after 2 "
       "--nudge-every 1h --resolve-within 1d --priority high --description 'Computers'",
       now="2026-11-29T10:00:00Z")
    t = show("it")
    assert [f["name"] for f in t["fields"]] == ["room", "floor"]
    assert t["fields"][0] == {"name": "room", "label": "Room", "kind": "text",
                              "required": True, "choices": None, "pattern": "[0-9]{3}",
                              "hint": "three digits"}
    assert (t["route"], t["cc"], t["checklist"]) == (
        "round-robin:support", ["dept:support", "user:bob"], ["Reboot", "Ask the user"])
    assert (t["accept_within"], t["resolve_within"], t["nudge_every"], t["escalate_after"],
            t["approver"], t["priority"], t["description"]) == (
        "4h", "1d", "1h", 2, "carol", "high", "Computers")
    assert t["created_at"] == "2026-11-28T09:00:00Z"
    assert t["updated_at"] == "2026-11-29T10:00:00Z"


def test_update_removes_and_clears(desk):
    ok(FULL)
    ok("type update all --remove-field count --remove-cc user:carol --remove-step 1 "
       "--accept-within none --approver none --escalate-after none --description ''")
    t = show("all")
    assert "count" not in [f["name"] for f in t["fields"]]
    assert t["cc"] == ["dept:sales", "user:viv"]
    assert t["checklist"] == ["Send the form"]
    assert (t["accept_within"], t["approver"], t["escalate_after"], t["description"]) == (
        None, None, None, None)
    assert t["resolve_within"] == "1d12h"  # not given: unchanged
    ok("type update all --remove-step 'Send the form' --step New")
    assert show("all")["checklist"] == ["New"]
    ok("type update all --clear-steps --step Fresh --hint code=")
    t = show("all")
    assert t["checklist"] == ["Fresh"]
    assert t["fields"][0]["hint"] is None and t["fields"][0]["pattern"] == "SH[0-9]{2}"


def test_redefining_a_field_keeps_its_label_pattern_and_hint(desk):
    ok(FULL)
    ok("type update all --field 'code:text'")  # no longer required
    code = show("all")["fields"][0]
    assert (code["required"], code["label"], code["pattern"], code["hint"]) == (
        False, "Centre code", "SH[0-9]{2}", "like SH01")
    assert [f["name"] for f in show("all")["fields"]][0] == "code"  # same position


def test_disable_and_enable(desk):
    ok("ticket open --type renewal --title Before --customer C1 --field package=12")
    assert ok("type disable renewal").out.strip() == "renewal"
    assert "renewal" not in [t["key"] for t in ok("type list --json").json]
    listed = {t["key"]: t for t in ok("type list --all --json").json}
    assert listed["renewal"]["active"] is False
    assert "(disabled)" in ok("type show renewal").out
    result = run("ticket open --type renewal --title After --customer C1 --field package=12")
    assert result.code == 5
    assert "disabled" in result.err and "--enable" in result.err
    # existing tickets carry on
    assert [t["title"] for t in ok("ticket list --type renewal --json").json] == ["Before"]
    ok("type update renewal --enable")
    ok("ticket open --type renewal --title After --customer C1 --field package=12")


@pytest.mark.parametrize("args,code,words", [
    ("type add crash --name Again", 5, "already exists"),
    ("type add 'bad key' --name X", 2, "not a valid type key"),
    ("type add x --name X --field 'Phone:text'", 2, "bad field definition"),
    ("type add x --name X --field 'phone'", 2, "bad field definition"),
    ("type add x --name X --field 'phone:string'", 2, "unknown kind 'string'"),
    ("type add x --name X --field 'grade:choice'", 2, "lists no choices"),
    ("type add x --name X --field 'grade:text=A|B'", 2, "only kind 'choice'"),
    ("type add x --name X --field 'grade:choice=A|A'", 2, "lists a choice twice"),
    ("type add x --name X --route random", 2, "unknown routing rule"),
    ("type add x --name X --route user:", 2, "unknown routing rule"),
    ("type add x --name X --route user:ghost", 3, "'ghost'"),
    ("type add x --name X --route round-robin:ghost", 3, "no department 'ghost'"),
    ("type add x --name X --route least-loaded:ghost", 3, "no department 'ghost'"),
    ("type add x --name X --cc dept:ghost", 3, "department 'ghost'"),
    ("type add x --name X --cc user:ghost", 3, "'ghost'"),
    ("type add x --name X --cc team:x", 2, "bad CC entry"),
    ("type add x --name X --accept-within '2 days'", 2, "not a duration"),
    ("type add x --name X --resolve-within soon", 2, "not a duration"),
    ("type add x --name X --nudge-every 5", 2, "not a duration"),
    ("type add x --name X --escalate-after two", 2, "number of nudges"),
    ("type add x --name X --escalate-after 0", 2, "number of nudges"),
    ("type add x --name X --approver ghost", 3, "'ghost'"),
    ("type add x --name X --priority critical", 2, "critical"),
    ("type add x --name X --field a:text --pattern 'a=[unclosed'", 2,
     "not a valid regular expression"),
    ("type add x --name X --pattern 'a=x'", 2, "does not have"),
    ("type add x --name X --label 'nolabel'", 2, "must be NAME=VALUE"),
    ("type add x --name X --step ' '", 2, "checklist step needs some text"),
    ("type update ghost --name X", 3, "no ticket type 'ghost'"),
    ("type update crash --remove-field ghost", 3, "no field 'ghost'"),
    ("type update renewal --remove-step 9", 3, "no checklist step '9'"),
    ("type disable ghost", 3, "no ticket type 'ghost'"),
])
def test_type_errors_are_named_and_change_nothing(desk, args, code, words):
    before = ok("type list --all --json").json
    result = run(args)
    assert result.code == code, result
    assert words in result.err, result.err
    assert result.out == ""
    assert ok("type list --all --json").json == before


def test_a_failed_update_changes_nothing(desk):
    before = show("crash")
    result = run("type update crash --priority low --field 'extra:int' --route user:ghost")
    assert result.code == 3
    assert show("crash") == before


def open_full(title="Centre form", **extra) -> dict:
    fields = {"code": "SH01", "count": "3", "amount": "9.5", "day": "2026-12-01",
              "paid": "yes", "grade": "p1", **extra}
    options = " ".join(f"--field {shlex.quote(f'{k}={v}')}" for k, v in fields.items())
    return ok(f"ticket open --type all --title {shlex.quote(title)} {options} --json").json


def test_a_type_change_never_rewrites_existing_tickets(desk):
    ok(FULL)
    ok("type update all --approver none")  # routed at once, so due times are set
    before = open_full()
    assert before["fields"] == {"code": "SH01", "count": 3, "amount": 9.5,
                                "day": "2026-12-01", "paid": True, "grade": "P1"}
    assert before["assignee"] == "bob"
    ok("type update all --remove-field count --field 'grade:choice!=K1|K2' "
       "--clear-steps --step Other --remove-cc user:carol --cc user:mgr "
       "--accept-within 8h --resolve-within 5d --priority low --route user:carol "
       "--name Renamed", now="2026-11-30T09:00:00Z")
    after = ok(f"ticket show {before['id']} --json").json
    for key in ("fields", "checklist", "cc", "accept_due_at", "resolve_due_at", "priority",
                "assignee", "status", "updated_at", "title"):
        assert after[key] == before[key], key
    assert after["type"] == "all"
    # new tickets follow the new definition
    new = ok("ticket open --type all --title New --field code=SH02 --field amount=1 "
             "--field grade=K1 --json").json
    assert new["assignee"] == "carol" and new["priority"] == "low"
    assert [s["text"] for s in new["checklist"]] == ["Other"]
    assert "mgr" in new["cc"] and "carol" not in new["cc"]


def test_disabled_type_keeps_its_open_tickets_in_the_count(desk):
    ok("ticket open --type renewal --title One --customer C1 --field package=12")
    tickets = db_count(desk, "tickets")
    ok("type disable renewal")
    assert db_count(desk, "tickets") == tickets
    shown = ok("ticket show 1 --json").json
    assert shown["type"] == "renewal" and shown["status"] == "assigned"
