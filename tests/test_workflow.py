"""The transition table of SPEC §5, every (status, action) pair: allowed ones move to the
documented status, every other pair raises Conflict naming the actions possible from the
current status. Checked against an expectation written out by hand here (not derived from
deskcli.types.workflow), first on the pure module, then through the CLI (exit 5)."""

import re

import pytest
from conftest import ok, run

from deskcli.errors import Conflict
from deskcli.types import workflow

STATUSES = ("awaiting_approval", "new", "assigned", "in_progress", "waiting", "resolved",
            "closed")
OPEN = STATUSES[:5]
WORKING = ("in_progress", "waiting")
SAME = "stays"       # the status does not change
DECIDED = "decided"  # the use case decides (approve routes; reopen: owner or queue)


def _all(statuses, to=SAME):
    return {s: to for s in statuses}


# action -> {from status: to status}, written from SPEC §5 and issue 3.
EXPECTED = {
    "approve": {"awaiting_approval": DECIDED},
    "reject": {"awaiting_approval": "closed"},
    "assign": _all(("new", "assigned", "in_progress", "waiting"), "assigned"),
    "accept": {"new": "in_progress", "assigned": "in_progress"},
    "decline": {"assigned": "new"},
    "transfer": _all(WORKING),
    "note": _all(STATUSES),
    "reply": _all(WORKING, "in_progress"),
    "reply_wait": _all(WORKING, "waiting"),
    "customer_reply": {"new": SAME, "assigned": SAME, "in_progress": SAME,
                       "waiting": "in_progress", "resolved": "in_progress"},
    "resolve": _all(WORKING, "resolved"),
    "close": _all(("new", "assigned", "in_progress", "waiting", "resolved"), "closed"),
    "reopen": {"resolved": DECIDED, "closed": DECIDED},
    "nudge": _all(OPEN),
    "cc": _all(STATUSES),
    "set": _all((*OPEN, "resolved")),
    "check": _all(WORKING),
    "attach": _all((*OPEN, "resolved")),
    "link": _all(STATUSES),
    "merge": _all(OPEN, "closed"),
    "tag": _all(STATUSES),
    "log": _all(STATUSES),
    "rate": {"resolved": SAME, "closed": SAME},
}
TYPED = {"reply_wait": "reply --wait", "customer_reply": "mail ingest"}


def possible(status: str) -> set[str]:
    """What the Conflict message must list: the actions a person can type from `status`."""
    return {TYPED.get(a, a) for a, moves in EXPECTED.items()
            if status in moves and a != "customer_reply"}


def listed(message: str) -> set[str]:
    match = re.search(r"possible now: (.*)", message)
    assert match, message
    return set() if match[1].strip() == "nothing" else {
        a.strip() for a in match[1].strip().split(",")}


# --- the pure table -----------------------------------------------------------------------

