"""离职: deactivating a user without losing anything.

In one transaction: tickets they were assigned or owned go to the successor (assigned, to
be accepted) or back to the queue; tickets they were handling for someone else go back to
the owner; approvals waiting on them pass to the successor (or any manager); a "reassign
customers" ticket is opened for their manager listing the customers they followed (new
tickets for those customers route to the manager until reassigned). Every move is an event.
"""

import json

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.policy import require
from deskcli.store import life
from deskcli.store import people as ps
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.tickets.life import end_wait
from deskcli.tickets.timeline import record
from deskcli.types.manage import TypeChanges

REASSIGN_TYPE = "reassign-customers"


def deactivate(desk: Desk, login: str, successor: str | None = None) -> dict:
    actor = desk.actor
    require(actor, "user.manage", "deactivate users")
    db = desk.store
    with db.write():
        user = ps.user_by_login(db, login)
        if user is None or user["kind"] != "staff":
            raise NotFound(f"no user {login!r}", "see `deskcli user list`")
        if not user["active"]:
            raise Conflict(f"{login} is already deactivated",
                           f"reactivate with `deskcli user update {login} --active`")
        heir = None
        if successor:
            heir = ps.user_by_login(db, successor)
            if heir is None or heir["kind"] != "staff" or not heir["active"]:
                raise NotFound(f"no active user {successor!r} to hand the work to",
                               "see `deskcli user list`")
            if heir["id"] == user["id"]:
                raise Invalid("a user cannot succeed themselves")
        if user["role"] == "admin" and not [
                r for r in ps.users(db, role="admin", active=True) if r["id"] != user["id"]]:
            raise Conflict("this is the last active admin of the desk",
                           "make someone else an admin first")
        at = clock.stamp()
        moved = {"to_successor": [], "to_queue": [], "to_owner": [], "approvals": []}
        events = []
        why = f"{login} left (deactivated {at[:10]})"
        done = set()
        for column in ("assignee_id", "owner_id"):
            for row in life.open_tickets_of(db, column, user["id"]):
                if row["id"] in done or row["status"] == "awaiting_approval":
                    continue
                done.add(row["id"])
                # nobody owns it now, so nobody handles it for an owner either: whoever
                # accepts it next becomes owner and handler
                changes = {"owner_id": None, "handler_id": None, "accepted_at": None,
                           "updated_at": at}
                if heir is not None:
                    changes.update(status="assigned", assignee_id=heir["id"])
                    events.append((row["id"], at, actor.id, "reassigned", login, successor,
                                   f"{why}: to the successor {successor}", "internal", None))
                    moved["to_successor"].append(row["id"])
                else:
                    changes.update(status="new", assignee_id=None)
                    events.append((row["id"], at, actor.id, "departed", login, None,
                                   f"{why}: back to the assignment queue", "internal", None))
                    moved["to_queue"].append(row["id"])
                if row["status"] == "waiting":
                    changes.update(end_wait(desk, row, clock.parse_stamp(at)))
                life.update(db, row["id"], changes)
        for row in life.open_tickets_of(db, "handler_id", user["id"]):
            if row["id"] in done or row["owner_id"] is None:
                continue
            owner_login = ps.logins(db, [row["owner_id"]]).get(row["owner_id"])
            life.update(db, row["id"], {"handler_id": row["owner_id"], "updated_at": at})
            events.append((row["id"], at, actor.id, "transferred", login, owner_login,
                           f"{why}: back to the owner", "internal", None))
            moved["to_owner"].append(row["id"])
        for row in life.open_tickets_of(db, "approver_id", user["id"]):
            if row["status"] != "awaiting_approval":
                continue
            life.update(db, row["id"], {"approver_id": heir["id"] if heir else None,
                                        "updated_at": at})
            events.append((row["id"], at, actor.id, "approver_changed", login,
                           successor, f"{why}: " + (f"{successor} approves now" if heir
                                                    else "any manager may approve"),
                           "internal", None))
            moved["approvals"].append(row["id"])
        record(desk, events)
        ps.update_user(db, user["id"], {"active": 0, "deactivated_at": at,
                                        "successor_id": heir["id"] if heir else None})
        customers = ps.customers(db, consultant_id=user["id"])
        ticket_id = None
        if customers:
            ticket_id = _reassign_ticket(desk, user, customers, heir, at)
        return {"login": login, "successor": successor, "moved": moved,
                "customers": [c["key"] for c in customers], "reassign_ticket": ticket_id}


def _reassign_ticket(desk: Desk, user, customers, heir, at: str) -> int:
    """Open the "reassign customers" task for the departed user's manager."""
    from deskcli.search import tokens as search
    from deskcli.types.manage import _apply

    db = desk.store
    ttype = ts.type_by_key(db, REASSIGN_TYPE)
    if ttype is None:
        from deskcli.models import TicketType

        ttype = _apply(db, TicketType(id=None, key=REASSIGN_TYPE, name="Reassign customers"),
                       TypeChanges(description="Opened when a consultant leaves: give their "
                                               "customers to colleagues", route="manual"))
    chain = ps.manager_chain(db, user["id"])
    active_managers = [m for m in chain if m["active"]]
    assignee_id = active_managers[0]["id"] if active_managers else None
    ticket_id = tstore.next_id(db)
    keys = [c["key"] for c in customers]
    title = f"Reassign the {len(keys)} customers {user['login']} followed"
    body = "\n".join([f"{user['name']} ({user['login']}) left on {at[:10]}. Their customers, "
                      "until reassigned, route to their manager:", ""]
                     + [f"- {c['key']}: {c['name']}" for c in customers]
                     + ["", "Reassign them with: deskcli customer update "
                        + " ".join(keys) + " --consultant NEW"])
    status = "assigned" if assignee_id else "new"
    tstore.insert_tickets(db, [(
        ticket_id, ttype.id, title, body, status, "normal", None, assignee_id, None, None,
        desk.actor.id, None, "departure", None,
        json.dumps({}, ensure_ascii=False), at, at, None, None)])
    who = ps.logins(db, [assignee_id]).get(assignee_id) if assignee_id else None
    if heir is not None:
        tstore.insert_cc(db, [(ticket_id, None, heir["id"])])
    record(desk, [
        (ticket_id, at, desk.actor.id, "opened", None, None, body, "public",
         json.dumps({"type": REASSIGN_TYPE, "customers": keys}, ensure_ascii=False)),
        (ticket_id, at, None, "assigned" if who else "queued", None, who,
         f"{user['login']}'s manager {who}" if who else
         f"{user['login']} has no active manager: to the queue", "internal", None)])
    tstore.index_text(db, [(ticket_id, search.index_text(title), search.index_text(body))])
    return ticket_id
