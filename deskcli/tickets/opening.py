"""Use cases for opening, listing, showing, importing and exporting tickets."""

import json

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound, ValidationErrors
from deskcli.models import PRIORITIES, STATUSES, Ticket, TicketType
from deskcli.plain import Record, new
from deskcli.policy import require, require_type_grant
from deskcli.store import Store
from deskcli.store import people as ps
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.tickets.lookup import Batch, Lookup

MAX_TITLE = 200


class OpenRequest(Record):
    type: str
    title: str
    body: str = ""
    customer: str | None = None
    fields: dict = new(dict)
    priority: str | None = None
    cc: list[str] = new(list)
    source: str | None = None
    external_id: str | None = None
    # Set only by `mail ingest` (deskcli.mail.ingest), never from `ticket open`: a ticket opened
    # from an e-mail may leave required fields empty (resolve asks for them), and keeps the
    # source 'email' even when an access client runs the ingest.
    from_mail: bool = False


def _prepare(desk: Desk, lookup: Lookup, req: OpenRequest):
    """Validate an open request; returns what `_build` needs. Raises with every problem."""
    ttype = _usable_type(desk, lookup, req.type)
    title, priority, values = _checked(ttype, req.title, req.priority, req.fields,
                                       require_all=not req.from_mail)
    customer = _customer(lookup, req.customer)
    cc_refs = _cc_refs(lookup, ttype, req.cc)
    source = req.source
    if desk.actor.is_client and not req.from_mail:
        source = f"access:{desk.actor.login}"
    return ttype, title, priority, values, customer, cc_refs, source


def _usable_type(desk: Desk, lookup: Lookup, key: str) -> TicketType:
    """The ticket type `key`, if it exists, is enabled and the actor may open it."""
    ttype = lookup.ticket_type(key) if key else None
    if ttype is None:
        raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
    if not ttype.active:
        raise Conflict(f"ticket type {key!r} is disabled",
                       f"an admin can enable it: deskcli type update {key} --enable")
    require_type_grant(desk.actor, ttype.key, ttype.id)
    return ttype


