"""Who may do what (SPEC §3, §5): every action × every built-in role and relation to the
ticket, first on the pure policy module, then through the CLI on real tickets. Refusals
exit 4 and name the missing permission or the person who may act; the acceptor-only reply
rule gives the advice the issue asks for (add a note, or ask for a transfer)."""

import re

import pytest
from conftest import copy_desk, isolated_env, ok, pg_copy_on, run

from deskcli import policy
from deskcli.errors import NotPermitted
from deskcli.models import Actor

# The people of the matrix, and what each is to the ticket being worked (see `tickets`):
#   owner: dan (accepted it, so also its assignee)     handler: carol (dan transferred to her)
#   assignee: dan on a ticket assigned to him, not yet accepted
#   opener: sun      cc: bob      approver: ann
#   chain: tina, an agent two levels above dan (dan -> lee -> tina)
#   dispatcher: mgr (role manager)      unrelated: ed (an agent with no part in it)
#   viewer: viv (role viewer)           client: the sales system (did not open it)
PEOPLE = ("owner", "handler", "assignee", "opener", "cc", "approver", "chain", "dispatcher",
          "unrelated", "viewer", "client")
INVOLVED = {"owner", "handler", "assignee", "opener", "cc", "approver", "chain", "dispatcher"}
WORKERS = {"owner", "handler", "chain", "dispatcher"}
MANAGERS = {"owner", "chain", "dispatcher"}

# action -> who may do it (everyone else is refused), from SPEC §5 and issue 3.
MAY = {
    "approve": {"approver"},
    "reject": {"approver"},
    "assign": {"chain", "dispatcher"},
    "accept": {"owner", "assignee"},
    "decline": {"owner", "assignee"},
    "transfer": WORKERS,
    "note": INVOLVED | {"unrelated"},             # any staff who works tickets
    "reply": {"owner"},                           # the owner only
    "resolve": {"owner"},
    "close": MANAGERS,
    "reopen": MANAGERS | {"opener"},
    "nudge": INVOLVED,
    "cc": WORKERS,
    "set": MANAGERS,
    "check": {"owner", "handler"},
    "attach": INVOLVED,
    "link": WORKERS,
    "merge": MANAGERS,
    "tag": INVOLVED | {"unrelated"},              # any agent
    "log": WORKERS,
    "rate": {"opener", "cc", "chain", "dispatcher"},  # for the customer; not who worked it
}


def test_every_action_has_a_rule_and_an_expectation():
    assert set(policy.ACTION_RULES) == set(MAY)


def test_builtin_roles():
    roles = policy.BUILTIN_ROLES
    assert set(roles) == {"admin", "manager", "agent", "viewer", "integration"}
    assert policy.role_permissions("admin") == frozenset({"*"})
    assert "ticket.work" not in policy.role_permissions("viewer")
    assert "ticket.assign" not in policy.role_permissions("agent")
    assert {"ticket.assign", "ticket.manage"} <= policy.role_permissions("manager")
    assert policy.role_permissions("integration") == frozenset({"ticket.open", "ticket.view"})
    assert policy.role_permissions("nope") == frozenset()
    assert policy.role_permissions("auditor", {"auditor": frozenset({"report.view"})}) == \
        frozenset({"report.view"})


# --- the pure module ----------------------------------------------------------------------

def actor(role: str, login: str = "x", kind: str = "staff") -> Actor:
    return Actor(id=99, login=login, name=login, kind=kind, role=role,
                 permissions=policy.role_permissions(role))


