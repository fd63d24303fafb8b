"""`deskcli remind run`, the cron entry point, in scenarios driven by DESKCLI_NOW: overdue
acceptance and resolution, repeated nudges, escalation up the chain, manual nudges, the
waiting pause, business hours and holidays, auto-close, schedules; and the safety of cron:
a second run, runs at once, a run killed half way, silence, --dry-run.

The tests' moment (conftest.NOW) is Saturday 2026-11-28 09:00 UTC.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import db_count, ok, query, run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def chase(life_desk):
    """The ticket-life desk (dan reports to lee, who reports to tina) with a type that is
    chased: accept within 1h, resolve within 4h, nudge every 2h, escalate after 2 nudges."""
    ok("type add chase --name Chase --route user:dan --accept-within 1h --resolve-within 4h "
       "--nudge-every 2h --escalate-after 2")
    for login in ("dan", "lee", "tina", "mgr"):
        ok(f"user update {login} --email {login}@example.com")
    ok("config set mail.from 'Help desk <desk@school.example>'")
    return life_desk


def remind(at: str, *args) -> dict:
    return ok("remind", "run", "--json", *args, now=at).json


def kinds(ticket_id: int, *wanted: str) -> list[dict]:
    return [e for e in ok(f"ticket show {ticket_id} --json").json["events"]
            if e["kind"] in wanted]


def ticket(ticket_id: int) -> dict:
    return ok(f"ticket show {ticket_id} --json").json


def notices(template: str) -> list[dict]:
    return [r for r in ok("outbox list --limit 0 --json").json if r["template"] == template]


# --- overdue work -------------------------------------------------------------------------

def test_overdue_acceptance_nudges_the_assignee(chase):
    ok("ticket open --type chase --title 'Call the parent'")
    assert remind("2026-11-28T09:59:59Z")["nudged"] == 0
    summary = remind("2026-11-28T10:00:00Z")
    assert summary["nudged"] == 1
    assert summary["actions"] == [{"ticket": 1, "action": "nudged", "to": "dan",
                                   "reason": "not accepted by 2026-11-28T10:00:00Z"}]
    (nudge,) = kinds(1, "nudged")
    assert nudge["actor"] is None and nudge["to"] == "dan"
    assert nudge["data"] == {"count": 1, "auto": True, "clock": "accept"}
    assert [n["to"] for n in notices("nudged")] == [["dan@example.com"]]
    assert ticket(1)["nudges"] == 1


def test_nudges_repeat_and_escalate_up_the_chain(chase):
    ok("ticket open --type chase --title 'Call the parent'")
    timeline = [("2026-11-28T10:00:00Z", 1, 0), ("2026-11-28T11:00:00Z", 1, 0),
                ("2026-11-28T12:00:00Z", 2, 1), ("2026-11-28T13:59:00Z", 2, 1),
                ("2026-11-28T14:00:00Z", 3, 1), ("2026-11-28T16:00:00Z", 4, 2)]
    for at, nudges, escalations in timeline:
        remind(at)
        assert (len(kinds(1, "nudged")), len(kinds(1, "escalated"))) == (nudges, escalations), at
    first, second = kinds(1, "escalated")
    assert (first["from"], first["to"], first["at"]) == ("dan", "lee", "2026-11-28T12:00:00Z")
    assert (second["from"], second["to"]) == ("dan", "tina")  # the manager's manager
    escalated = notices("escalated")
    assert sorted((n["to"], n["cc"]) for n in escalated) == [
        (["lee@example.com"], ["dan@example.com"]), (["tina@example.com"], ["dan@example.com"])]
    # the top of the chain: no more escalations, and no error
    summary = remind("2026-11-28T20:00:00Z")
    assert summary["escalated"] == 0 and summary["errors"] == []


def test_manual_nudges_count_toward_escalation(chase):
    ok("ticket open --type chase --title T")
    remind("2026-11-28T10:00:00Z")
    ok("ticket nudge 1 -m 'The parent called again'", as_user="mgr",
       now="2026-11-28T10:30:00Z")
    summary = remind("2026-11-28T10:31:00Z")
    assert summary["nudged"] == 0 and summary["escalated"] == 1  # 1 automatic + 1 manual
    assert kinds(1, "escalated")[0]["to"] == "lee"
    # the next automatic nudge waits nudge-every after the manual one
    assert remind("2026-11-28T12:00:00Z")["nudged"] == 0
    assert remind("2026-11-28T12:30:00Z")["nudged"] == 1


def test_overdue_resolution_nudges_the_handler(chase):
    ok("ticket open --type chase --title T")
    ok("ticket accept 1", as_user="dan")
    ok("ticket transfer 1 --to lee", as_user="dan")
    assert remind("2026-11-28T12:59:00Z")["nudged"] == 0
    summary = remind("2026-11-28T13:00:00Z")
    assert summary["actions"][0]["to"] == "lee"
    assert kinds(1, "nudged")[0]["data"]["clock"] == "resolve"


def test_waiting_on_the_customer_pauses_the_resolve_clock(chase):
    ok("ticket open --type chase --title T --customer C1")
    ok("ticket accept 1", as_user="dan")
    assert ticket(1)["resolve_due_at"] == "2026-11-28T13:00:00Z"
    ok("ticket reply 1 -m 'Which centre?' --wait", as_user="dan", now="2026-11-28T10:00:00Z")
    assert remind("2026-11-28T14:00:00Z")["nudged"] == 0  # waiting: never overdue
    ok("ticket reply 1 -m 'Thanks, checking'", as_user="dan", now="2026-11-28T15:00:00Z")
    assert ticket(1)["resolve_due_at"] == "2026-11-28T18:00:00Z"  # five hours later
    assert remind("2026-11-28T17:59:00Z")["nudged"] == 0
    assert remind("2026-11-28T18:00:00Z")["nudged"] == 1


def test_business_hours_and_holidays(chase):
    ok("config set business-hours 'Mon-Fri 09:00-18:00'")
    ok("holiday add 2026-11-30 --name 'Closed'")
    ok("ticket open --type chase --title T")  # Saturday 09:00
    t = ticket(1)
    # one working hour after Saturday morning, Monday a holiday: Tuesday 10:00
    assert t["accept_due_at"] == "2026-12-01T10:00:00Z"
    assert t["resolve_due_at"] == "2026-12-01T13:00:00Z"
    assert remind("2026-11-30T17:00:00Z")["nudged"] == 0
    assert remind("2026-12-01T10:00:00Z")["nudged"] == 1


def test_business_hours_count_the_waiting_pause_in_working_time(chase):
    ok("config set business-hours 'Mon-Fri 09:00-18:00'")
    ok("ticket open --type chase --title T --customer C1", now="2026-11-30T09:00:00Z")
    ok("ticket accept 1", as_user="dan", now="2026-11-30T09:00:00Z")
    assert ticket(1)["resolve_due_at"] == "2026-11-30T13:00:00Z"
    ok("ticket reply 1 -m 'Which?' --wait", as_user="dan", now="2026-11-30T17:00:00Z")
    # waiting from Monday 17:00 to Tuesday 10:00 is two working hours, not seventeen
    ok("ticket reply 1 -m 'OK'", as_user="dan", now="2026-12-01T10:00:00Z")
    assert ticket(1)["resolve_due_at"] == "2026-11-30T15:00:00Z"


# --- auto-close ---------------------------------------------------------------------------

def test_auto_close_of_waiting_tickets_tells_the_customer(chase):
    ok("config set autoclose.waiting 3d")
    ok("ticket open --type chase --title 'Login' --customer C1")
    ok("ticket accept 1", as_user="dan")
    ok("ticket reply 1 -m 'Does it work now?' --wait", as_user="dan",
       now="2026-11-28T10:00:00Z")
    assert remind("2026-12-01T09:59:00Z")["closed"] == 0
    summary = remind("2026-12-01T10:00:00Z")
    assert summary["closed"] == 1
    t = ticket(1)
    assert t["status"] == "closed"
    (closed,) = kinds(1, "closed")
    assert closed["actor"] is None and closed["visibility"] == "public"
    assert "no answer from the customer for 3d" in closed["message"]
    assert [n["to"] for n in notices("customer_closed")] == [["zw@example.com"]]


def test_auto_close_of_resolved_tickets(chase):
    ok("config set autoclose.resolved 2d")
    ok("ticket open --type chase --title 'Login' --customer C1")
    ok("ticket accept 1", as_user="dan")
    ok("ticket resolve 1 -m 'Reset the password'", as_user="dan")
    assert remind("2026-11-30T08:59:00Z")["closed"] == 0
    assert remind("2026-11-30T09:00:00Z")["closed"] == 1
    assert ticket(1)["status"] == "closed"
    assert [n["to"] for n in notices("customer_closed")] == [["zw@example.com"]]


# --- schedules ----------------------------------------------------------------------------

def test_a_monthly_schedule_opens_its_ticket_once(chase):
    ok("schedule add parent-meeting --type task --title 'Parent meeting {month}' "
       "--every 'monthly 1 09:00'")
    assert ok("schedule list --json").json[0]["next_run_at"] == "2026-12-01T09:00:00Z"
    assert remind("2026-12-01T08:59:00Z")["opened"] == 0
    summary = remind("2026-12-01T09:00:00Z")
    assert summary["opened"] == 1
    (opened,) = ok("ticket list --type task --json").json
    assert opened["title"] == "Parent meeting 2026-12"
    assert ticket(opened["id"])["source"] == "schedule:parent-meeting"
    assert remind("2026-12-01T09:00:00Z")["opened"] == 0
    assert ok("schedule list --json").json[0]["next_run_at"] == "2027-01-01T09:00:00Z"


def test_weekly_and_cron_line_schedules(chase):
    ok("schedule add check --type task --title 'Safety check {week}' --every 'weekly mon 08:30'")
    ok("schedule add calls --type task --title 'Renewal calls {date}' --every '0 9 * * 1-5'")
    nexts = {s["key"]: s["next_run_at"] for s in ok("schedule list --json").json}
    assert nexts == {"check": "2026-11-30T08:30:00Z", "calls": "2026-11-30T09:00:00Z"}
    assert remind("2026-11-30T09:00:00Z")["opened"] == 2
    titles = sorted(t["title"] for t in ok("ticket list --type task --json").json)
    assert titles == ["Renewal calls 2026-11-30", "Safety check 2026-W49"]


def test_cron_line_days_follow_cron_when_a_day_field_starts_with_a_star(chase):
    # as cron (and cronsim, checked on 15,000 random lines): a day of month OR a weekday
    # when both are restricted; both when either starts with '*', even as '*/10'
    ok("schedule add both --type task --title 'Tenth Monday' --every '0 9 */10 * 1'")
    ok("schedule add either --type task --title 'First or Monday' --every '0 9 1,15 * 1'")
    nexts = {s["key"]: s["next_run_at"] for s in ok("schedule list --json").json}
    assert nexts == {"both": "2026-12-21T09:00:00Z", "either": "2026-11-30T09:00:00Z"}


def test_a_missed_period_opens_one_ticket(chase):
    ok("schedule add parent-meeting --type task --title 'Parent meeting {month}' "
       "--every monthly")
    summary = remind("2027-03-15T12:00:00Z")  # cron did not run for months
    assert summary["opened"] == 1
    assert len(ok("ticket list --type task --json").json) == 1
    assert ok("schedule list --json").json[0]["next_run_at"] == "2027-04-01T09:00:00Z"


def test_schedule_times_follow_the_desk_time_zone(chase):
    ok("config set timezone Asia/Shanghai")
    ok("schedule add daily --type task --title 'Morning check {date}' --every 'daily 08:00'")
    assert ok("schedule list --json").json[0]["next_run_at"] == "2026-11-29T00:00:00Z"


# --- safe for cron ------------------------------------------------------------------------

def test_a_second_run_at_the_same_moment_does_nothing(chase):
    ok("config set autoclose.waiting 1d")
    ok("ticket open --type chase --title A")
    ok("ticket open --type chase --title B --customer C1")
    ok("ticket accept 2", as_user="dan")
    ok("ticket reply 2 -m x --wait", as_user="dan")
    ok("schedule add s --type task --title S --every daily")
    at = "2026-11-29T09:30:00Z"
    first = remind(at)
    assert (first["nudged"], first["closed"], first["opened"]) == (1, 1, 1)
    events, outbox = db_count(chase, "events"), db_count(chase, "outbox")
    second = remind(at)
    assert (second["nudged"], second["escalated"], second["closed"], second["opened"]) == \
        (0, 0, 0, 0)
    assert second["actions"] == []
    assert (db_count(chase, "events"), db_count(chase, "outbox")) == (events, outbox)


def cli(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "deskcli", *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_runs_at_once_never_nudge_twice(chase):
    for n in range(25):
        ok(f"ticket open --type chase --title T{n}")
    env = {"DESKCLI_USER": "alice", "DESKCLI_NOW": "2026-11-28T12:00:00Z"}
    runs = [cli("remind", "run", "--json", env=env) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in runs]
    assert all(p.returncode == 0 for p in runs), outputs
    summaries = [json.loads(out) for out, _ in outputs]
    assert sum(s["nudged"] for s in summaries) == 25
    assert sum(s["escalated"] for s in summaries) == 0
    for n in range(1, 26):
        assert len(kinds(n, "nudged")) == 1
    assert len(notices("nudged")) == 25


def test_a_run_killed_half_way_loses_nothing(chase, monkeypatch):
    import deskcli.reminders.run

    for n in range(5):
        ok(f"ticket open --type chase --title T{n}")
    monkeypatch.setattr(deskcli.reminders.run, "BATCH", 2)
    real = deskcli.reminders.run._chase

    def dies_on_the_fourth(desk, ticket_id, now, summary):
        if ticket_id == 4:
            raise KeyboardInterrupt  # the process is killed here
        return real(desk, ticket_id, now, summary)

    monkeypatch.setattr(deskcli.reminders.run, "_chase", dies_on_the_fourth)
    result = run("remind run", now="2026-11-28T10:00:00Z")
    assert result.code == 130
    done = [n for n in range(1, 6) if kinds(n, "nudged")]
    assert done == [1, 2]  # the first batch was committed, the second rolled back
    monkeypatch.setattr(deskcli.reminders.run, "_chase", real)
    summary = remind("2026-11-28T10:05:00Z")
    assert summary["nudged"] == 3  # the next run does the rest
    assert [len(kinds(n, "nudged")) for n in range(1, 6)] == [1] * 5


def test_silent_unless_verbose(chase):
    ok("ticket open --type chase --title T")
    ok("ticket open --type chase --title U")
    quiet = ok("remind run", now="2026-11-28T10:00:00Z")
    assert quiet.out == "" and quiet.err == ""
    loud = ok("remind run -v", now="2026-11-28T12:00:00Z")
    assert loud.out == ""
    assert "#1: nudged → dan (not accepted by 2026-11-28 10:00 (UTC))" in loud.err
    assert "#1: escalated → lee" in loud.err
    assert "nudged 2, escalated 2, closed 0, opened 0" in loud.err
    assert ok("remind run -v", now="2026-11-28T12:00:00Z").err == \
        "nudged 0, escalated 0, closed 0, opened 0\n"


def test_dry_run_changes_nothing(chase):
    ok("config set autoclose.waiting 1d")
    ok("ticket open --type chase --title T")
    ok("schedule add s --type task --title S --every daily")
    events, outbox, tickets = (db_count(chase, t) for t in ("events", "outbox", "tickets"))
    result = ok("remind run --dry-run", now="2026-11-29T10:00:00Z")
    assert "#1: would have nudged → dan" in result.err
    assert "would have nudged 1" in result.err
    summary = remind("2026-11-29T10:00:00Z", "--dry-run")
    assert summary["dry_run"] and summary["nudged"] == 1 and summary["opened"] == 1
    assert (db_count(chase, "events"), db_count(chase, "outbox"),
            db_count(chase, "tickets")) == (events, outbox, tickets)
    assert ok("schedule list --json").json[0]["last_run_at"] is None
    assert remind("2026-11-29T10:00:00Z")["nudged"] == 1  # the real run still does it


def test_the_queue_nudges_the_dispatchers(chase):
    ok("type add triage --name Triage --route manual --accept-within 1h --escalate-after 1")
    ok("config set queue.dispatchers mgr")
    ok("ticket open --type triage --title 'Anyone?'")
    summary = remind("2026-11-28T10:00:00Z")
    assert summary["nudged"] == 1 and summary["escalated"] == 0
    assert [n["to"] for n in notices("nudged")] == [["mgr@example.com"]]


def test_remind_run_needs_a_manager(chase):
    result = run("remind run", as_user="dan")
    assert result.code == 4 and "ticket.manage" in result.err


# --- remind_at: what a run looks at -------------------------------------------------------

def remind_at(path, ticket_id: int):
    return query(path, "SELECT remind_at FROM tickets WHERE id = ?", (ticket_id,))[0][0]


def test_nudges_piled_up_between_runs_escalate_once_to_the_level_they_call_for(chase):
    ok("ticket open --type chase --title 'Piled up'")
    for _ in range(4):  # four manual nudges before any run: two escalation levels due
        ok("ticket nudge 1", as_user="mgr")
    first = remind("2026-11-28T10:00:00Z")
    assert [(a["action"], a["to"]) for a in first["actions"]] == [("nudged", "dan"),
                                                                   ("escalated", "tina")]
    assert remind("2026-11-28T10:00:00Z")["actions"] == []  # and not again
    assert len(kinds(1, "escalated")) == 1


def test_remind_at_follows_the_ticket(chase):
    path = chase
    ok("ticket open --type chase --title 'Follow me'")
    assert remind_at(path, 1) == "2026-11-28T10:00:00Z"  # the accept due time
    remind("2026-11-28T10:00:00Z")
    assert remind_at(path, 1) == "2026-11-28T12:00:00Z"  # the next nudge
    ok("ticket accept 1", as_user="dan", now="2026-11-28T10:30:00Z")
    assert remind_at(path, 1) == ticket(1)["resolve_due_at"]
    ok("ticket reply 1 -m wait --wait", as_user="dan", now="2026-11-28T10:40:00Z")
    assert remind_at(path, 1) is None  # waiting on the customer: nothing to chase
    ok("ticket close 1", as_user="dan", now="2026-11-28T10:50:00Z")
    assert remind_at(path, 1) is None


def test_changing_a_types_nudge_policy_reschedules_its_open_tickets(chase):
    path = chase
    ok("ticket open --type chase --title 'Policy'")
    remind("2026-11-28T10:00:00Z")
    assert remind_at(path, 1) == "2026-11-28T12:00:00Z"
    ok("type update chase --nudge-every 30m")
    assert remind_at(path, 1) == "2026-11-28T10:30:00Z"
    ok("type update chase --nudge-every none")
    assert remind_at(path, 1) is None


# --- escalation when the person who must act has no manager (issue 13, point 12) ----------

@pytest.fixture
def headless(chase):
    """tina (teaching, no manager) gets the chased tickets; escalate after 2 nudges."""
    ok("type add top --name Top --route user:tina --accept-within 1h --nudge-every 1h "
       "--escalate-after 2")
    for login in ("tina", "alice", "zhao"):
        ok(f"user update {login} --email {login}@example.com")
    return chase


def escalate_once(as_user: str = "alice") -> dict:
    ok("ticket open --type top --title 'Room keys'", as_user=as_user)
    for at in ("2026-11-28T10:00:00Z", "2026-11-28T11:00:00Z"):
        summary = ok("remind run --json", now=at, as_user=as_user).json
    return summary


def test_no_manager_escalates_to_the_department_head(headless):
    ok("user add hank --name 'Hank Head' --dept teaching --email hank@example.com")
    ok("dept update teaching --head hank")
    summary = escalate_once()
    assert summary["escalated"] == 1
    (event,) = kinds(1, "escalated")
    assert (event["from"], event["to"]) == ("tina", "hank")
    assert event["data"] == {"level": 1, "nudges": 2, "via": "dept_head", "to": ["hank"]}
    assert event["message"] == "2 reminders without action: escalated to hank, head of teaching"
    (notice,) = notices("escalated")
    assert (notice["to"], notice["cc"]) == (["hank@example.com"], ["tina@example.com"])
    assert "the head of their department" in ok(f"outbox show {notice['id']}").out
    # one level only: more nudges do not escalate again
    assert remind("2026-11-28T15:00:00Z")["escalated"] == 0
    assert len(kinds(1, "escalated")) == 1


def test_the_head_themselves_escalates_to_the_admins(headless):
    ok("dept update teaching --head tina")  # the round-robin gave the head the ticket
    ok("user add root2 --name 'Second Admin' --role admin --email root2@example.com")
    summary = escalate_once()
    assert summary["escalated"] == 1
    (event,) = kinds(1, "escalated")
    assert (event["from"], event["to"]) == ("tina", "alice,root2")
    assert event["data"]["via"] == "admins" and event["data"]["to"] == ["alice", "root2"]
    assert "escalated to the desk's admins (alice, root2)" in event["message"]
    (notice,) = notices("escalated")
    assert notice["to"] == ["alice@example.com", "root2@example.com"]
    assert "an admin of the desk" in ok(f"outbox show {notice['id']}").out
    assert summary["actions"][-1]["to"] == "alice,root2"


def test_no_department_escalates_to_the_admins(headless):
    ok("user update tina --dept none")
    escalate_once()
    (event,) = kinds(1, "escalated")
    assert event["to"] == "alice" and event["data"]["via"] == "admins"


def test_a_manager_still_comes_first(headless):
    ok("user add hank --name 'Hank Head' --dept teaching")
    ok("dept update teaching --head hank")
    ok("user update tina --manager mgr")
    escalate_once()
    (event,) = kinds(1, "escalated")
    assert event["to"] == "mgr" and event["data"]["via"] == "manager"


def test_nobody_to_escalate_to_is_recorded_not_silent(headless):
    ok("user update tina --role admin")
    ok("user update alice --role agent", as_user="tina")  # tina is now the only admin
    summary = escalate_once(as_user="tina")
    assert summary["escalated"] == 0
    assert summary["actions"][-1]["action"] == "not escalated"
    shown = ok("ticket show 1 --json", as_user="tina").json
    (event,) = [e for e in shown["events"] if e["kind"] == "escalated"]
    assert event["to"] is None and "nobody to escalate to" in event["message"]
    assert not [n for n in ok("outbox list --json --limit 0", as_user="tina").json
                if n["template"] == "escalated"]
    ok("remind run", now="2026-11-28T15:00:00Z", as_user="tina")
    shown = ok("ticket show 1 --json", as_user="tina").json
    assert [e["kind"] for e in shown["events"]].count("escalated") == 1  # said once


# --- cron's jitter ------------------------------------------------------------------------

@pytest.fixture
def every_minute(chase):
    """A type nudged every minute, as often as cron runs `remind run` here; ticket 1 is due
    at 10:00 and nudged then."""
    ok("type add minute --name Minute --route user:dan --accept-within 1h --nudge-every 1m")
    ok("ticket open --type minute --title 'Call back'")
    assert remind("2026-11-28T10:00:00Z")["nudged"] == 1
    return chase


def test_a_run_that_starts_late_does_not_skip_the_next_nudge(every_minute):
    at = ["2026-11-28T10:01:01Z", "2026-11-28T10:02:00Z", "2026-11-28T10:03:00Z"]
    assert [remind(moment)["nudged"] for moment in at] == [1, 1, 1]
    assert [e["at"] for e in kinds(1, "nudged")] == ["2026-11-28T10:00:00Z", *at]


def test_a_repeat_nudge_is_never_more_than_the_grace_early(every_minute):
    assert remind("2026-11-28T10:00:54Z")["nudged"] == 0  # 6 s early: a tenth of 1m
    assert remind("2026-11-28T10:00:55Z")["nudged"] == 1
    assert remind("2026-11-28T10:01:01Z")["nudged"] == 0  # a second run in the same minute


def test_cron_with_jitter_nudges_once_in_every_period(every_minute):
    import random

    rng = random.Random(7)
    minutes = 20
    for minute in range(1, minutes + 1):
        start = 3600 + minute * 60 + rng.choice([0, 0, 1, 2, 5])  # seconds after 09:00
        runs = [start] + ([start + rng.randint(1, 50)] if rng.random() < 0.4 else [])
        for second in runs:  # cron's run, sometimes one more by hand in the same minute
            hours, rest = divmod(second, 3600)
            remind(f"2026-11-28T{9 + hours:02}:{rest // 60:02}:{rest % 60:02}Z")
    stamps = [e["at"] for e in kinds(1, "nudged")]
    periods = [stamp[:16] for stamp in stamps]  # the minute each nudge was made in
    assert len(stamps) == minutes + 1 and len(set(periods)) == minutes + 1


def test_a_period_longer_than_cron_drifts_by_less_than_a_minute(chase):
    ok("ticket open --type chase --title T")  # due 10:00, nudged every 2h
    for minute in range(0, 5 * 60, 5):  # cron every five minutes, a few seconds late
        remind(f"2026-11-28T{10 + minute // 60:02}:{minute % 60:02}:03Z")
    assert [e["at"][11:16] for e in kinds(1, "nudged")] == ["10:00", "12:00", "14:00"]
