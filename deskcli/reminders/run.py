"""`remind run`, the cron entry point: nudge overdue work, escalate, auto-close, and open
the tickets schedules call for.

Safe to repeat and to overlap: tickets are handled in small write transactions, each ticket
re-read inside its transaction and changed by compare-and-set, so a second run at the same
moment finds nothing left to do and two runs at once never nudge twice. A run killed half
way keeps what it committed; the next run does the rest. `--dry-run` does all the work in
one transaction and rolls it back.
"""

import json

from deskcli import clock
from deskcli.desk import Desk
from deskcli.policy import require
from deskcli.reminders import due as reminders
from deskcli.reminders import escalation
from deskcli.store import life
from deskcli.store import people as ps
from deskcli.store import remind as rstore
from deskcli.tickets.timeline import record

BATCH = 200


class _DryRun(Exception):
    pass


def run(desk: Desk, dry_run: bool = False) -> dict:
    """Do everything that is due now; returns a summary with every action taken."""
    require(desk.actor, "ticket.manage", "run reminders")
    now = clock.now()
    summary = {"at": clock.stamp(now), "dry_run": dry_run, "nudged": 0, "escalated": 0,
               "closed": 0, "opened": 0, "errors": [], "actions": []}
    if dry_run:
        try:
            with desk.store.write():
                _run(desk, now, summary)
                raise _DryRun
        except _DryRun:
            pass
        return summary
    _run(desk, now, summary)
    return summary


def _run(desk: Desk, now, summary: dict) -> None:
    from datetime import timedelta

    with desk.store.read():  # remind_at is the exact next nudge: look ahead by the grace
        overdue = rstore.overdue_candidates(
            desk.store, clock.stamp(now + timedelta(seconds=reminders.MAX_GRACE)))
    for start in range(0, len(overdue), BATCH):
        with desk.store.write():
            for ticket_id in overdue[start:start + BATCH]:
                _chase(desk, ticket_id, now, summary)
    waiting = _ago(now, desk.setting("autoclose.waiting"))
    resolved = _ago(now, desk.setting("autoclose.resolved"))
    if waiting or resolved:
        with desk.store.read():
            stale = rstore.autoclose_candidates(desk.store, waiting, resolved)
        for start in range(0, len(stale), BATCH):
            with desk.store.write():
                for ticket_id in stale[start:start + BATCH]:
                    _autoclose(desk, ticket_id, now, summary)
    from deskcli.reminders.schedules import run_due

    run_due(desk, now, summary)


def _ago(now, duration: str | None) -> str | None:
    if not duration:
        return None
    from datetime import timedelta

    return clock.stamp(now - timedelta(seconds=clock.parse_duration(duration)))


def _stamp(text):
    return clock.parse_stamp(text) if text else None


def _chase(desk: Desk, ticket_id: int, now, summary: dict) -> None:
    """Nudge and escalate one overdue ticket, re-checked inside the transaction."""
    from deskcli.tickets.life import must_act

    db = desk.store
    row = life.raw(db, ticket_id)
    late = reminders.overdue(row["status"], _stamp(row["accept_due_at"]),
                             _stamp(row["resolve_due_at"]), now)
    if late is None:
        return
    clock_name, due = late
    policy = rstore.type_policy(db, row["type_id"])
    at = clock.stamp(now)
    target = must_act(db, row)
    nudges, events, changes = row["nudges"], [], {}
    if reminders.should_nudge(due, _stamp(row["last_nudged_at"]), policy["nudge_every"], now):
        nudges += 1
        changes.update(nudges=nudges, last_nudged_at=at)
        reason = f"not {'accepted' if clock_name == 'accept' else 'resolved'} by " \
                 f"{clock.stamp(due)}"
        events.append((ticket_id, at, None, "nudged", None, target, reason, "internal",
                       json.dumps({"count": nudges, "auto": True, "clock": clock_name})))
        summary["nudged"] += 1
        summary["actions"].append({"ticket": ticket_id, "action": "nudged", "to": target,
                                   "reason": reason})
    level = reminders.escalation_level(nudges, row["escalations"], policy["escalate_after"])
    person = _person_id(db, row, target)
    if level is not None:
        steps = escalation.ladder(db, person) if person is not None else []
        reached = min(level, len(steps))
        if reached > row["escalations"]:
            step = steps[reached - 1]
            to = ",".join(step["to"])
            message = f"{nudges} reminders without action: escalated to {step['words']}"
            events.append((ticket_id, at, None, "escalated", target, to, message, "internal",
                           json.dumps({"level": reached, "nudges": nudges,
                                       "via": step["via"], "to": step["to"]})))
            summary["escalated"] += 1
            summary["actions"].append({"ticket": ticket_id, "action": "escalated",
                                       "to": to, "reason": message})
        elif not steps and person is not None and row["escalations"] == 0:
            message = (f"{nudges} reminders without action: nobody to escalate to ({target} "
                       "has no manager, department head or fellow admin)")
            events.append((ticket_id, at, None, "escalated", target, None, message,
                           "internal", json.dumps({"level": 0, "nudges": nudges})))
            summary["actions"].append({"ticket": ticket_id, "action": "not escalated",
                                       "to": None, "reason": message})
        # the top of the chain (or nobody to escalate for): remember the level, so the
        # ticket is not looked at again until its next nudge is due
        changes["escalations"] = level
    if not changes:
        return
    changes["updated_at"] = at
    expect = {"nudges": row["nudges"], "escalations": row["escalations"],
              "last_nudged_at": row["last_nudged_at"]}
    if life.update(db, ticket_id, changes, expect):
        record(desk, events)


def _person_id(db, row, login: str | None) -> int | None:
    if login is None:
        return None
    found = ps.user_by_login(db, login)
    return found["id"] if found else None


def _autoclose(desk: Desk, ticket_id: int, now, summary: dict) -> None:
    db = desk.store
    row = life.raw(db, ticket_id)
    at = clock.stamp(now)
    if row["status"] == "waiting":
        after = clock.parse_duration(desk.setting("autoclose.waiting"))
        if not reminders.autoclose_due(_stamp(row["waiting_since"]), after, now):
            return
        why = f"closed automatically: no answer from the customer for " \
              f"{clock.format_duration(after)}"
    elif row["status"] == "resolved":
        after = clock.parse_duration(desk.setting("autoclose.resolved"))
        if not reminders.autoclose_due(_stamp(row["resolved_at"]), after, now):
            return
        why = f"closed automatically {clock.format_duration(after)} after it was resolved"
    else:
        return
    changes = {"status": "closed", "closed_at": at, "waiting_since": None, "updated_at": at}
    if row["status"] == "waiting":
        from deskcli.tickets.life import end_wait

        changes.update(end_wait(desk, row, now))
    if life.update(db, ticket_id, changes, {"status": row["status"]}):
        record(desk, [(ticket_id, at, None, "closed", row["status"], "closed", why, "public",
                       json.dumps({"auto": True}))])
        summary["closed"] += 1
        summary["actions"].append({"ticket": ticket_id, "action": "closed", "to": None,
                                   "reason": why})
