"""What is due at a given moment. Pure rules, no I/O.

A ticket is overdue when it is not accepted by accept_due_at (status new or assigned) or
not resolved by resolve_due_at (status in_progress; time spent waiting on the customer
moves that due time, so waiting tickets are never overdue). An overdue ticket is nudged
once when it becomes overdue, then every `nudge_every` of its type, give or take cron's
jitter (see grace()). Every nudge counts,
manual ones too: after `escalate_after` nudges it is escalated to the manager of whoever
must act, after twice as many to that manager's manager, and so on up the chain.
"""

from datetime import datetime, timedelta

ACCEPT = "accept"
RESOLVE = "resolve"
# Cron starts a run a few seconds late now and then. When nudge-every equals the cron
# period, a nudge made by a late run (10:01:01) would not be due at the next, punctual run
# (10:02:00), and a whole period would go by without one. So a repeat nudge may come up to
# a tenth of nudge-every early, at most MAX_GRACE: two automatic nudges of a ticket are
# always at least nine tenths of nudge-every apart (so none is ever nudged twice in one
# period), and never more than a minute less than it.
MAX_GRACE = 60


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
    """Nudge once on becoming overdue, then every `nudge_every` (if the type sets it),
    less than `grace(nudge_every)` early at most."""
    if last_nudged is None or last_nudged < due:
        return True
    if nudge_every is None:
        return False
    next_at = last_nudged + timedelta(seconds=nudge_every)
    return next_at <= now or next_at - now < timedelta(seconds=grace(nudge_every))


def grace(nudge_every: int) -> int:
    """How much earlier than `nudge_every` after the last nudge a repeat nudge may come,
    in seconds: a tenth of the period, at most MAX_GRACE."""
    return min(nudge_every // 10, MAX_GRACE)


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
