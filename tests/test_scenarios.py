"""End-to-end scenarios of issue 3, typed the way people (and the sales system) type them:
the renewal task across a consultant's departure, the departure with and without a
successor, the acceptor-only reply rule, approval, checklist and merge."""

import pytest
from conftest import ok, run


@pytest.fixture
def desk(life_desk):
    ok("user add zhou --name 'Zhou Jie' --dept sales --manager zhao")
    return life_desk


def show(tid: int, as_user="alice") -> dict:
    return ok(f"ticket show {tid} --json", as_user=as_user).json


def kinds(tid: int) -> list[str]:
    return [e["kind"] for e in show(tid)["events"]]


def renewal(customer: str, package="24") -> dict:
    """What the sales system sends when a customer's package is about to run out."""
    return ok(f"ticket open --type renewal --customer {customer} --title 'Renewal due' "
              f"-m 'The package ends on 12-15' --field package={package} --json",
              as_user="sales-system").json


def test_renewal_scenario_across_the_consultant_leaving(desk):
    # 1. the sales system opens a renewal: it routes to the customer's consultant
    first = renewal("C1")
    assert (first["status"], first["assignee"], first["opened_by"], first["source"]) == (
        "assigned", "sun", "sales-system", "access:sales-system")
    assert "sun" in show(first["id"])["events"][1]["message"]
    assert [t["id"] for t in ok("dashboard --json", as_user="sun").json["to_accept"]] == [
        first["id"]]
    # the sales system follows its own ticket, but sees nothing else
    ok(f"ticket show {first['id']}", as_user="sales-system")
    assert run("ticket open --type help --title x", as_user="sales-system").code == 4

    # 2. sun works it: accept, call the parent, send the contract, resolve
    ok(f"ticket accept {first['id']}", as_user="sun")
    ok(f"ticket reply {first['id']} -m '您好，续费合同已发送' --wait", as_user="sun")
    ok(f"ticket check {first['id']} 1", as_user="sun")
    ok(f"ticket check {first['id']} 'Send the contract'", as_user="sun")
    ok(f"ticket resolve {first['id']} -m 'Renewed for 24 lessons'", as_user="sun")
    open_one = renewal("C3")  # another renewal sun has not accepted yet

    # 3. sun leaves
    left = ok("user deactivate sun --json").json
    assert left["customers"] == ["C1", "C3"]
    assert left["moved"]["to_queue"] == [open_one["id"]]
    task_id = left["reassign_ticket"]
    task = show(task_id)
    assert (task["status"], task["assignee"], task["type"]) == (
        "assigned", "zhao", "reassign-customers")
    assert "C1: Zhang Wei" in task["body"] and "C3: Wang Fang" in task["body"]
    assert "deskcli customer update C1 C3 --consultant NEW" in task["body"]
    assert [t["id"] for t in ok("dashboard --json", as_user="zhao").json["to_accept"]] == [
        task_id]
    left_behind = show(open_one["id"])
    assert (left_behind["status"], left_behind["assignee"]) == ("new", None)
    assert "sun left" in left_behind["events"][-1]["message"]
    assert show(first["id"])["status"] == "resolved"  # finished work stays as it was

    # 4. the next renewal for sun's customer routes to sun's manager
    second = renewal("C1")
    assert (second["status"], second["assignee"]) == ("assigned", "zhao")
    routed = show(second["id"])["events"][1]
    assert routed["kind"] == "assigned" and "zhao" in routed["message"]

    # 5. zhao reassigns the customers and closes the task; routing follows
    ok(f"ticket accept {task_id}", as_user="zhao")
    ok("customer update C1 --consultant zhou", as_user="zhao")
    assert ok("customer reassign --from sun --to carol", as_user="zhao").out.split() == ["C3"]
    ok(f"ticket resolve {task_id} -m 'C1 to zhou, C3 to carol'", as_user="zhao")
    assert renewal("C1")["assignee"] == "zhou"
    assert renewal("C3")["assignee"] == "carol"
    # the history stays with the tickets, though sun is gone
    assert [e["actor"] for e in show(first["id"])["events"]].count("sun") >= 5