def test_the_table_has_exactly_the_documented_actions():
    assert set(workflow.ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", STATUSES)
def test_every_status_action_pair(status, action):
    moves = EXPECTED[action]
    if status in moves:
        assert workflow.allowed(status, action)
        want = {SAME: status, DECIDED: None}.get(moves[status], moves[status])
        assert workflow.next_status(status, action) == want
        return
    assert not workflow.allowed(status, action)
    with pytest.raises(Conflict) as caught:
        workflow.next_status(status, action)
    err = caught.value
    assert err.exit_code == 5
    assert status in err.message
    assert TYPED.get(action, action).split()[0] in err.message
    assert listed(str(err)) == possible(status)


@pytest.mark.parametrize("status", STATUSES)
def test_possible_lists_what_the_table_allows(status):
    assert set(workflow.possible(status)) == possible(status)


def test_closed_tickets_allow_only_bookkeeping():
    assert possible("closed") == {"note", "reopen", "cc", "link", "tag", "log", "rate"}


def test_unknown_action_is_a_programming_error_not_a_conflict():
    with pytest.raises(ValueError):
        workflow.next_status("new", "teleport")


@pytest.mark.parametrize("status, role", [
    ("awaiting_approval", "approver"), ("new", "queue"), ("assigned", "assignee"),
    ("in_progress", "handler"), ("waiting", "customer"), ("resolved", None),
    ("closed", None)])
def test_who_must_act(status, role):
    assert workflow.who_must_act(status) == role


# --- through the command line -------------------------------------------------------------

@pytest.fixture
def desk(life_desk):
    return life_desk


def opened(type_key="help", as_user="alice", extra="") -> int:
    return ok(f"ticket open --type {type_key} --title 'T' {extra} --json",
              as_user=as_user).json["id"]


def status_of(ticket_id: int) -> str:
    return ok(f"ticket show {ticket_id} --json").json["status"]


def in_status(status: str) -> int:
    """A ticket of type `help` (routed to bob) or `purchase` (approval) in `status`;
    bob becomes the owner once accepted."""
    if status == "awaiting_approval":
        return opened("purchase", as_user="sun")
    if status == "new":
        return opened("task")
    tid = opened("help")
    if status == "assigned":
        return tid
    ok(f"ticket accept {tid}", as_user="bob")
    if status == "waiting":
        ok(f"ticket reply {tid} -m 'Which phone?' --wait", as_user="bob")
    if status in ("resolved", "closed"):
        ok(f"ticket resolve {tid} -m Done", as_user="bob")
    if status == "closed":
        ok(f"ticket close {tid}", as_user="bob")
    assert status_of(tid) == status
    return tid


# (status, command after the id, acting user): each actor may do the action (so policy
# passes), but the status does not allow it.
INVALID = [
    ("awaiting_approval", "assign {id} --to bob", "alice"),
    ("awaiting_approval", "close {id}", "alice"),
    ("awaiting_approval", "rate {id} 4", "alice"),
    ("new", "transfer {id} --to carol", "alice"),
    ("new", "approve {id}", "alice"),
    ("new", "rate {id} 5", "alice"),
    ("assigned", "transfer {id} --to carol", "alice"),
    ("assigned", "reject {id} -m no", "alice"),
    ("in_progress", "decline {id} -m busy", "bob"),
    ("in_progress", "approve {id}", "alice"),
    ("waiting", "decline {id} -m busy", "bob"),
    ("resolved", "accept {id}", "bob"),
    ("resolved", "reply {id} -m more", "bob"),
    ("resolved", "reply {id} -m more --wait", "bob"),
    ("resolved", "transfer {id} --to carol", "bob"),
    ("resolved", "nudge {id}", "bob"),
    ("resolved", "assign {id} --to carol", "alice"),
    ("closed", "reply {id} -m 'one more thing'", "bob"),
    ("closed", "accept {id}", "bob"),
    ("closed", "resolve {id} -m again", "bob"),
    ("closed", "set {id} --priority low", "bob"),
    ("closed", "nudge {id}", "bob"),
    ("closed", "decline {id} -m no", "bob"),
]


@pytest.mark.parametrize("status, command, actor", INVALID,
                         ids=[f"{s}-{c.split()[0]}" for s, c, _ in INVALID])
def test_invalid_transitions_exit_5_and_list_what_is_possible(desk, status, command, actor):
    tid = in_status(status)
    before = ok(f"ticket show {tid} --json").json
    result = run(f"ticket {command.format(id=tid)}", as_user=actor)
    assert result.code == 5, result
    assert result.out == ""
    assert result.err.startswith("Error: cannot ")
    assert f"that is {status}" in result.err
    assert listed(result.err) == possible(status)
    after = ok(f"ticket show {tid} --json").json
    assert after["status"] == status
    assert len(after["events"]) == len(before["events"])


def test_invalid_transition_with_a_checklist_step(desk):
    tid = opened("renewal", extra="--customer C1 --field package=12")
    ok(f"ticket accept {tid}", as_user="sun")
    ok(f"ticket check {tid} 1", as_user="sun")
    ok(f"ticket check {tid} 2", as_user="sun")
    ok(f"ticket resolve {tid} -m Renewed", as_user="sun")
    result = run(f"ticket check {tid} 1 --undo", as_user="sun")
    assert result.code == 5, result
    assert listed(result.err) == possible("resolved")


def test_merge_of_a_closed_ticket_exits_5(desk):
    dup, survivor = in_status("closed"), opened("help")
    result = run(f"ticket merge {dup} --into {survivor}", as_user="alice")
    assert result.code == 5, result
    assert listed(result.err) == possible("closed")


# the documented moves, through the CLI
MOVES = [
    ("awaiting_approval", "approve {id}", "zhao", "assigned"),
    ("awaiting_approval", "reject {id} -m 'No budget'", "zhao", "closed"),
    ("new", "accept {id}", "carol", "in_progress"),
    ("new", "assign {id} --to carol", "mgr", "assigned"),
    ("new", "close {id}", "alice", "closed"),
    ("assigned", "accept {id}", "bob", "in_progress"),
    ("assigned", "decline {id} -m 'Not mine'", "bob", "new"),
    ("assigned", "assign {id} --to carol", "mgr", "assigned"),
    ("in_progress", "reply {id} -m Hello --wait", "bob", "waiting"),
    ("in_progress", "reply {id} -m Hello", "bob", "in_progress"),
    ("in_progress", "resolve {id} -m Fixed", "bob", "resolved"),
    ("in_progress", "assign {id} --to carol", "mgr", "assigned"),
    ("in_progress", "close {id}", "bob", "closed"),
    ("in_progress", "transfer {id} --to carol", "bob", "in_progress"),
    ("waiting", "reply {id} -m 'Thanks, fixing'", "bob", "in_progress"),
    ("waiting", "resolve {id} -m Fixed", "bob", "resolved"),
    ("waiting", "transfer {id} --to carol", "bob", "waiting"),
    ("resolved", "close {id}", "bob", "closed"),
    ("resolved", "reopen {id} -m 'Crashes again'", "bob", "in_progress"),
    ("closed", "reopen {id} -m 'Crashes again'", "bob", "in_progress"),
    ("closed", "note {id} -m 'For the record'", "carol", "closed"),
    ("closed", "tag {id} +later", "bob", "closed"),
]


@pytest.mark.parametrize("status, command, actor, to", MOVES,
                         ids=[f"{s}-{c.split()[0]}" for s, c, _, _ in MOVES])
def test_documented_moves_through_the_cli(desk, status, command, actor, to):
    tid = in_status(status)
    result = ok(f"ticket {command.format(id=tid)}", as_user=actor)
    assert result.out == f"{tid}\n"
    assert status_of(tid) == to
