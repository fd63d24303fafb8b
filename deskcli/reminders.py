"""What is due at a given moment. Pure rules, no I/O.

A ticket is overdue when it is not accepted by accept_due_at (status new or assigned) or
not resolved by resolve_due_at (status in_progress; time spent waiting on the customer
moves that due time, so waiting tickets are never overdue). An overdue ticket is nudged
once when it becomes overdue, then every `nudge_every` of its type. Every nudge counts,
manual ones too: after `escalate_after` nudges it is escalated to the manager of whoever
must act, after twice as many to that manager's manager, and so on up the chain.
"""

from datetime import datetime, timedelta

ACCEPT = "accept"
RESOLVE = "resolve"


def overdue(status: str, accept_due: datetime | None, resolve_due: datetime | None,
            now: datetime) -> tuple[str, datetime] | None:
    """(which clock, its due time) when the ticket is overdue at `now`."""
    if status in ("new", "assigned") and accept_due is not None and accept_due <= now:
        return ACCEPT, accept_due
    if status == "in_progress" and resolve_due is not None and resolve_due <= now:
        return RESOLVE, resolve_due
    return None


def should_nudge(due: datetime, last_nudged: datetime | None, nudge_every: int | None,
                 now: datetime) -> bool:
    """Nudge once on becoming overdue, then every `nudge_every` (if the type sets it)."""
    if last_nudged is None or last_nudged < due:
        return True
    return nudge_every is not None and last_nudged + timedelta(seconds=nudge_every) <= now


def escalation_level(nudges: int, escalations: int, escalate_after: int | None) -> int | None:
    """The escalation level the nudges call for (1 = the manager, 2 = their manager, ...:
    one level per `escalate_after` nudges), when it is above the level already reached;
    None when no escalation is due. Several levels may be due at once (nudges counted
    while nobody ran reminders): the ticket goes straight to the highest."""
    if not escalate_after:
        return None
    level = nudges // escalate_after
    return level if level > escalations else None


def autoclose_due(since: datetime | None, after: int | None, now: datetime) -> bool:
    """Waiting on the customer (or resolved) for longer than the desk allows."""
    return since is not None and after is not None and since + timedelta(seconds=after) <= now