def test_departure_without_a_successor(desk):
    owned = ok("ticket open --type help --title Owned --json").json["id"]
    ok(f"ticket accept {owned}", as_user="bob")
    ok(f"ticket reply {owned} -m 'Which phone?' --wait", as_user="bob")
    to_accept = ok("ticket open --type help --title Assigned --json").json["id"]
    carols = ok("ticket open --type task --title Carols --json").json["id"]
    ok(f"ticket accept {carols}", as_user="carol")
    ok(f"ticket transfer {carols} --to bob -m 'Can you look?'", as_user="carol")
    result = ok("user deactivate bob --json")
    moved = result.json["moved"]
    assert sorted(moved["to_queue"]) == sorted([owned, to_accept])
    assert moved["to_owner"] == [carols] and moved["to_successor"] == []
    for tid in (owned, to_accept):
        t = show(tid)
        assert (t["status"], t["owner"], t["assignee"], t["handler"]) == (
            "new", None, None, None)
        e = t["events"][-1]
        assert (e["kind"], e["actor"], e["from"]) == ("departed", "alice", "bob")
    c = show(carols)
    assert (c["status"], c["owner"], c["handler"]) == ("in_progress", "carol", "carol")
    e = c["events"][-1]
    assert (e["kind"], e["from"], e["to"]) == ("transferred", "bob", "carol")
    queued = {r["id"] for r in ok("queue list --json", as_user="mgr").json}
    assert {owned, to_accept} <= queued
    # bob cannot act any more; his history stays
    result = run(f"ticket note {carols} -m hi", as_user="bob")
    assert result.code == 4, result
    assert "bob" in ok(f"ticket show {owned}").out
    assert "reassign_ticket" in ok("user deactivate carol --json").json  # no customers: None
    assert run("user deactivate bob").code == 5  # already gone


def test_departure_with_a_successor(desk):
    owned = ok("ticket open --type help --title Owned --json").json["id"]
    ok(f"ticket accept {owned}", as_user="bob")
    to_accept = ok("ticket open --type help --title Assigned --json").json["id"]
    approval = ok("ticket open --type leave --title 'Day off' --json", as_user="dan").json
    assert approval["approver"] == "lee"
    ok("user deactivate bob --to carol")
    for tid in (owned, to_accept):
        t = show(tid)
        assert (t["status"], t["assignee"], t["owner"]) == ("assigned", "carol", None)
        e = t["events"][-1]
        assert (e["kind"], e["from"], e["to"]) == ("reassigned", "bob", "carol")
        assert "to the successor carol" in e["message"]
    assert sorted(t["id"] for t in ok("dashboard --json", as_user="carol").json[
        "to_accept"]) == sorted([owned, to_accept])
    ok(f"ticket accept {owned}", as_user="carol")
    ok(f"ticket reply {owned} -m 'I took over from Bob'", as_user="carol")
    # an approver who leaves passes the approval on
    ok("user deactivate lee --to tina")
    assert show(approval["id"])["approver"] == "tina"
    ok(f"ticket approve {approval['id']}", as_user="tina")
    assert show(approval["id"])["status"] == "assigned"


def test_departure_refusals(desk):
    assert run("user deactivate bob --to bob").code in (2, 3)
    assert run("user deactivate bob --to nobody").code == 3
    assert run("user deactivate nobody").code == 3
    assert run("user deactivate bob", as_user="carol").code == 4
    assert run("user deactivate alice").code == 5  # the last admin


def test_acceptor_only_reply(desk):
    tid = ok("ticket open --type help --title 'App crashes' --customer C2 --json").json["id"]
    refused = run(f"ticket reply {tid} -m 'Hello'", as_user="bob")
    assert refused.code == 4 and "no owner yet" in refused.err
    ok(f"ticket accept {tid}", as_user="bob")
    ok(f"ticket transfer {tid} --to carol -m 'Please check the server logs'", as_user="bob")
    refused = run(f"ticket reply {tid} -m 'It was the server'", as_user="carol")
    assert refused.code == 4
    assert "only the owner (bob) may reply" in refused.err
    ok(f"ticket note {tid} -m 'It was the server; fixed'", as_user="carol")
    ok(f"ticket transfer {tid} --to bob", as_user="carol")
    refused = run(f"ticket reply {tid} -m 'Fixed'", as_user="mgr")
    assert refused.code == 4
    assert "ask bob to transfer the ticket to you" in refused.err
    ok(f"ticket reply {tid} -m 'Fixed on our side, please retry'", as_user="bob")
    public = ok(f"ticket show {tid} --public --json").json["events"]
    assert [e["kind"] for e in public] == ["opened", "reply"]
    assert public[-1]["actor"] == "bob"


def test_approval_by_a_named_approver(desk):
    tid = ok("ticket open --type purchase --title 'Projector' --json", as_user="sun").json["id"]
    t = show(tid)
    assert (t["status"], t["approver"], t["assignee"]) == ("awaiting_approval", "zhao", None)
    assert run(f"ticket accept {tid}", as_user="carol").code == 4
    assert run(f"ticket approve {tid}", as_user="mgr").code == 4
    ok(f"ticket nudge {tid} -m 'Class starts Monday'", as_user="sun")
    assert "zhao" == show(tid)["events"][-1]["to"]
    ok(f"ticket approve {tid} -m 'Within budget'", as_user="zhao")
    t = show(tid)
    assert (t["status"], t["assignee"]) == ("assigned", "carol")
    assert kinds(tid)[-2:] == ["approved", "assigned"]
    ok(f"ticket accept {tid}", as_user="carol")


