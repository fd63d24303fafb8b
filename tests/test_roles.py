"""The role matrix (issue 10): every built-in role and two custom roles against every
command that changes something. The table below is the contract: one row per write
command, one column per role, `+` allowed (exit 0), `-` refused (exit 4, naming what is
missing). The actor is as involved in each ticket as the command needs (owner, assignee,
named approver, CC'd ...), so a refusal comes from the role, not from the relation: the
relation rules are tests/test_policy.py's matrix.

A test walks the click tree and fails when a command is neither in the table nor in
READ_ONLY, so a new write command cannot be forgotten.
"""

import click
import pytest
from conftest import copy_desk, execute, isolated_env, ok, pg_copy, run, seed_desk

from deskcli.cli import main

ROLES = ("admin", "manager", "agent", "viewer", "integration", "dispatcher", "cron",
         "watcher")
CUSTOM = {"dispatcher": "ticket.view,ticket.assign", "cron": "outbox.send",
          "watcher": "ticket.view"}

# Notes on the less obvious rows:
#   db migrate    runs on every open of the desk anyway, so it needs no permission
#   mail ingest   refuses with exit 75 (not 4): the MTA keeps the message until fixed
#   integration   follows the tickets it opened: attach, nudge, reopen, rate
#   view remove   removes only the actor's own saved view
#   ticket approve/reject  the named approver decides with ticket.view (naming is the grant)
#
# command: the arguments it runs with ({X} are ticket ids and files, see `cell`), then the
# expected outcome for admin, manager, agent, viewer, integration, dispatcher (a custom role
# of ticket.view,ticket.assign: the man page's example), cron (outbox.send) and watcher
# (ticket.view alone).
TABLE = """
                    |                                         | adm mgr agt vwr int dsp crn wat
access add          | access add sys2 --name S2 --types job   | +   -   -   -   -   -   -   -
access revoke       | access revoke sys                       | +   -   -   -   -   -   -   -
config set          | config set desk.name Renamed            | +   -   -   -   -   -   -   -
config unset        | config unset timezone                   | +   -   -   -   -   -   -   -
customer add        | customer add C9 --name Nine             | +   +   +   -   -   -   -   -
customer import     | customer import {customers}             | +   +   +   -   -   -   -   -
customer reassign   | customer reassign --from sun --to carol | +   +   +   -   -   -   -   -
customer update     | customer update C1 --phone 13900000009  | +   +   +   -   -   -   -   -
db backup           | db backup {backup}                      | +   -   -   -   -   -   -   -
db copy             | db copy {desk} {backup}                 | +   -   -   -   -   -   -   -
db migrate          | db migrate                              | +   +   +   +   +   +   +   +
db reindex          | db reindex                              | +   -   -   -   -   -   -   -
dept add            | dept add it --name IT                   | +   -   -   -   -   -   -   -
dept update         | dept update sales --name Sales2         | +   -   -   -   -   -   -   -
faq add             | faq add --question Q? --answer A.       | +   +   -   -   -   -   -   -
faq category add    | faq category add Misc                   | +   +   -   -   -   -   -   -
faq category remove | faq category remove Old                 | +   +   -   -   -   -   -   -
faq category rename | faq category rename Old New             | +   +   -   -   -   -   -   -
faq import          | faq import {faq}                        | +   +   -   -   -   -   -   -
faq remove          | faq remove {faq_key}                    | +   +   -   -   -   -   -   -
faq synonym add     | faq synonym add 甲乙 丙丁               | +   +   -   -   -   -   -   -
faq synonym glossary| faq synonym glossary                    | +   +   -   -   -   -   -   -
faq synonym import  | faq synonym import {synonyms}           | +   +   -   -   -   -   -   -
faq synonym remove  | faq synonym remove 登录                 | +   +   -   -   -   -   -   -
faq update          | faq update {faq_key} --keywords k       | +   +   -   -   -   -   -   -
holiday add         | holiday add 2027-01-01                  | +   -   -   -   -   -   -   -
holiday import      | holiday import --cn 2026                | +   -   -   -   -   -   -   -
holiday remove      | holiday remove 2026-12-25               | +   -   -   -   -   -   -   -
mail ingest         | mail ingest {mail}                      | +   +   +   -   -   -   -   -
outbox retry        | outbox retry                            | +   -   -   -   -   -   +   -
outbox send         | outbox send --via stdout                | +   -   -   -   -   -   +   -
remind run          | remind run                              | +   +   -   -   -   -   -   -
role add            | role add aud --permissions report.view  | +   -   -   -   -   -   -   -
schedule add        | schedule add {schedule}                 | +   -   -   -   -   -   -   -
schedule remove     | schedule remove daily                   | +   -   -   -   -   -   -   -
ticket accept       | ticket accept {S}                       | +   +   +   -   -   -   -   -
ticket approve      | ticket approve {A}                      | +   +   +   +   -   +   -   +
ticket assign       | ticket assign {Q} --to carol            | +   +   -   -   -   +   -   -
ticket attach       | ticket attach {P} {file}                | +   +   +   -   +   -   -   -
ticket cc           | ticket cc {P} --add carol               | +   +   +   -   -   -   -   -
ticket check        | ticket check {K} 1                      | +   +   +   -   -   -   -   -
ticket close        | ticket close {P}                        | +   +   +   -   -   -   -   -
ticket contact      | ticket contact {P} --add p@example.com  | +   +   +   -   -   -   -   -
ticket decline      | ticket decline {S} -m Busy              | +   +   +   -   -   -   -   -
ticket import       | ticket import {tickets}                 | +   +   -   -   -   -   -   -
ticket link         | ticket link {P} --relates {P2}          | +   +   +   -   -   -   -   -
ticket log          | ticket log {P} 30m                      | +   +   +   -   -   -   -   -
ticket merge        | ticket merge {P2} --into {P}            | +   +   +   -   -   -   -   -
ticket note         | ticket note {P} -m Looked               | +   +   +   -   -   -   -   -
ticket nudge        | ticket nudge {S} -m Please              | +   +   +   -   +   -   -   -
ticket open         | ticket open --type job --title New      | +   +   +   -   +   -   -   -
ticket rate         | ticket rate {R2} 5                      | +   +   +   -   +   -   -   -
ticket reject       | ticket reject {A} -m No                 | +   +   +   +   -   +   -   +
ticket reopen       | ticket reopen {R} -m Again              | +   +   +   -   +   -   -   -
ticket reply        | ticket reply {P} -m Hello               | +   +   +   -   -   -   -   -
ticket resolve      | ticket resolve {P} -m Done              | +   +   +   -   -   -   -   -
ticket set          | ticket set {P} --priority low           | +   +   +   -   -   -   -   -
ticket tag          | ticket tag {P} +vip                     | +   +   +   -   -   -   -   -
ticket transfer     | ticket transfer {P} --to carol          | +   +   +   -   -   -   -   -
type add            | type add t9 --name T9                   | +   -   -   -   -   -   -   -
type disable        | type disable job                        | +   -   -   -   -   -   -   -
type update         | type update job --name Job2             | +   -   -   -   -   -   -   -
user add            | user add u9 --name U9                   | +   -   -   -   -   -   -   -
user deactivate     | user deactivate carol                   | +   -   -   -   -   -   -   -
user update         | user update carol --name Caro           | +   -   -   -   -   -   -   -
view add            | view add mine2 --status open            | +   +   +   +   +   +   -   +
view remove         | view remove mine                        | +   +   +   +   +   +   +   +
"""