def _checked(ttype: TicketType, title, priority, fields, *, require_all: bool = True):
    """(title, priority, field values) of a new ticket, or ValidationErrors with every
    problem."""
    problems = []
    title = (title or "").strip()
    if not title:
        problems.append("a title is required")
    elif len(title) > MAX_TITLE:
        problems.append(f"the title is {len(title)} characters; keep it under {MAX_TITLE} and "
                        "put details in the body")
    priority = priority or ttype.priority
    if priority not in PRIORITIES:
        problems.append(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
    from deskcli.types.fields import validate  # opening only: list and show never load it

    values, field_problems = validate(ttype.fields, fields or {}, type_key=ttype.key,
                                      require_all=require_all)
    problems += field_problems
    if problems:
        raise ValidationErrors(problems, f"see the fields with `deskcli type show {ttype.key}`")
    return title, priority, values


def _customer(lookup: Lookup, key: str | None):
    """(customer id, consultant id) of the customer `key`, None without one."""
    if not key:
        return None
    customer = lookup.customer(key)
    if customer is None:
        raise NotFound(f"no customer {key!r}",
                       f"add it first: deskcli customer add {key} --name NAME")
    return customer


def _cc_refs(lookup: Lookup, ttype: TicketType, entries) -> list:
    """The type's CC list, then the request's entries, as (dept id, user id) pairs."""
    cc_refs = lookup.type_cc(ttype.id) if ttype.cc else []
    for entry in entries or []:
        ref = _cc_ref(lookup, entry)
        if ref not in cc_refs:
            cc_refs.append(ref)
    return cc_refs


def _cc_ref(lookup: Lookup, entry: str) -> tuple[int | None, int | None]:
    kind, sep, ref = entry.partition(":")
    if not sep:
        kind, ref = "user", entry
    if kind == "dept":
        dept = lookup.dept(ref)
        if dept is None:
            raise NotFound(f"no department {ref!r} to CC", "see `deskcli dept list`")
        return dept[0], None
    if kind != "user":
        raise Invalid(f"bad CC {entry!r}", "write a LOGIN, user:LOGIN or dept:KEY")
    person = lookup.person(ref)
    if person is None:
        raise NotFound(f"no user {ref!r} to CC", "see `deskcli user list`")
    return None, person.id


def _build(desk: Desk, lookup: Lookup, batch: Batch, ticket_id: int, req: OpenRequest,
           prepared, now) -> None:
    """Route the ticket and add its rows (ticket, events, CC, checklist, text) to the batch."""
    _rows(desk, lookup, batch, ticket_id, prepared, now, req.body or "", req.customer,
          req.external_id)


def _rows(desk: Desk, lookup: Lookup, batch: Batch, ticket_id: int, prepared, now, body: str,
          customer_key: str | None, external_id: str | None, fields_json: str | None = None,
          tokens: tuple[str, str] | None = None) -> None:
    """_build's work from plain values; a bulk import passes the fields' JSON and the
    full-text tokens it computed beforehand (in a worker process)."""
    ttype, title, priority, values, customer, cc_refs, source = prepared
    actor = desk.actor
    at = lookup.cached(("at", now), lambda: clock.stamp(now))
    customer_id, consultant_id = customer if customer else (None, None)
    opened_data = lookup.cached(("opened", ttype.key, priority, source), lambda: json.dumps(
        {"type": ttype.key, "priority": priority, "source": source}, ensure_ascii=False))
    events = [(ticket_id, at, actor.id, "opened", None, None, body or None, "public",
               opened_data)]
    approver_id = accept_due = resolve_due = assignee_id = None
    if ttype.approver:
        status = "awaiting_approval"
        approver_id, why = _approver(lookup, ttype.approver, actor)
        events.append((ticket_id, at, None, "approval_requested", None,
                       None if approver_id is None else lookup.person_by_id(approver_id).login,
                       why, "internal", None))
    else:
        status, assignee_id, routing_event = routed(lookup, ttype, ticket_id, at,
                                                    consultant_id, customer_key)
        events.append(routing_event)
        accept_due, resolve_due = lookup.cached(("due", now, ttype.id), lambda: _due(
            desk, now, ttype))
    if fields_json is None:
        fields_json = json.dumps(values, ensure_ascii=False)
    batch.tickets.append((
        ticket_id, ttype.id, title, body, status, priority, customer_id, assignee_id,
        None, None, actor.id, approver_id, source, external_id, fields_json, at, at,
        accept_due, resolve_due))
    batch.events += events
    if cc_refs:
        batch.cc += [(ticket_id, dept_id, user_id) for dept_id, user_id in cc_refs]
    if ttype.steps:
        batch.steps += [(ticket_id, i, text) for i, text in enumerate(ttype.steps, start=1)]
    if tokens is None:
        from deskcli.search import tokens as search

        tokens = search.index_text(title), search.index_text(body)
    batch.text.append((ticket_id, *tokens))


def _due(desk: Desk, now, ttype: TicketType) -> tuple[str | None, str | None]:
    from deskcli.reminders import sla

    calendar = sla.calendar_for(desk)
    return (due_stamp(now, ttype.accept_within, calendar),
            due_stamp(now, ttype.resolve_within, calendar))


def routed(lookup: Lookup, ttype: TicketType, ticket_id: int, at: str,
           consultant_id: int | None, customer_key: str | None) -> tuple[str, int | None, tuple]:
    """Apply the type's routing rule: (status, assignee id, the routing event row)."""
    from deskcli.types.routing import route

    decision = route(ttype.route, lookup, type_id=ttype.id,
                               consultant_id=consultant_id, customer_key=customer_key)
    if decision.queued:
        return "new", None, (ticket_id, at, None, "queued", None, None, decision.reason,
                             "internal", None)
    assignee_id = decision.assignee.id
    lookup.assigned(ttype.id, assignee_id, ttype.route)
    return "assigned", assignee_id, (ticket_id, at, None, "assigned", None,
                                     decision.assignee.login, decision.reason, "internal", None)


def due_stamp(now, seconds, calendar=None) -> str | None:
    """The stored due time `seconds` of SLA time after `now` (None without an SLA),
    counting working time only when the desk has business hours."""
    from deskcli.reminders import sla

    moment = sla.due(now, seconds, calendar)
    return clock.stamp(moment) if moment else None


def _approver(lookup: Lookup, approver: str, actor) -> tuple[int | None, str]:
    if approver == "manager":
        if actor.manager_id:
            person = lookup.person_by_id(actor.manager_id)
            return person.id, f"needs approval by {person.login}, the opener's manager"
        return None, (f"needs approval by the opener's manager, but {actor.login} has none: "
                      "any manager may approve")
    person = lookup.person(approver)
    if person is None or not person.active:
        return None, f"the approver {approver} is not active: any manager may approve"
    return person.id, f"needs approval by {person.login}"


def open_ticket(desk: Desk, req: OpenRequest) -> Ticket:
    """Open one ticket: validate, route, copy the CC list, set SLA due times, record
    the events — in one transaction."""
    require(desk.actor, "ticket.open", "open tickets")
    db = desk.store
    with db.write():
        lookup = Lookup(db)
        prepared = _prepare(desk, lookup, req)
        if req.external_id and tstore.external_ids_present(db, [req.external_id]):
            raise Conflict(f"a ticket with external id {req.external_id!r} already exists")
        batch = Batch()
        ticket_id = tstore.next_id(db)
        _build(desk, lookup, batch, ticket_id, req, prepared, clock.now())
        batch.flush(db, notify_desk=desk)
        lookup.save_round_robin()
        return tstore.get(db, ticket_id)


# --- listing and showing ------------------------------------------------------------------

class ListFilters(Record):
    status: list[str] = new(list)
    type: list[str] = new(list)
    assignee: str | None = None
    owner: str | None = None
    handler: str | None = None
    customer: str | None = None
    cc: str | None = None
    fields: dict = new(dict)
    created_since: str | None = None
    created_until: str | None = None
    updated_since: str | None = None
    updated_until: str | None = None
    overdue: bool = False
    search: str | None = None
    sort: str = "-id"
    after: str | None = None
    limit: int | None = 50
    details: bool = True  # CC lists, checklists and tags too (tables do not show them)


OPEN_WORD = {"open": ["awaiting_approval", "new", "assigned", "in_progress", "waiting"]}


def list_tickets(desk: Desk, f: ListFilters) -> tuple[list[Ticket], str | None]:
    """Tickets matching the filters, and the cursor of the next page (None on the last)."""
    actor = desk.actor
    require(actor, "ticket.view", "list tickets")
    db = desk.store
    with db.read():
        q = _query(desk, f)
        limit = q.limit
        if limit:
            q.limit = limit + 1
        tickets = tstore.query(db, q)
        if f.details:
            with_tags(db, tickets)
        cursor = None
        if limit and len(tickets) > limit:
            tickets = tickets[:limit]
            last = tickets[-1].id
            value = tstore.sort_value(db, q, last)
            cursor = str(last) if q.sort == "id" else f"{value},{last}"
        return tickets, cursor


def search_index_stale(desk: Desk) -> bool:
    """Whether the tickets' full-text index was built with another version of index_text
    than this deskcli's (a search may miss tickets until `deskcli db reindex`)."""
    from deskcli.search import tokens as search
    from deskcli.store import faq as fs

    return fs.index_version(desk.store, "ticket_fts") != search.INDEX_VERSION


def with_tags(db: Store, tickets: list[Ticket]) -> list[Ticket]:
    """Add each ticket's tags (one query for the page)."""
    from deskcli.store import life

    found = life.tags(db, [t.id for t in tickets])
    for t in tickets:
        t.extra["tags"] = found[t.id]
    return tickets


def _query(desk: Desk, f: ListFilters) -> "tstore.TicketQuery":
    db = desk.store
    actor = desk.actor
    q = tstore.TicketQuery(limit=f.limit, details=f.details)
    for status in (s.strip() for item in f.status for s in item.split(",")):
        if status in OPEN_WORD:
            q.statuses += OPEN_WORD[status]
        elif status not in STATUSES:
            raise Invalid(f"unknown status {status!r}",
                          f"statuses: {', '.join(STATUSES)} (or 'open' for all open ones)")
        elif status:
            q.statuses.append(status)
    types = []
    for key in (k.strip() for item in f.type for k in item.split(",") if k.strip()):
        ttype = ts.type_by_key(db, key)
        if ttype is None:
            raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
        types.append(ttype)
        q.type_ids.append(ttype.id)
    for role in ("assignee", "owner", "handler"):
        who = getattr(f, role)
        if who is not None:
            q.people[role] = _person_id(desk, who, allow_none=True)
    if f.customer:
        row = ps.customer_by_key(db, f.customer)
        if row is None:
            raise NotFound(f"no customer {f.customer!r}", "see `deskcli customer list`")
        q.customer_id = row["id"]
    if f.cc:
        q.cc_user_id = _person_id(desk, f.cc)
    for name, raw in f.fields.items():
        q.fields.append((name, _field_filter_value(db, types, name, raw)))
    if f.created_since:
        q.created_from = desk.when(f.created_since)
    if f.created_until:
        q.created_to = desk.when(f.created_until, end_of_day=True)
    if f.updated_since:
        q.updated_from = desk.when(f.updated_since)
    if f.updated_until:
        q.updated_to = desk.when(f.updated_until, end_of_day=True)
    if f.overdue:
        q.overdue_at = clock.stamp()
    if f.search:
        from deskcli.faq.words import filter_match

        q.match = filter_match(db, f.search)  # with the desk's synonyms
        if q.match is None:
            raise Invalid(f"nothing to search for in {f.search!r}", "give a word or two")
    q.visible_to = desk.visibility()
    sort = f.sort or "-id"
    q.descending = sort.startswith("-")
    q.sort = sort.lstrip("-+")
    if q.sort not in tstore.SORTS:
        raise Invalid(f"cannot sort by {q.sort!r}",
                      f"sort by {', '.join(tstore.SORTS)} (prefix - for descending)")
    if f.after:
        q.after = _cursor(f.after, q.sort)
    if actor.is_client:
        q.visible_to = ("client", actor.id)
    return q


def _cursor(text: str, sort: str) -> tuple:
    value, _, last_id = text.rpartition(",")
    if not last_id.isdigit() or (sort != "id" and not value):
        raise Invalid(f"bad page cursor {text!r}",
                      "pass exactly what the previous page printed after --after")
    if sort == "id":
        return (int(last_id), int(last_id))
    return (int(value) if sort == "priority" else value, int(last_id))


def _person_id(desk: Desk, who: str, allow_none: bool = False) -> int | None:
    if who == "@me":
        return desk.actor.id
    if allow_none and who == "none":
        return None
    row = ps.user_by_login(desk.store, who)
    if row is None:
        raise NotFound(f"no user {who!r}", "see `deskcli user list` (or use @me / none)")
    return row["id"]


def _field_filter_value(db: Store, types: list[TicketType], name: str, raw: str):
    """Convert a --field filter value to its stored form using the field's definition."""
    from deskcli.types.fields import convert

    candidates = types or ts.types(db, include_disabled=True)
    for ttype in candidates:
        fdef = ttype.field(name)
        if fdef is not None:
            fdef = type(fdef)(**{**fdef.__dict__, "pattern": None})
            value, problem = convert(fdef, raw)
            if problem:
                raise Invalid(f"--field {name}: {problem}")
            return int(value) if isinstance(value, bool) else value
    raise Invalid(f"no ticket type has a field {name!r}",
                  "see the fields with `deskcli type show TYPE`")


def show_ticket(desk: Desk, ticket_id: int, *, internal: bool = True) -> Ticket:
    """One ticket with its whole timeline (clients see only public events)."""
    actor = desk.actor
    require(actor, "ticket.view", "see tickets")
    with desk.store.read():
        ticket = visible_ticket(desk, ticket_id, events=True)
        if actor.is_client or not internal:
            ticket.events = [e for e in ticket.events if e["visibility"] == "public"]
        ticket.extra.update(details(desk.store, ticket.id))
        return ticket


def details(db: Store, ticket_id: int) -> dict:
    """What `ticket show` adds: contacts, tags, links, attachments, time worked, rating."""
    from deskcli.store import life

    found = life.details(db, ticket_id)
    found["contacts"] = [c["email"] for c in found["contacts"]]
    found["attachments"] = [{k: x[k] for k in ("name", "size", "content_type", "added_by",
                                               "added_at")} for x in found["attachments"]]
    return found


def visible_ticket(desk: Desk, ticket_id: int, *, events: bool = False) -> Ticket:
    """Load a ticket the actor may see; others are reported as not found (no leaks)."""
    db = desk.store
    visibility = desk.visibility()
    if visibility is not None:
        q = tstore.TicketQuery(visible_to=visibility, ids=[ticket_id], limit=1)
        if not tstore.count(db, q):
            raise NotFound(f"no ticket #{ticket_id} that you can see",
                           "see `deskcli ticket list` for the tickets visible to you")
    ticket = tstore.get(db, ticket_id, events=events)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}", "see `deskcli ticket list`")
    return ticket

