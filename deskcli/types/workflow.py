"""The ticket life as a transition table: (status, action) -> status. Pure.

`SAME` keeps the current status (a note, a transfer, a CC change). A pair that is not in
the table is not allowed: `next_status` raises Conflict naming the actions that are
possible from the current status.
"""

from deskcli.errors import Conflict

SAME = "="
OPEN = ("awaiting_approval", "new", "assigned", "in_progress", "waiting")
WORKING = ("in_progress", "waiting")
ALL = (*OPEN, "resolved", "closed")

# action -> {from status: to status}; to status None means "decided by the use case"
# (approve routes the ticket; reopen goes back to the owner or the queue).
TABLE: dict[str, dict[str, str | None]] = {
    "approve": {"awaiting_approval": None},
    "reject": {"awaiting_approval": "closed"},
    "assign": {s: "assigned" for s in ("new", "assigned", "in_progress", "waiting")},
    "accept": {"new": "in_progress", "assigned": "in_progress"},
    "decline": {"assigned": "new"},
    "transfer": {s: SAME for s in WORKING},
    "note": {s: SAME for s in ALL},
    "reply": {s: "in_progress" for s in WORKING},
    "reply_wait": {s: "waiting" for s in WORKING},
    "customer_reply": {"waiting": "in_progress", "in_progress": SAME, "assigned": SAME,
                       "new": SAME, "resolved": "in_progress"},
    "resolve": {s: "resolved" for s in WORKING},
    "close": {s: "closed" for s in ("new", "assigned", "in_progress", "waiting", "resolved")},
    "reopen": {"resolved": None, "closed": None},
    "nudge": {s: SAME for s in OPEN},
    "cc": {s: SAME for s in ALL},
    "set": {s: SAME for s in (*OPEN, "resolved")},
    "check": {s: SAME for s in WORKING},
    "attach": {s: SAME for s in (*OPEN, "resolved")},
    "link": {s: SAME for s in ALL},
    "merge": {s: "closed" for s in OPEN},
    "tag": {s: SAME for s in ALL},
    "log": {s: SAME for s in ALL},
    "rate": {"resolved": SAME, "closed": SAME},
}

ACTIONS = tuple(TABLE)
# how each action is typed on the command line, for messages
VERB = {"reply_wait": "reply --wait", "customer_reply": "mail ingest (a customer reply)"}


def allowed(status: str, action: str) -> bool:
    return status in TABLE.get(action, {})


def next_status(status: str, action: str) -> str | None:
    """The status after `action`, SAME's meaning resolved; raises Conflict when the action
    is not possible from `status`."""
    moves = TABLE.get(action)
    if moves is None:
        raise ValueError(f"unknown action {action!r}")
    if status not in moves:
        raise Conflict(f"cannot {VERB.get(action, action)} a ticket that is {status}",
                       f"possible now: {', '.join(possible(status)) or 'nothing'}")
    target = moves[status]
    return status if target == SAME else target


def possible(status: str) -> list[str]:
    """The actions (as typed) possible from a status."""
    return [VERB.get(a, a) for a, moves in TABLE.items()
            if status in moves and a != "customer_reply"]


def who_must_act(status: str) -> str | None:
    """Which role of the ticket must act next: 'approver', 'queue' (the dispatchers),
    'assignee', 'handler', 'customer', or None once resolved or closed."""
    return {"awaiting_approval": "approver", "new": "queue", "assigned": "assignee",
            "in_progress": "handler", "waiting": "customer"}.get(status)