REFUSAL = {"mail ingest": 75}  # the exit status of a refusal, where it is not 4

# Commands that change nothing in the desk (reads, and files written from what one may
# read), and the two that make a desk rather than act on one.
READ_ONLY = {
    "access list", "cc list", "completion", "config get", "config list", "customer list",
    "customer show", "dashboard", "db check", "dept list", "faq category list", "faq export",
    "faq gaps", "faq list", "faq recommend", "faq search", "faq show", "faq suggest",
    "holiday list", "outbox list", "outbox show", "queue list", "report agents",
    "report fields", "report sla", "report summary", "report trend", "role list",
    "role show", "schedule list", "ticket attachment", "ticket export", "ticket list",
    "ticket related", "ticket show", "type list", "type show", "user list", "user show",
    "version", "view list", "whoami", "init", "demo", "mail check", "man", "remind crontab",
    "faq synonym list", "faq synonym export",
}


def parse(table: str) -> dict:
    rows = {}
    for line in table.strip("\n").splitlines():
        name, args, marks = (part.strip() for part in line.split("|"))
        if marks.startswith("adm"):
            continue  # the heading
        marks = marks.split()
        assert len(marks) == len(ROLES) and set(marks) <= {"+", "-"}, line
        rows[name] = (args, dict(zip(ROLES, marks, strict=True)))
    return rows


