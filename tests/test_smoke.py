from conftest import ok, run


def test_seeded_desk_opens_and_lists_a_ticket(desk):
    opened = ok("ticket open --type crash --title 'App closes' --customer C1 "
                "--field phone_model='iPhone 15' --field os=iOS --field app_version=3.2 --json")
    ticket = opened.json
    assert ticket["status"] == "assigned"
    assert ticket["assignee"] in ("bob", "carol", "mgr", "alice")
    assert ticket["cc"] == ["zhao"]
    assert ticket["accept_due_at"] == "2026-11-28T11:00:00Z"
    listed = ok("ticket list --json").json
    assert [t["id"] for t in listed] == [ticket["id"]]
    assert run("ticket show 99").code == 3
