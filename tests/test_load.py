"""The per-assignee open-ticket counters (migration m008) stay equal to a real count
through every way a ticket moves, so least-loaded routing can trust them."""

from conftest import ok, query

COUNTED = "('assigned', 'in_progress', 'waiting')"


def counters(path) -> tuple[dict, dict]:
    kept = {r[0]: r[1] for r in query(path, "SELECT user_id, open FROM assignee_load")
            if r[1]}
    real = {r[0]: r[1] for r in query(path,
        f"SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IS NOT NULL "
        f"AND status IN {COUNTED} GROUP BY assignee_id")}
    return kept, real


def test_counters_follow_every_move(desk):
    crash = "--field phone_model=X --field os=iOS"
    ids = [ok(f"ticket open --type crash --title T{i} {crash}").out.strip() for i in range(6)]
    kept, real = counters(desk)
    assert kept == real and sum(real.values()) == 6
    first, second, third, fourth, fifth, sixth = ids
    who = ok(f"ticket show {first} --json").json["assignee"]
    ok(f"ticket accept {first}", as_user=who)
    ok(f"ticket reply {first} -m wait --wait", as_user=who)
    ok(f"ticket assign {second} --to carol")
    ok(f"ticket close {third}")
    ok(f"ticket reopen {third} -m again")
    assignee = ok(f"ticket show {fourth} --json").json["assignee"]
    ok(f"ticket decline {fourth} -m no", as_user=assignee)
    ok(f"ticket assign {fifth} --to bob")
    ok(f"ticket accept {fifth}", as_user="bob")
    ok(f"ticket resolve {fifth} -m done", as_user="bob")
    ok(f"ticket merge {sixth} --into {first}")
    ok("user deactivate carol --to bob")
    kept, real = counters(desk)
    assert kept == real


def test_least_loaded_routing_uses_them(desk):
    crash = "--field phone_model=X --field os=iOS"
    assignees = [ok(f"ticket open --type crash --title T{i} {crash} --json").json["assignee"]
                 for i in range(6)]
    # support has mgr, bob and carol: six tickets spread two each
    assert sorted(assignees) == ["bob", "bob", "carol", "carol", "mgr", "mgr"]


def test_a_bulk_import_counts_once_and_keeps_counting_after(desk, tmp_path):
    import json

    lines = [json.dumps({"type": "crash", "title": f"T{i}",
                         "fields": {"phone_model": "X", "os": "iOS"}}) for i in range(30)]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    ok(f"ticket import {tmp_path / 'in.jsonl'}")
    kept, real = counters(desk)
    assert kept == real and sum(real.values()) == 30
    ok("ticket open --type crash --title after --field phone_model=X --field os=iOS")
    kept, real = counters(desk)
    assert kept == real and sum(real.values()) == 31  # the trigger is back


def test_a_failed_import_leaves_the_counting_trigger_in_place(desk, tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"type": "crash", "title": "ok", "fields": '
                                        '{"phone_model": "X", "os": "iOS"}}\n{"type": "nope"}\n')
    from conftest import run

    assert run(f"ticket import {tmp_path / 'bad.jsonl'}").code != 0
    ok("ticket open --type crash --title after --field phone_model=X --field os=iOS")
    kept, real = counters(desk)
    assert kept == real and sum(real.values()) == 1