PURE = {  # person -> (role, relations the CLI computes for them)
    "owner": ("agent", {"owner", "assignee"}),
    "handler": ("agent", {"handler"}),
    "assignee": ("agent", {"assignee"}),
    "opener": ("agent", {"opener"}),
    "cc": ("agent", {"cc"}),
    "approver": ("agent", {"approver"}),
    "chain": ("agent", {"supervisor"}),
    "dispatcher": ("manager", {"dispatcher", "supervisor"}),
    "unrelated": ("agent", set()),
    "viewer": ("viewer", set()),
    "client": ("integration", set()),
}
NAMES = {"owner": "dan", "assignee": "dan", "handler": "carol", "approver": "ann"}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("action", sorted(MAY))
def test_pure_policy_matrix(action, person):
    role, relations = PURE[person]
    who = actor(role, kind="client" if person == "client" else "staff")
    if person in MAY[action]:
        policy.check_action(who, action, set(relations), 7, dict(NAMES))
        return
    with pytest.raises(NotPermitted) as caught:
        policy.check_action(who, action, set(relations), 7, dict(NAMES))
    assert caught.value.exit_code == 4
    assert_names_why(str(caught.value), action)


def assert_names_why(message: str, action: str, names: dict | None = None) -> None:
    """A refusal names the missing permission, or who may act (by name where the ticket
    has that person: the owner, handler, assignee, approver)."""
    names = NAMES if names is None else names
    if re.search(r"permission '[a-z.]+'( or '[a-z.]+')* is missing", message) or \
            message.startswith("access client") or "may not rate it" in message:
        return
    assert re.match(r"(#\d+ has no owner yet, and )?only [^;]+ may ", message), message
    who = policy.ACTION_RULES[action][2]
    for role, login in names.items():
        if f"the {role}" in who:
            assert f"the {role} ({login})" in message, message


def test_accept_of_a_new_ticket_is_open_to_any_agent_but_not_to_a_viewer():
    policy.check_action(actor("agent"), "accept", {"anyone_if_new"}, 7, {})
    with pytest.raises(NotPermitted, match="'ticket.work' is missing"):
        policy.check_action(actor("viewer"), "accept", {"anyone_if_new"}, 7, {})


def test_without_a_named_approver_any_manager_approves():
    policy.check_action(actor("manager"), "approve", {"dispatcher", "supervisor"}, 7, {})
    with pytest.raises(NotPermitted, match="a manager"):
        policy.check_action(actor("agent"), "approve", set(), 7, {})


def test_a_named_approver_is_not_overruled_by_a_manager():
    with pytest.raises(NotPermitted, match=r"only the approver \(ann\)"):
        policy.check_action(actor("manager"), "reject", {"dispatcher", "supervisor"}, 7,
                            {"approver": "ann"})


@pytest.mark.parametrize("action", ["reopen", "attach", "rate", "nudge"])
def test_an_access_client_follows_the_tickets_it_opened(action):
    # permitted: no NotPermitted raised
    assert policy.check_action(actor("integration", "sales", "client"), action, {"opener"},
                               7, {}) is None


@pytest.mark.parametrize("action", ["note", "reply", "close", "cc", "accept", "tag"])
def test_an_access_client_does_nothing_else_even_on_its_own_tickets(action):
    with pytest.raises(NotPermitted, match="access client sales may not"):
        policy.check_action(actor("integration", "sales", "client"), action, {"opener"}, 7, {})


def test_an_admin_supervises_but_is_still_not_the_owner():
    admin = actor("admin")
    for action in ("close", "reopen", "set", "cc", "transfer", "assign", "merge"):
        policy.check_action(admin, action, {"dispatcher", "supervisor"}, 7, dict(NAMES))
    with pytest.raises(NotPermitted, match=r"only the owner \(dan\) may reply"):
        policy.check_action(admin, "reply", {"dispatcher", "supervisor"}, 7, dict(NAMES))


def test_a_custom_role_grants_exactly_its_permissions():
    triage = Actor(id=5, login="tri", name="tri", kind="staff", role="triage",
                   permissions=frozenset({"ticket.view", "ticket.work", "ticket.assign"}))
    policy.check_action(triage, "assign", {"dispatcher"}, 7, {})
    with pytest.raises(NotPermitted, match="only the owner"):
        policy.check_action(triage, "close", {"dispatcher"}, 7, dict(NAMES))


# --- through the command line, on real tickets --------------------------------------------

LOGIN = {"owner": "dan", "handler": "carol", "assignee": "dan", "opener": "sun", "cc": "bob",
         "approver": "ann", "chain": "tina", "dispatcher": "mgr", "unrelated": "ed",
         "viewer": "viv", "client": "sales-system"}

