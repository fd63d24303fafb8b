"""Use cases of the ticket life (SPEC §5): approve, reject, assign, accept, decline,
transfer, note, reply, resolve, close, reopen, nudge.

Every use case runs in one write transaction, in the same order: load the ticket (may raise
NotFound) -> policy (NotPermitted) -> a no-op check for actions that are already true ->
workflow (Conflict) -> compare-and-set writes and events. They return an Outcome.
"""

import json

from deskcli import clock, policy
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.models import Ticket
from deskcli.plain import Record
from deskcli.store import life
from deskcli.store import people as ps
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.tickets.timeline import record
from deskcli.types import workflow


class Outcome(Record):
    """What an action did. The ticket itself is read only when someone asks for it
    (`--json`): most commands print just the id, and reading a ticket with its tags,
    links, attachments, time and rating is half a dozen queries."""

    ticket_id: int
    load: object  # () -> Ticket, in a read transaction of its own
    noop: str | None = None  # set when nothing changed because it was already true
    note: str | None = None  # anything else worth telling the person

    @property
    def ticket(self) -> Ticket:
        return self.load()


class Act:
    """One action on one ticket, inside the command's transaction."""

    def __init__(self, desk: Desk, ticket_id: int, *, unseen: bool = False):
        """`unseen`: skip the visibility check, for the desk acting on its own (mail
        ingest run by an access client that cannot see the ticket it files mail on)."""
        self.desk = desk
        self.db = desk.store
        self.actor = desk.actor
        self.id = ticket_id
        row = life.raw(self.db, ticket_id)
        if row is None or not (unseen or _visible(desk, ticket_id)):
            raise NotFound(f"no ticket #{ticket_id}" +
                           ("" if row is None else " that you can see"),
                           "see `deskcli ticket list`")
        self.row = row
        self.status = row["status"]
        self.now = clock.now()
        self.at = clock.stamp(self.now)
        self.relations = relations(self.db, self.actor, row)
        self.changes: dict = {}
        self.events: list[tuple] = []

    def login(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        return ps.logins(self.db, [user_id]).get(user_id)

    def names(self) -> dict:
        return {"owner": self.login(self.row["owner_id"]),
                "assignee": self.login(self.row["assignee_id"]),
                "handler": self.login(self.row["handler_id"]),
                "approver": self.login(self.row["approver_id"])}

    def permit(self, action: str) -> None:
        policy.check_action(self.actor, action, self.relations, self.id, self.names())

    def move(self, action: str) -> str:
        """Workflow check; returns the next status."""
        return workflow.next_status(self.status, action)

    def event(self, kind: str, *, frm=None, to=None, message=None, visibility="internal",
              data=None, system: bool = False) -> None:
        self.events.append((
            self.id, self.at, None if system else self.actor.id, kind, frm, to, message,
            visibility, json.dumps(data, ensure_ascii=False) if data else None))

    def save(self, expect: dict | None = None, lost: str | None = None) -> None:
        """Write the collected changes (compare-and-set on `expect`), then the events and
        the notices they call for."""
        self.changes["updated_at"] = self.at
        if not life.update(self.db, self.id, self.changes, expect):
            raise Conflict(lost or f"#{self.id} changed under you", "look again and retry")
        record(self.desk, self.events)
        self.events = []

    def leave_waiting(self) -> None:
        """Leaving `waiting`: the paused time is added and the resolve clock moves on."""
        if self.status == "waiting":
            self.changes.update(end_wait(self.desk, self.row, self.now))

    def done(self, noop: str | None = None, note: str | None = None) -> Outcome:
        """The outcome; its ticket is as `ticket show --json` gives it (tags, links,
        rating ...) without the timeline, so `--json` after `tag` or `rate` shows what
        changed."""
        db, ticket_id = self.db, self.id

        def load() -> Ticket:
            from deskcli.tickets.opening import details

            with db.read():
                ticket = tstore.get(db, ticket_id)
                ticket.extra.update(details(db, ticket_id))
                return ticket

        return Outcome(ticket_id, load, noop, note)


def end_wait(desk: Desk, row, now) -> dict:
    """The changes that end a wait on the customer: the time waited (working time, with
    business hours) is added to paused_seconds and moves the resolve due time on."""
    if not row["waiting_since"]:
        return {"waiting_since": None}
    from deskcli.reminders import sla

    calendar = sla.calendar_for(desk)
    paused = sla.elapsed(clock.parse_stamp(row["waiting_since"]), now, calendar)
    changes = {"waiting_since": None, "paused_seconds": row["paused_seconds"] + paused}
    if row["resolve_due_at"]:
        due = sla.due(clock.parse_stamp(row["resolve_due_at"]), paused, calendar)
        changes["resolve_due_at"] = clock.stamp(due)
    return changes


def _visible(desk: Desk, ticket_id: int) -> bool:
    visibility = desk.visibility()
    if visibility is None:
        return True
    return tstore.count(desk.store, tstore.TicketQuery(ids=[ticket_id],
                                                       visible_to=visibility)) > 0


def relations(db, actor, row) -> set:
    """What the actor is to the ticket (see policy.ACTION_RULES)."""
    rel = set()
    for name, column in (("owner", "owner_id"), ("handler", "handler_id"),
                         ("assignee", "assignee_id"), ("opener", "opened_by_id"),
                         ("approver", "approver_id")):
        if row[column] == actor.id:
            rel.add(name)
    if actor.is_client:
        return rel
    if life.is_cc(db, row["id"], actor.id):
        rel.add("cc")
    if actor.can("ticket.assign"):
        rel.add("dispatcher")
    if actor.can("ticket.manage") or _manages(db, actor.id, row):
        rel.add("supervisor")
    if row["status"] == "new":
        rel.add("anyone_if_new")
    if row["status"] == "awaiting_approval" and row["approver_id"] is None and \
            actor.can("ticket.manage"):
        rel.add("approver")
    return rel


def _manages(db, actor_id: int, row) -> bool:
    people = {row[c] for c in ("owner_id", "assignee_id", "handler_id") if row[c]}
    return any(actor_id in {m["id"] for m in ps.manager_chain(db, person)} for person in people)


def _staff(db, login: str, what: str = "user"):
    row = ps.user_by_login(db, login)
    if row is None or row["kind"] != "staff":
        raise NotFound(f"no {what} {login!r}", "see `deskcli user list`")
    if not row["active"]:
        raise Conflict(f"{login} is deactivated", "choose an active colleague")
    custom = {}
    if row["role"] not in policy.BUILTIN_ROLES:
        role = ps.custom_role(db, row["role"])
        custom = {row["role"]: frozenset(role["permissions"].split())} if role else {}
    permissions = policy.role_permissions(row["role"], custom)
    if not {"*", "ticket.work"} & permissions:
        # they could never accept or work it: the ticket would be stuck
        raise Conflict(f"{login} (role {row['role']}) cannot work tickets: permission "
                       "'ticket.work' is missing", "choose a colleague who works tickets")
    return row


# --- approval -----------------------------------------------------------------------------

def approve(desk: Desk, ticket_id: int, message: str | None = None) -> Outcome:
    from deskcli.tickets.opening import Lookup, due_stamp, routed

    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("approve")
        a.move("approve")
        ttype = ts.type_by_id(a.db, a.row["type_id"])
        consultant_id = None
        customer_key = None
        if a.row["customer_id"]:
            customer = ps.customer_by_id(a.db, a.row["customer_id"])
            consultant_id, customer_key = customer["consultant_id"], customer["key"]
        a.event("approved", frm="awaiting_approval", message=message)
        lookup = Lookup(a.db)
        status, assignee_id, routing_event = routed(lookup, ttype, a.id, a.at, consultant_id,
                                                    customer_key)
        a.events.append(routing_event)
        lookup.save_round_robin()
        from deskcli.reminders import sla

        calendar = sla.calendar_for(desk)
        a.changes.update(status=status, assignee_id=assignee_id,
                         accept_due_at=due_stamp(a.now, ttype.accept_within, calendar),
                         resolve_due_at=due_stamp(a.now, ttype.resolve_within, calendar))
        a.save(expect={"status": "awaiting_approval"})
        return a.done()


def reject(desk: Desk, ticket_id: int, message: str) -> Outcome:
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("reject")
        new = a.move("reject")
        _require_text(message, "reject reason", ticket_id, "reject")
        a.changes.update(status=new, closed_at=a.at, resolution="rejected: " + message)
        a.event("rejected", frm=a.status, to="closed", message=message, visibility="public")
        a.save(expect={"status": a.status})
        return a.done()


# --- assignment and acceptance ------------------------------------------------------------

def assign(desk: Desk, ticket_id: int, to: str, message: str | None = None) -> Outcome:
    """Assign or reassign: the new assignee must accept; any owner is cleared."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("assign")
        target = _staff(a.db, to)
        if a.status == "assigned" and a.row["assignee_id"] == target["id"]:
            return a.done(noop=f"#{a.id} is already assigned to {to}")
        if a.status in workflow.WORKING and a.row["owner_id"] == target["id"]:
            # re-assigning to the owner would only make them accept their own ticket again
            return a.done(noop=f"#{a.id} is already accepted by {to}")
        a.move("assign")
        a.leave_waiting()
        kind = "reassigned" if a.row["owner_id"] or a.row["assignee_id"] else "assigned"
        a.changes.update(status="assigned", assignee_id=target["id"], owner_id=None,
                         handler_id=None, accepted_at=None)
        a.event(kind, frm=a.login(a.row["owner_id"] or a.row["assignee_id"]), to=to,
                message=message)
        a.save(expect={"status": a.status})
        return a.done()


def accept(desk: Desk, ticket_id: int) -> Outcome:
    """Take the ticket: owner = handler = you. Two people racing: exactly one wins."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        if a.row["owner_id"] == a.actor.id and a.status in workflow.WORKING:
            return a.done(noop=f"#{a.id} is already yours")
        if a.row["owner_id"] is not None and a.status in workflow.WORKING:
            raise Conflict(f"#{a.id} was already accepted by {a.login(a.row['owner_id'])}",
                           "ask them to transfer it, or a dispatcher to reassign it")
        a.permit("accept")
        # the accept clock stops here; reminders about the resolve clock start afresh
        a.changes.update(status=a.move("accept"), assignee_id=a.actor.id,
                         owner_id=a.actor.id, handler_id=a.actor.id, accepted_at=a.at,
                         nudges=0, escalations=0, last_nudged_at=None)
        a.event("accepted", frm=a.status, to=a.changes["status"])
        a.save(expect={"status": a.status, "owner_id": None},
               lost=f"#{a.id} was accepted by someone else a moment ago")
        return a.done()


def decline(desk: Desk, ticket_id: int, reason: str) -> Outcome:
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("decline")
        if not reason.strip():
            raise Invalid("say why you decline", f"deskcli ticket decline {ticket_id} -m REASON")
        a.changes.update(status=a.move("decline"), assignee_id=None)
        a.event("declined", frm=a.actor.login, message=f"declined by {a.actor.login}: {reason}")
        a.save(expect={"status": a.status})
        return a.done()


def transfer(desk: Desk, ticket_id: int, to: str, message: str | None = None) -> Outcome:
    """Hand the work to a colleague or a department's head; the owner stays."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("transfer")
        a.move("transfer")
        if to.startswith("dept:"):
            dept = ps.dept_by_key(a.db, to[5:])
            if dept is None:
                raise NotFound(f"no department {to[5:]!r}", "see `deskcli dept list`")
            if dept["head_id"] is None:
                raise Conflict(f"department {to[5:]} has no head to transfer to",
                               f"set one: deskcli dept update {to[5:]} --head LOGIN")
            target = _staff(a.db, dept["head"])
        else:
            target = _staff(a.db, to)
        if target["id"] == a.row["handler_id"]:
            if not (message or "").strip():
                return a.done(noop=f"{target['login']} is already handling #{a.id}")
            # the message was meant for them: it becomes a note (and its notice), not lost
            a.event("note", message=message)
            a.save()
            return a.done(note=f"{target['login']} is already handling #{a.id}: your message "
                               "was added as an internal note")
        a.changes["handler_id"] = target["id"]
        a.event("transferred", frm=a.login(a.row["handler_id"]), to=target["login"],
                message=message, data={"to": to} if to.startswith("dept:") else None)
        a.save(expect={"handler_id": a.row["handler_id"]})
        return a.done()


# --- messages -----------------------------------------------------------------------------

def note(desk: Desk, ticket_id: int, text: str) -> Outcome:
    """An internal note: never shown to the customer."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("note")
        a.move("note")
        _require_text(text, "note", ticket_id)
        a.event("note", message=text)
        a.save()
        return a.done()


def reply(desk: Desk, ticket_id: int, text: str, wait: bool = False,
          faq: str | None = None) -> Outcome:
    """A public reply to the customer (only the owner may); --wait sets `waiting` and
    pauses the resolve clock. `faq` (a FAQ key) inserts that entry's answer and records
    that it answered the ticket."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("reply")
        new = a.move("reply_wait" if wait else "reply")
        cited = None
        if faq is not None:
            from deskcli.faq.manage import cite

            cited, text = cite(desk, faq, text)
        _require_text(text, "reply", ticket_id)
        if new == "waiting" and a.status != "waiting":
            a.changes["waiting_since"] = a.at
        elif new != "waiting":
            a.leave_waiting()
        a.changes["status"] = new
        a.event("reply", frm=a.status if new != a.status else None,
                to=new if new != a.status else None, message=text, visibility="public",
                data={"faq": cited.key} if cited else None)
        a.save(expect={"status": a.status})
        if cited:
            from deskcli.faq.manage import record_answer

            record_answer(desk, cited.id, a.id, a.at)
        return a.done()


def _require_text(text: str | None, what: str, ticket_id: int, verb: str | None = None) -> None:
    if not (text or "").strip():
        raise Invalid(f"the {what} is empty",
                      f"deskcli ticket {verb or what} {ticket_id} -m TEXT")


# --- finishing ----------------------------------------------------------------------------

def resolve(desk: Desk, ticket_id: int, resolution: str) -> Outcome:
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("resolve")
        if a.status == "resolved":
            return a.done(noop=f"#{a.id} is already resolved")
        new = a.move("resolve")
        _require_text(resolution, "resolution", ticket_id, "resolve")
        open_steps = [f"{s['position']}. {s['text']}" for s in life.steps(a.db, a.id)
                      if s["done_at"] is None]
        if open_steps:
            raise Conflict(f"#{a.id} has checklist steps not done: {'; '.join(open_steps)}",
                           f"tick them first: deskcli ticket check {a.id} STEP")
        _require_fields(a)
        a.leave_waiting()
        a.changes.update(status=new, resolved_at=a.at, resolution=resolution)
        a.event("resolved", frm=a.status, to=new, message=resolution, visibility="public")
        a.save(expect={"status": a.status})
        return a.done()


def _require_fields(a: Act) -> None:
    ttype = ts.type_by_id(a.db, a.row["type_id"])
    values = json.loads(a.row["fields"])
    missing = [f.name for f in ttype.fields if f.required and values.get(f.name) in (None, "")]
    if missing:
        raise Conflict(f"#{a.id} has required fields still empty: {', '.join(missing)}",
                       f"fill them in: deskcli ticket set {a.id} --field {missing[0]}=VALUE")


def close(desk: Desk, ticket_id: int, message: str | None = None) -> Outcome:
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("close")
        if a.status == "closed":
            return a.done(noop=f"#{a.id} is already closed")
        new = a.move("close")
        a.leave_waiting()
        a.changes.update(status=new, closed_at=a.at)
        a.event("closed", frm=a.status, to=new, message=message, visibility="public")
        a.save(expect={"status": a.status})
        return a.done()


def reopen(desk: Desk, ticket_id: int, message: str) -> Outcome:
    """Back to the owner (in progress) if they are still active, else to the queue; the
    resolve clock starts again."""
    from deskcli.tickets.opening import due_stamp

    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("reopen")
        if a.status in workflow.OPEN:
            return a.done(noop=f"#{a.id} is open ({a.status})")
        a.move("reopen")
        _require_text(message, "reopen reason", ticket_id, "reopen")
        owner = ps.user_by_id(a.db, a.row["owner_id"]) if a.row["owner_id"] else None
        ttype = ts.type_by_id(a.db, a.row["type_id"])
        from deskcli.reminders import sla

        calendar = sla.calendar_for(desk)
        a.changes.update(resolved_at=None, closed_at=None, resolution=None,
                         resolve_due_at=due_stamp(a.now, ttype.resolve_within, calendar))
        if owner is not None and owner["active"]:
            a.changes.update(status="in_progress", handler_id=owner["id"])
            note = f"back with its owner {owner['login']}"
        else:
            a.changes.update(status="new", owner_id=None, handler_id=None, assignee_id=None,
                             accept_due_at=due_stamp(a.now, ttype.accept_within, calendar))
            note = ("the owner is no longer active" if owner is not None else
                    "it had no owner") + ": back to the assignment queue"
        if a.row["merged_into"] is not None:
            # reopening a merged duplicate undoes the merge; the merge event stays
            a.changes["merged_into"] = None
            note += f"; no longer merged into #{a.row['merged_into']}"
        a.event("reopened", frm=a.status, to=a.changes["status"],
                message=message if note.startswith("back with") and a.row["merged_into"]
                is None else f"{message} ({note})", visibility="public")
        a.save(expect={"status": a.status})
        return a.done(note=f"#{a.id} reopened: {note}")


# --- nudging ------------------------------------------------------------------------------

def nudge(desk: Desk, ticket_id: int, message: str | None = None) -> Outcome:
    """催单: an immediate reminder to whoever must act; counts toward escalation."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("nudge")
        a.move("nudge")
        target = must_act(a.db, a.row)
        a.changes.update(nudges=a.row["nudges"] + 1, last_nudged_at=a.at)
        a.event("nudged", to=target, message=message,
                data={"count": a.row["nudges"] + 1, "manual": True})
        a.save()
        nobody = {"waiting": "the customer", "awaiting_approval": "the managers"}.get(
            a.status, "the dispatchers")
        return a.done(note=f"nudged {target or nobody} on #{a.id}")


def must_act(db, row) -> str | None:
    """Login of whoever must act now (None: the queue's dispatchers, or the customer)."""
    role = workflow.who_must_act(row["status"])
    column = {"approver": "approver_id", "assignee": "assignee_id",
              "handler": "handler_id"}.get(role or "")
    if column and row[column]:
        return ps.logins(db, [row[column]]).get(row[column])
    return None
