"""Links between tickets (`ticket link`: parent, related) and merging a duplicate
(`ticket merge`). Same order as the ticket life: load -> policy -> workflow -> writes
and events, in one transaction."""

from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid
from deskcli.store import life
from deskcli.store import tickets as tstore
from deskcli.tickets.life import Act, Outcome

# --- links and merging --------------------------------------------------------------------

def link(desk: Desk, ticket_id: int, *, parent: int | None = None,
         relates: int | None = None, unlink: int | None = None) -> Outcome:
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("link")
        a.move("link")
        if unlink is not None:
            if not life.remove_link(a.db, a.id, unlink):
                return a.done(noop=f"#{a.id} is not linked to #{unlink}")
            a.event("unlinked", to=f"#{unlink}")
            a.save()
            return a.done()
        other = parent if parent is not None else relates
        if other is None:
            raise Invalid("say what to link to", "use --parent ID, --relates ID or --unlink ID")
        if other == a.id:
            raise Invalid("a ticket cannot be linked to itself")
        Act(desk, other)  # must exist and be visible
        kind = "parent" if parent is not None else "relates"
        if kind == "parent":
            ancestor = other
            while ancestor is not None:
                if ancestor == a.id:
                    raise Conflict(f"#{other} is already below #{a.id}; that would make a loop")
                ancestor = life.parent_of(a.db, ancestor)
            existing = life.parent_of(a.db, a.id)
            if existing == other:
                return a.done(noop=f"#{other} already is the parent of #{a.id}")
            if existing is not None:
                raise Conflict(f"#{a.id} already has the parent #{existing}",
                               f"unlink it first: deskcli ticket link {a.id} --unlink {existing}")
        if kind == "relates" and other in life.links(a.db, a.id)["related"]:
            return a.done(noop=f"#{a.id} already relates to #{other}")  # either way round
        if not life.add_link(a.db, a.id, other, kind, a.at, a.actor.id):
            return a.done(noop=f"#{a.id} is already linked to #{other}")
        a.event("linked", to=f"#{other}", data={"kind": kind})
        a.save()
        return a.done()


def merge(desk: Desk, ticket_id: int, into: int, message: str | None = None) -> Outcome:
    """Close a duplicate into the surviving ticket: its history stays, it points to the
    survivor, and its CC list is carried over."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("merge")
        if a.row["merged_into"] == into:
            return a.done(noop=f"#{a.id} is already merged into #{into}")
        if into == a.id:
            raise Invalid("a ticket cannot be merged into itself")
        survivor = Act(desk, into)
        survivor.permit("link")
        if survivor.status not in ("new", "assigned", "in_progress", "waiting",
                                   "awaiting_approval"):
            raise Conflict(f"#{into} is {survivor.status}; merge into an open ticket",
                           f"reopen it first: deskcli ticket reopen {into} -m REASON")
        new = a.move("merge")
        a.leave_waiting()
        a.changes.update(status=new, closed_at=a.at, merged_into=into,
                         resolution=f"merged into #{into}")
        a.event("merged", frm=a.status, to=f"#{into}", message=message, visibility="public")
        for ref in life.cc_refs(a.db, a.id):
            tstore.insert_cc(a.db, [(into, *ref)])
        survivor.event("merged_in", frm=f"#{a.id}", message=message)
        survivor.save()
        a.save(expect={"status": a.status})
        return a.done()