# action -> (command, the ticket it runs on). Tickets: A awaiting approval, S assigned to dan
# (not accepted), P and P2 in progress (owner dan, handler carol), R resolved.
COMMANDS = {
    "approve": ("approve {A}", "A"),
    "reject": ("reject {A} -m 'Not now'", "A"),
    "assign": ("assign {P} --to bob", "P"),
    "accept": ("accept {S}", "S"),
    "decline": ("decline {S} -m 'Not mine'", "S"),
    "transfer": ("transfer {P} --to lee", "P"),
    "note": ("note {P} -m 'Looked at it'", "P"),
    "reply": ("reply {P} -m 'We are on it'", "P"),
    "resolve": ("resolve {P} -m Done", "P"),
    "close": ("close {P}", "P"),
    "reopen": ("reopen {R} -m 'Not fixed'", "R"),
    "nudge": ("nudge {P}", "P"),
    "cc": ("cc {P} --add lee", "P"),
    "set": ("set {P} --priority urgent", "P"),
    "check": ("check {P} 1", "P"),
    "attach": ("attach {P} {file}", "P"),
    "link": ("link {P} --relates {R}", "P"),
    "merge": ("merge {P} --into {P2}", "P"),
    "tag": ("tag {P} +vip", "P"),
    "log": ("log {P} 30m", "P"),
    "rate": ("rate {R} 4", "R"),
}


def _course_ticket() -> int:
    """sun opens a course ticket CC'd to bob; ann approves; it routes to dan."""
    return ok("ticket open --type course --title 'Room for Saturday' --cc bob --json",
              as_user="sun").json["id"]


def _build_policy_tickets() -> dict[str, int]:
    ok("user add ann --name 'Ann Approver' --dept sales")
    ok("user add ed --name 'Ed Else' --dept sales")
    ok("type add course --name Course --route user:dan --approver ann "
       "--step 'Book a room'")
    tickets = {"A": _course_ticket()}
    for name in ("S", "P", "P2", "R"):
        tickets[name] = _course_ticket()
        ok(f"ticket approve {tickets[name]}", as_user="ann")
        if name == "S":
            continue
        ok(f"ticket accept {tickets[name]}", as_user="dan")
        ok(f"ticket transfer {tickets[name]} --to carol", as_user="dan")
    ok(f"ticket check {tickets['R']} 1", as_user="dan")
    ok(f"ticket resolve {tickets['R']} -m 'Room 3 booked'", as_user="dan")
    return tickets


@pytest.fixture(scope="module")
def policy_template(tmp_path_factory, life_template):
    base = tmp_path_factory.mktemp("policy-template")
    copy_desk(life_template, base / "desk.db")
    with isolated_env(base) as path:
        tickets = _build_policy_tickets()
    return path, tickets


_PG_POLICY_IDS: dict[str, int] = {}  # the ids of the postgres leg's template, once built


@pytest.fixture
def tickets(isolated, store_kind, request):
    if store_kind == "postgres":
        pg_copy_on(request, "policy", lambda: _PG_POLICY_IDS.update(_build_policy_tickets()),
                   base="life")
        ids = dict(_PG_POLICY_IDS)
    else:
        path, ids = request.getfixturevalue("policy_template")
        copy_desk(path, isolated / "desk.db")
    (isolated / "plan.txt").write_text("room plan\n")
    return {**ids, "file": str(isolated / "plan.txt")}