ROWS = parse(TABLE)


def commands(group=main, path=()) -> list[str]:
    """Every leaf command of the click tree (lazy groups are loaded)."""
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if isinstance(sub, click.Group):
            found += commands(sub, path + (name,))
        else:
            found.append(" ".join(path + (name,)))
    return found


def test_every_command_is_in_the_table_or_known_to_change_nothing():
    tree = set(commands())
    missing = sorted(tree - set(ROWS) - READ_ONLY)
    assert not missing, f"add these commands to the role matrix (or READ_ONLY): {missing}"
    assert not set(ROWS) & READ_ONLY
    assert not (set(ROWS) | READ_ONLY) - tree, "the table names commands that do not exist"


# --- the desk the matrix runs on ----------------------------------------------------------
#
# bob (support, manager mgr) is the staff actor: each cell gives him the role under test.
# `sys` is the access client (role integration) and opened P, P2, S, R, R2, A and Q.
#   P, P2 in progress, owner = handler = bob      S assigned to bob, not accepted
#   Q new, in the assignment queue                A awaiting approval, approver bob
#   R resolved by bob                             R2 resolved by carol, bob CC'd
#   K in progress, owner bob, with a checklist step

MAIL = """From: Zhang Wei <zw@example.com>
To: desk@school.example
Subject: The app crashes
Message-ID: <m1@example.com>
Date: Sat, 28 Nov 2026 08:00:00 +0000

It crashes on start.
"""


@pytest.fixture(scope="module")
def roles_template(tmp_path_factory, seeded_template):
    base = tmp_path_factory.mktemp("roles-template")
    copy_desk(seeded_template, base / "desk.db")
    ids = {}
    with isolated_env(base) as path:
        build_roles(ids)
    return path, ids


def build_roles(ids: dict) -> None:
    """The roles' desk on the seeded desk: custom roles, types, tickets in every state;
    `ids` receives the ids and keys the commands need."""
    for name, perms in CUSTOM.items():
        ok(f"role add {name} --permissions {perms}")
    ok("type add job --name Job --route user:bob")
    ok("type add steps --name Steps --route user:bob --step 'Call the parent'")
    ok("type add job2 --name Job2 --route user:carol")
    ok("type add queued --name Queued --route manual")
    ok("type add appr --name Approval --route user:bob --approver bob")
    ok("type add email --name E-mail --route manual")
    ok("access add sys --name Sys --types job,job2,queued,appr,steps")
    ok("access add mail-in --name 'Mail in' --types email")
    for key, value in (("mail.type", "email"), ("outbox.via", "stdout"),
                       ("mail.from", "desk@school.example"), ("timezone", "Asia/Shanghai")):
        ok(f"config set {key} {value}")

    def opened(ticket_type):
        return ok(f"ticket open --type {ticket_type} --title T --json",
                  as_user="sys").json["id"]

    for name in ("P", "P2", "R", "K"):
        ids[name] = opened("steps" if name == "K" else "job")
        ok(f"ticket accept {ids[name]}", as_user="bob")
    ok(f"ticket resolve {ids['R']} -m Done", as_user="bob")
    ids["S"] = opened("job")
    ids["Q"] = opened("queued")
    ids["A"] = opened("appr")
    ids["R2"] = opened("job2")
    ok(f"ticket accept {ids['R2']}", as_user="carol")
    ok(f"ticket cc {ids['R2']} --add bob", as_user="carol")
    ok(f"ticket resolve {ids['R2']} -m Done", as_user="carol")
    ok("faq category add Old")
    ids["faq_key"] = ok("faq add --question 'How?' --answer 'Like this.' --json").json["key"]
    ok("holiday add 2026-12-25")
    ok("schedule add daily --type job --title D --every 'daily 09:00'")
    for login in ("bob", "sys"):
        ok("view add mine --status open", as_user=login)