def test_approval_by_the_openers_manager_and_rejection(desk):
    by_dan = ok("ticket open --type leave --title 'Day off' --json", as_user="dan").json
    assert by_dan["approver"] == "lee"
    by_bob = ok("ticket open --type leave --title 'Day off' --json", as_user="bob").json
    assert by_bob["approver"] == "mgr"
    assert run(f"ticket approve {by_dan['id']}", as_user="mgr").code == 4
    ok(f"ticket reject {by_dan['id']} -m 'Exams that week'", as_user="lee")
    t = show(by_dan["id"])
    assert (t["status"], t["resolution"]) == ("closed", "rejected: Exams that week")
    assert run(f"ticket accept {by_dan['id']}", as_user="carol").code in (4, 5)
    ok(f"ticket approve {by_bob['id']}", as_user="mgr")
    assert show(by_bob["id"])["status"] == "assigned"


def test_checklist_scenario(desk):
    tid = ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=48 "
             "--json").json["id"]
    ok(f"ticket accept {tid}", as_user="sun")
    blocked = run(f"ticket resolve {tid} -m Renewed", as_user="sun")
    assert blocked.code == 5 and "checklist steps not done" in blocked.err
    assert run(f"ticket check {tid} 1", as_user="zhao").code == 4  # not owner or handler
    ok(f"ticket transfer {tid} --to zhou", as_user="sun")
    ok(f"ticket check {tid} 1", as_user="zhou")  # the handler ticks steps too
    ok(f"ticket check {tid} 2", as_user="sun")
    t = show(tid)
    assert [(s["done"], s["done_by"]) for s in t["checklist"]] == [
        (True, "zhou"), (True, "sun")]
    ok(f"ticket resolve {tid} -m Renewed", as_user="sun")
    assert "[x] 1. Call the parent  (zhou)" in ok(f"ticket show {tid}").out


def test_merge_scenario(desk):
    first = ok("ticket open --type help --title 'Login fails' --customer C1 --json").json["id"]
    dup = ok("ticket open --type help --title 'Cannot log in' --customer C1 --cc zhao "
             "--json").json["id"]
    ok(f"ticket accept {first}", as_user="bob")
    ok(f"ticket note {dup} -m 'Same parent, second call'", as_user="carol")
    ok(f"ticket merge {dup} --into {first} -m 'Same problem'", as_user="mgr")
    d = show(dup)
    assert (d["status"], d["merged_into"]) == ("closed", first)
    assert kinds(dup) == ["opened", "assigned", "note", "merged"]
    f = show(first)
    assert f["links"]["merged"] == [dup] and "zhao" in f["cc"]
    assert f["events"][-1]["kind"] == "merged_in"
    # the merged ticket is finished: work goes on the survivor
    late = run(f"ticket accept {dup}", as_user="bob")
    assert late.code == 5 and "that is closed" in late.err
    ok(f"ticket reply {first} -m 'We are on it'", as_user="bob")


def test_customers_cannot_be_given_to_a_departed_consultant(desk):
    ok("user deactivate sun")
    for command in ("customer update C1 --consultant sun",
                    "customer add C9 --name New --consultant sun",
                    "customer reassign --from zhou --to sun"):
        result = run(command)
        assert result.code == 5, (command, result)
        assert "sun is deactivated" in result.err
    assert ok("customer show C1 --json").json["consultant"] == "sun"  # unchanged
    assert renewal("C1")["assignee"] == "zhao"  # still routed to the manager


def test_a_departure_ends_the_wait_on_the_customer(desk):
    tid = ok("ticket open --type help --title Waiting --json").json["id"]  # resolve in 1d
    ok(f"ticket accept {tid}", as_user="bob")
    ok(f"ticket reply {tid} -m 'Which phone?' --wait", as_user="bob",
       now="2026-11-28T10:00:00Z")
    ok("user deactivate bob --to carol", now="2026-11-28T16:00:00Z")
    t = show(tid)
    assert (t["status"], t["assignee"]) == ("assigned", "carol")
    # six hours waited on the customer do not count against the resolve time
    assert t["resolve_due_at"] == "2026-11-29T15:00:00Z"
    ok(f"ticket accept {tid}", as_user="carol", now="2026-11-28T17:00:00Z")
    ok(f"ticket reply {tid} -m 'Hello from Carol'", as_user="carol",
       now="2026-11-28T18:00:00Z")
    assert show(tid)["resolve_due_at"] == "2026-11-29T15:00:00Z"