def test_the_matrix_tickets_have_the_relations_claimed(tickets):
    p = ok(f"ticket show {tickets['P']} --json").json
    assert (p["status"], p["owner"], p["assignee"], p["handler"], p["opened_by"],
            p["approver"], p["cc"]) == ("in_progress", "dan", "dan", "carol", "sun", "ann",
                                        ["bob"])
    s = ok(f"ticket show {tickets['S']} --json").json
    assert (s["status"], s["assignee"], s["owner"]) == ("assigned", "dan", None)
    assert ok(f"ticket show {tickets['A']} --json").json["status"] == "awaiting_approval"
    assert ok(f"ticket show {tickets['R']} --json").json["status"] == "resolved"
    chain = ok("user show dan --json").json
    assert chain["manager"] == "lee"
    assert ok("user show lee --json").json["manager"] == "tina"
    assert ok("user show tina --json").json["role"] == "agent"


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("action", sorted(COMMANDS))
def test_cli_policy_matrix(tickets, action, person):
    command, base = COMMANDS[action]
    ids = dict(tickets)
    if person == "assignee" and base in ("P", "R"):
        ids["P"] = ids["R"] = tickets["S"]  # dan before accepting: assignee, nothing more
    if person == "owner" and base == "S":
        ids["S"] = tickets["P"]              # dan on the ticket he owns
    result = run(f"ticket {command.format(**ids)}", as_user=LOGIN[person])
    if person in MAY[action]:
        assert result.code != 4, result
        assert result.code in (0, 5), result  # done, or (on S/R) a workflow conflict
        return
    if person == "client":
        # an access client sees only the tickets it opened: not even their existence
        assert result.code == 3, result
        assert "that you can see" in result.err
        return
    assert result.code == 4, result
    assert result.out == ""
    assert result.err.startswith("Error: ")
    on_s = ids[base] == tickets["S"]
    assert_names_why(result.err.removeprefix("Error: "), action,
                     {"assignee": "dan", "approver": "ann"} if on_s else
                     {"approver": "ann"} if base == "A" else NAMES)


@pytest.mark.parametrize("action", ["resolve", "close", "set", "check", "transfer", "merge"])
def test_refusals_name_the_person_who_may(tickets, action):
    command, _ = COMMANDS[action]
    result = run(f"ticket {command.format(**tickets)}", as_user="ed")
    assert result.code == 4, result
    assert "the owner (dan)" in result.err
    assert "you are not involved" in result.err


def test_refusals_name_the_missing_permission(tickets):
    result = run(f"ticket tag {tickets['P']} +x", as_user="viv")
    assert result.code == 4, result
    assert "viv (role viewer) may not tag tickets: permission 'ticket.work' is missing" in \
        result.err


def test_assigning_needs_a_dispatcher_or_a_manager_of_the_people_on_it(tickets):
    result = run(f"ticket assign {tickets['P']} --to ed", as_user="ed")
    assert result.code == 4, result
    assert "only a dispatcher (ticket.assign) or a manager of the people on it" in result.err
    ok(f"ticket assign {tickets['P']} --to ed", as_user="lee")  # dan's manager


def test_refused_actions_write_nothing(tickets):
    before = ok(f"ticket show {tickets['P']} --json").json
    for person in PEOPLE:
        if person not in ("owner", "assignee", "client"):
            assert run(f"ticket resolve {tickets['P']} -m x", as_user=LOGIN[person]).code == 4
    after = ok(f"ticket show {tickets['P']} --json").json
    assert after == before


# --- the acceptor-only reply rule ---------------------------------------------------------

@pytest.mark.parametrize("person", ["opener", "cc", "approver", "chain", "dispatcher",
                                    "unrelated"])
def test_only_the_owner_replies_others_are_told_to_note_or_ask_for_a_transfer(tickets, person):
    p = tickets["P"]
    result = run(f"ticket reply {p} -m 'Hello'", as_user=LOGIN[person])
    assert result.code == 4, result
    assert f"Error: only the owner (dan) may reply to the customer on #{p}" in result.err
    assert (f"add an internal note (deskcli ticket note {p} -m ...) or ask dan to transfer "
            "the ticket to you") in result.err
    assert run(f"ticket note {p} -m 'Hello, dan'", as_user=LOGIN[person]).code == 0