def cell(tmp, location, ids, command: str, role: str):
    """Run one command as `role` on `location`, a fresh copy of the template desk."""
    actor = "sys" if role == "integration" else "bob"
    if role != "integration":
        assert execute(location, "UPDATE users SET role = ? WHERE login = 'bob'", (role,)) == 1
    files = {
        "file": tmp / "plan.txt", "backup": tmp / "backup.db", "faq": tmp / "faq.csv",
        "customers": tmp / "customers.csv", "tickets": tmp / "tickets.jsonl",
        "mail": tmp / "message.eml",
        "synonyms": tmp / "synonyms.txt", "desk": location}
    files["file"].write_text("room plan\n")
    files["faq"].write_text("question,answer\nWhy?,Because.\n")
    files["customers"].write_text("key,name\nC8,Eight\n")
    files["tickets"].write_text('{"type": "job", "title": "Imported"}\n')
    files["mail"].write_text(MAIL)
    files["synonyms"].write_text("戊己, 庚辛\n", encoding="utf-8")
    args = command.format(**ids, **{k: str(v) for k, v in files.items()},
                          schedule="wk --type job --title W --every 'daily 10:00'")
    return run(args, as_user=actor)


class Copies:
    """Fresh copies of the roles' template desk, one per cell, on the store under test: a
    file copied with SQLite's backup API, or a database made from the template database."""

    def __init__(self, store_kind, request):
        self.cluster = None
        if store_kind == "postgres":
            self.ids = roles_pg(request)
            self.cluster = request.getfixturevalue("pg_cluster")
            self.template = request.getfixturevalue("pg_templates")["roles"]
        else:
            self.template, self.ids = request.getfixturevalue("roles_template")
        self.made = []

    def fresh(self, folder):
        if self.cluster is None:
            return copy_desk(self.template, folder / "desk.db")
        name = self.cluster.new_database(self.template)
        self.made.append(name)
        return self.cluster.url(name)

    def drop(self):
        while self.made:
            self.cluster.drop_database(self.made.pop())


@pytest.mark.parametrize("role", ROLES)
def test_the_role_matrix(tmp_path, store_kind, request, role):
    """Every cell of TABLE, a column (role) per test so that parallel workers share the
    cells; failures are collected so that one run shows them all."""
    copies = Copies(store_kind, request)
    wrong, unexpected_allows = [], []
    try:
        for name, (command, expected) in ROWS.items():
            here = tmp_path / name.replace(" ", "-")
            here.mkdir()
            location = copies.fresh(here)
            with isolated_env(here, location if copies.cluster else None):
                result = cell(here, location, copies.ids, command, role)
            copies.drop()
            got = {0: "+", REFUSAL.get(name, 4): "-"}.get(result.code, f"exit {result.code}")
            if got != expected[role]:
                wrong.append(f"{name} as {role}: expected {expected[role]}, got {got}: "
                             f"{result.err.strip()[:200]}")
                if got == "+":
                    unexpected_allows.append(f"{name} as {role}")
            elif got == "-" and not ("may not" in result.err or " may " in result.err):
                wrong.append(f"{name} as {role}: refused without saying why: {result.err}")
    finally:
        copies.drop()
    print(f"role matrix ({store_kind}), {role}: {len(ROWS)} cells, "
          f"{len(unexpected_allows)} unexpected allows, {len(wrong)} mismatches")
    assert not wrong, "\n".join(wrong)


# --- the outbox is not for everyone who sees a ticket (issue 10, point 2) -------------------

PG_IDS: dict = {}  # the ids of the postgres leg's roles template, built once per session


def roles_pg(request) -> dict:
    """The postgres leg's roles template (built once per session on the seeded one); this
    test's database becomes a copy of it. Returns its ids."""
    if "seeded" not in request.getfixturevalue("pg_templates"):
        pg_copy(request, "seeded", seed_desk)
    pg_copy(request, "roles", lambda: build_roles(PG_IDS), base_template="seeded")
    return PG_IDS


@pytest.fixture
def roles_desk(isolated, store_kind, request):
    if store_kind == "postgres":
        return roles_pg(request)
    template, ids = request.getfixturevalue("roles_template")
    copy_desk(template, isolated / "desk.db")
    return ids


@pytest.mark.parametrize("command", ["outbox send --via stdout", "outbox list", "outbox show 1",
                                     "outbox retry"])
@pytest.mark.parametrize("login", ["bob", "viv", "sys", "mgr"])
def test_the_outbox_needs_its_own_permission(roles_desk, command, login):
    before = ok("outbox list --json --limit 0").json
    result = run(command, as_user=login)
    assert result.code == 4, result
    assert "permission 'outbox.send' is missing" in result.err
    assert "deskcli role add cron --permissions outbox.send" in result.err
    assert f"deskcli user update {'LOGIN' if login == 'sys' else login} --role cron" in \
        result.err
    assert result.out == ""
    assert ok("outbox list --json --limit 0").json == before  # nothing marked sent


