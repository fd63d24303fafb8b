"""`customer show` lists the customer's tickets (issue 13, point 11, 我的提问): the open
ones and the latest resolved or closed, each with its status and who is handling it, in
text and JSON, and only those the person asking may see."""

from conftest import ok, run


def opened(customer="C1", title="Question") -> int:
    return ok(f"ticket open --type q --customer {customer} --title '{title}' --json").json["id"]


def setup_tickets() -> dict:
    ok("type add q --name Question --route manual")
    t = {name: opened(title=name) for name in ("queued", "assigned", "working", "moved",
                                                "done")}
    other = opened("C2", "Not for C1")
    ok(f"ticket assign {t['assigned']} --to bob")
    for name in ("working", "moved", "done"):
        ok(f"ticket assign {t[name]} --to bob")
        ok(f"ticket accept {t[name]}", as_user="bob")
    ok(f"ticket transfer {t['moved']} --to carol", as_user="bob")
    ok(f"ticket resolve {t['done']} -m Fixed", as_user="bob", now="2026-11-28T10:00:00Z")
    return {**t, "other": other}


def test_customer_show_lists_open_and_recent_tickets_with_who_handles_them(seeded_desk):
    t = setup_tickets()
    shown = ok("customer show C1 --json").json
    assert shown["key"] == "C1" and shown["name"] == "Zhang Wei"
    assert [(r["id"], r["status"], r["handled_by"]) for r in shown["open_tickets"]] == [
        (t["moved"], "in_progress", "carol"), (t["working"], "in_progress", "bob"),
        (t["assigned"], "assigned", "bob"), (t["queued"], "new", None)]
    moved = shown["open_tickets"][0]
    assert (moved["owner"], moved["title"], moved["type"]) == ("bob", "moved", "q")
    assert [(r["id"], r["status"], r["handled_by"]) for r in shown["recent_tickets"]] == [
        (t["done"], "resolved", "bob")]
    assert t["other"] not in {r["id"] for r in shown["open_tickets"] + shown["recent_tickets"]}
    text = ok("customer show C1").out
    assert "Open tickets:" in text and "Recent (last 5 resolved or closed):" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line[:1].isdigit()}
    assert "carol" in lines[str(t["moved"])] and "bob (to accept)" in lines[str(t["assigned"])]
    assert "(queue)" in lines[str(t["queued"])] and "resolved" in lines[str(t["done"])]
    # csv stays one row of the customer
    assert ok("customer show C1 --format csv").out.splitlines()[0].startswith("key,name,")


def test_a_customer_without_tickets_says_so(seeded_desk):
    shown = ok("customer show C2 --json").json
    assert shown["open_tickets"] == [] and shown["recent_tickets"] == []
    text = ok("customer show C2").out
    assert "no open tickets" in text and "none resolved or closed yet" in text


def test_recent_is_the_latest_five_resolved_or_closed(seeded_desk):
    ok("type add q --name Question --route manual")
    ids = [opened(title=f"n{i}") for i in range(7)]
    for i, tid in enumerate(ids):
        ok(f"ticket close {tid} -m Duplicate", now=f"2026-11-28T1{i}:00:00Z")
    recent = ok("customer show C1 --json").json["recent_tickets"]
    assert [r["id"] for r in recent] == ids[::-1][:5]
    assert {r["status"] for r in recent} == {"closed"}


def test_only_tickets_the_asker_may_see_are_listed(seeded_desk):
    t = setup_tickets()
    ok("config set visibility department")
    seen = ok("customer show C1 --json", as_user="sun").json  # sun works in sales
    ids = {r["id"] for r in seen["open_tickets"] + seen["recent_tickets"]}
    assert ids == {t["queued"]}  # the queue is everyone's; bob's and carol's are support's
    assert run("customer show C1", as_user="sun").code == 0