def test_the_handler_may_note_and_transfer_but_not_reply(tickets):
    p = tickets["P"]
    result = run(f"ticket reply {p} -m 'Hello'", as_user="carol")
    assert result.code == 4, result
    assert f"only the owner (dan) may reply to the customer on #{p}" in result.err
    assert f"you handle #{p} for dan: add an internal note" in result.err
    assert f"deskcli ticket transfer {p} --to dan" in result.err
    ok(f"ticket note {p} -m 'The room is free'", as_user="carol")
    ok(f"ticket transfer {p} --to dan", as_user="carol")
    ok(f"ticket reply {p} -m 'Room 3 is yours'", as_user="dan")
    kinds = [(e["kind"], e["actor"]) for e in
             ok(f"ticket show {p} --json").json["events"]][-3:]
    assert kinds == [("note", "carol"), ("transferred", "carol"), ("reply", "dan")]


def test_nobody_replies_before_someone_accepts(tickets):
    s = tickets["S"]
    result = run(f"ticket reply {s} -m 'Hello'", as_user="dan")
    assert result.code == 4, result
    assert f"#{s} has no owner yet, and only the owner may reply" in result.err
    assert f"deskcli ticket accept {s}" in result.err


def test_the_viewer_and_the_client_are_refused_reply_by_permission(tickets):
    p = tickets["P"]
    viewer = run(f"ticket reply {p} -m x", as_user="viv")
    assert viewer.code == 4 and "permission 'ticket.work' is missing" in viewer.err
    own = ok("ticket open --type renewal --title Renew --customer C1 --field package=12 "
             "--json", as_user="sales-system").json["id"]
    client = run(f"ticket reply {own} -m x", as_user="sales-system")
    assert client.code == 4, client
    assert "access client sales-system may not reply to tickets" in client.err


def test_a_transfer_keeps_the_owner_and_the_reply_right(tickets):
    p = tickets["P"]
    ok(f"ticket transfer {p} --to lee", as_user="carol")
    t = ok(f"ticket show {p} --json").json
    assert (t["owner"], t["handler"]) == ("dan", "lee")
    assert run(f"ticket reply {p} -m x", as_user="lee").code == 4
    assert run(f"ticket reply {p} -m x", as_user="carol").code == 4
    ok(f"ticket reply {p} -m 'Still on it'", as_user="dan")


def test_the_direct_manager_supervises_too(tickets):
    p = tickets["P"]
    ok(f"ticket set {p} --priority high", as_user="lee")
    ok(f"ticket close {p}", as_user="lee")
    assert ok(f"ticket show {p} --json").json["status"] == "closed"


def test_the_manager_of_the_opener_does_not_supervise(tickets):
    # supervision follows the people who work the ticket (owner, assignee, handler), not
    # the opener: an agent who manages the opener may not close it
    ok("user add olga --name 'Olga Opener-boss' --dept sales")
    ok("user update sun --manager olga")
    result = run(f"ticket close {tickets['P']}", as_user="olga")
    assert result.code == 4, result


@pytest.mark.parametrize("command, code", [
    ("nudge {T}", 0), ("attach {T} {file}", 0), ("note {T} -m x", 4), ("close {T}", 4),
    ("cc {T} --add bob", 4)])
def test_an_access_client_on_the_ticket_it_opened(tickets, command, code):
    own = ok("ticket open --type renewal --title Renew --customer C1 --field package=12 "
             "--json", as_user="sales-system").json["id"]
    result = run(f"ticket {command.format(T=own, file=tickets['file'])}",
                 as_user="sales-system")
    assert result.code == code, result
    if code == 4:
        assert "access client sales-system may not" in result.err


def test_an_access_client_reopens_and_rates_its_own_resolved_ticket(tickets):
    own = ok("ticket open --type renewal --title Renew --customer C1 --field package=12 "
             "--json", as_user="sales-system").json["id"]
    ok(f"ticket accept {own}", as_user="sun")
    ok(f"ticket check {own} 1", as_user="sun")
    ok(f"ticket check {own} 2", as_user="sun")
    ok(f"ticket resolve {own} -m Renewed", as_user="sun")
    ok(f"ticket rate {own} 5 -m 'Smooth'", as_user="sales-system")
    ok(f"ticket reopen {own} -m 'The contract is wrong'", as_user="sales-system")
    t = ok(f"ticket show {own} --json").json
    assert (t["status"], t["owner"]) == ("in_progress", "sun")