def test_a_cron_identity_sends_the_outbox(roles_desk):
    ok("user add desk-cron --name 'Cron' --role cron")
    pending = [n for n in ok("outbox list --json --limit 0").json if n["status"] == "pending"]
    assert pending
    result = ok("outbox send --via stdout --json", as_user="desk-cron")
    assert f'"sent": {len(pending)}' in result.out
    assert {n["status"] for n in ok("outbox list --json --limit 0").json} == {"sent"}
    ok("outbox retry", as_user="desk-cron")


def test_outbox_list_and_show_hide_notices_of_tickets_one_cannot_see(roles_desk):
    ids = roles_desk
    notices = ok("outbox list --json --limit 0").json
    assert {n["ticket"] for n in notices} >= {ids["P"], ids["R2"]}
    # the cron identity sees no ticket, so no notice about one
    ok("user add desk-cron --name 'Cron' --role cron")
    assert ok("outbox list --json --limit 0", as_user="desk-cron").json == []
    about_p = next(n["id"] for n in notices if n["ticket"] == ids["P"])
    hidden = run(f"outbox show {about_p}", as_user="desk-cron")
    assert hidden.code == 3 and "no notice" in hidden.err and hidden.out == ""
    # with visibility=department, a sales supervisor of the outbox sees sales' tickets only
    ok("role add outbox-desk --permissions outbox.send,ticket.view")
    ok("user add olga --name Olga --dept sales --role outbox-desk")
    ok("config set visibility department")

    def visible_to_olga():
        listed = ok("ticket list --json --limit 0", as_user="olga").json
        return {t["id"] for t in (listed["tickets"] if isinstance(listed, dict) else listed)}

    seen = {n["ticket"] for n in ok("outbox list --json --limit 0", as_user="olga").json}
    assert seen == {n["ticket"] for n in notices} & visible_to_olga() == {ids["Q"]}
    assert run(f"outbox show {about_p}", as_user="olga").code == 3
    ok("user update olga --dept support")  # bob's department: now she sees P
    seen = {n["ticket"] for n in ok("outbox list --json --limit 0", as_user="olga").json}
    assert ids["P"] in seen and seen == {n["ticket"] for n in notices} & visible_to_olga()
    assert "Subject:" in ok(f"outbox show {about_p}", as_user="olga").out


# --- read-only roles do not write; a dispatcher dispatches (issue 10, point 3) ------------

def test_a_viewer_may_not_add_notes_and_nothing_is_written(roles_desk):
    ids = roles_desk
    ok("user add wes --name Wes --role watcher")  # a custom role of ticket.view alone
    before = ok(f"ticket show {ids['P']} --json").json
    outbox = ok("outbox list --json --limit 0").json
    for login in ("viv", "wes"):
        result = run(f"ticket note {ids['P']} -m 'Looked at it'", as_user=login)
        assert result.code == 4, result
        assert "may not note tickets: permission 'ticket.work' is missing" in result.err
    assert ok(f"ticket show {ids['P']} --json").json == before
    assert ok("outbox list --json --limit 0").json == outbox


def test_the_man_page_dispatcher_assigns_and_reassigns(roles_desk):
    ids = roles_desk
    ok("user add dee --name 'Dee Dispatch' --role dispatcher")
    ok(f"ticket assign {ids['Q']} --to carol", as_user="dee")
    assert ok(f"ticket show {ids['Q']} --json").json["assignee"] == "carol"
    ok(f"ticket assign {ids['Q']} --to bob -m 'Bob knows the app'", as_user="dee")
    ok(f"ticket assign {ids['P']} --to carol", as_user="dee")  # in progress with bob
    shown = ok(f"ticket show {ids['P']} --json").json
    assert (shown["status"], shown["assignee"], shown["owner"]) == ("assigned", "carol", None)
    # dispatching is all it does: no notes, no work, and only to people who work tickets
    refused = run(f"ticket note {ids['P']} -m x", as_user="dee")
    assert refused.code == 4 and "'ticket.work' is missing" in refused.err
    assert run(f"ticket accept {ids['Q']}", as_user="dee").code == 4
    stuck = run(f"ticket assign {ids['Q']} --to viv", as_user="dee")
    assert stuck.code == 5 and "cannot work tickets" in stuck.err
