"""Views of the desk for one person: the assignment queue (分配工单), CC'd to me (抄送我的),
my dashboard (我的Dashboard), and saved `ticket list` filters."""

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Invalid, NotFound
from deskcli.people.staff import check_key
from deskcli.policy import require
from deskcli.store import life
from deskcli.store import tickets as tstore
from deskcli.tickets.opening import ListFilters, list_tickets, with_tags

OPEN = ["awaiting_approval", "new", "assigned", "in_progress", "waiting"]


def queue(desk: Desk, limit: int | None = 100, details: bool = True):
    """Tickets nobody is expected to accept, and open tickets whose assignee or owner has
    left, oldest first; each with the reason it is here (with `details`, their CC lists
    and checklists too)."""
    require(desk.actor, "ticket.view", "see the assignment queue")
    with desk.store.read():
        tickets, reasons = life.queue(desk.store, limit, details)
        visibility = desk.visibility()
        if visibility is not None:
            visible = set(tstore.query_ids(desk.store, tstore.TicketQuery(
                ids=[t.id for t in tickets], visible_to=visibility, limit=None)))
            tickets = [t for t in tickets if t.id in visible]
        if details:
            with_tags(desk.store, tickets)
        rows = []
        for t in tickets:
            reason = reasons.get(t.id)
            if t.status != "new":
                gone = t.owner or t.assignee
                reason = f"{gone} is no longer active" + (f" ({reason})" if reason else "")
            t.extra["queue_reason"] = reason or "no routing rule chose anyone"
            rows.append(t)
        return rows


def cc_list(desk: Desk, include_closed: bool = False, limit: int | None = 50,
            details: bool = True):
    """Tickets CC'd to me, directly or as the head of a CC'd department."""
    filters = ListFilters(cc="@me", status=[] if include_closed else ["open"], limit=limit,
                          details=details)
    return list_tickets(desk, filters)


COUNT_CAP = 1000  # a dashboard says "1000+" rather than count a head's every CC
SECTIONS = ("to_approve", "to_accept", "in_progress", "handling", "cc", "overdue", "nudged")


def dashboard(desk: Desk, limit: int = 10, details: bool = True) -> dict:
    """My dashboard: counts and the first tickets of each section.

    The sections about my own work are counted and picked inside SQLite from the
    open-work indexes (tstore.open_work); the CC'd section reads its own indexes and stops
    counting at COUNT_CAP. Without `details`, the tickets come without CC lists,
    checklists and tags."""
    actor = desk.actor
    require(actor, "ticket.view", "see a dashboard")
    me = actor.id
    now = clock.stamp()
    result = {"user": actor.login, "at": now, "counts": {}}
    db = desk.store
    with db.read():
        visibility = desk.visibility()
        sections: dict[str, list[int]] = {}
        # to approve: mine, and for managers those with no named approver; not the ones a
        # named approver must decide (policy refuses anyone else)
        parts: list[dict] = [{"approver": me}]
        if actor.can("ticket.manage"):
            parts.append({"approver": None})
        approve, total = [], 0
        for people in parts:
            part = tstore.TicketQuery(statuses=["awaiting_approval"], people=people,
                                      visible_to=visibility, limit=limit)
            total += tstore.count(db, part, cap=COUNT_CAP)
            approve += tstore.query_ids(db, part)
        sections["to_approve"] = sorted(approve, reverse=True)
        result["counts"]["to_approve"] = total
        work = tstore.open_work(db, me, now, limit)
        for name in ("to_accept", "in_progress", "handling"):
            result["counts"][name], sections[name] = work[name]
        # the CC'd tickets, newest first, up to the cap: their number and the page at once
        cc = tstore.query_ids(db, tstore.TicketQuery(
            statuses=OPEN, cc_user_id=me, visible_to=visibility, limit=COUNT_CAP))
        result["counts"]["cc"], sections["cc"] = len(cc), cc[:limit]
        for name in ("overdue", "nudged"):
            result["counts"][name], sections[name] = work[name]
        shown = {i for ids in sections.values() for i in ids[:limit]}
        page = tstore.query(db, tstore.TicketQuery(ids=sorted(shown), limit=None,
                                                   details=details)) if shown else []
        tickets = {t.id: t for t in (with_tags(db, page) if details else page)}
        for name in SECTIONS:
            result[name] = [tickets[i].to_dict() for i in sections[name][:limit]]
        result["capped"] = [name for name, n in result["counts"].items() if n >= COUNT_CAP]
        if actor.can("ticket.assign"):
            result["counts"]["queue"] = life.queue_count(db)  # exact, from indexes
    return result


# --- saved views --------------------------------------------------------------------------

def view_add(desk: Desk, name: str, filters: dict) -> dict:
    require(desk.actor, "ticket.view", "save views")
    check_key(name, "view name")
    clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in filters.items()
             if v not in (None, (), [], False)}
    if not clean:
        raise Invalid("a view needs at least one filter",
                      "e.g. deskcli view add mine --status open --assignee @me")
    with desk.store.write():
        life.save_view(desk.store, desk.actor.id, name, clean, clock.stamp())
    return {"name": name, "filters": clean}


def view_get(desk: Desk, name: str) -> dict:
    with desk.store.read():
        found = life.view(desk.store, desk.actor.id, name)
    if found is None:
        raise NotFound(f"you have no saved view {name!r}", "see `deskcli view list`")
    return found


def view_list(desk: Desk) -> list[dict]:
    with desk.store.read():
        return life.views(desk.store, desk.actor.id)


def view_remove(desk: Desk, name: str) -> dict:
    with desk.store.write():
        if not life.remove_view(desk.store, desk.actor.id, name):
            raise NotFound(f"you have no saved view {name!r}", "see `deskcli view list`")
    return {"name": name}
