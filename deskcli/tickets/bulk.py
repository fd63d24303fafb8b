"""Bulk ticket import and export (JSONL), for other systems and for moving desks.

Import is all-or-nothing: every line is validated and routed like `ticket open`, rows are
written in batches inside one transaction, and the first bad line rolls everything back
and is named by its number. A large import (at least as many tickets as the desk held)
drops the ticket and event indexes and builds them again at the end. Memory stays flat:
lines are read as a stream and at most one batch of rows is held. `external_id` makes
re-imports idempotent (known ids are skipped).
"""

import json
from collections.abc import Callable, Iterable

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import DeskError, Invalid, ValidationErrors
from deskcli.policy import require
from deskcli.records import refuse_bad_text
from deskcli.search import tokens as search
from deskcli.store import tickets as tstore
from deskcli.tickets.opening import (
    Batch,
    ListFilters,
    Lookup,
    OpenRequest,
    _build,
    _prepare,
    _query,
)

IMPORT_KEYS = ("type", "title", "body", "customer", "fields", "priority", "cc", "source",
               "external_id")
# What a `ticket list --format jsonl` (or `queue list`, `ticket show --json`) line adds
# about the ticket's life on its desk. An import opens the ticket anew (validated and
# routed like `ticket open`), so these are ignored, and the counts say which were.
READ_ONLY_KEYS = frozenset((
    "id", "status", "assignee", "owner", "handler", "opened_by", "checklist", "created_at",
    "updated_at", "accept_due_at", "resolve_due_at", "accepted_at", "resolved_at",
    "closed_at", "resolution", "merged_into", "nudges", "approver", "tags", "events",
    "faq", "faq_ids", "queue_reason"))
BATCH = 5000
DEFER_INDEXES_AT = 20_000  # tickets added before the indexes may be dropped (see below)


def import_tickets(desk: Desk, lines: Iterable[str],
                   progress: Callable[..., None] | None = None) -> dict:
    """Open tickets from JSONL lines; returns counts {imported, skipped, lines} and whether
    the ticket and event indexes were dropped and built again (rebuilt_indexes).
    `progress(lines_read)` is called after every batch, and `progress(lines_read,
    "building the indexes")` before a rebuild (tens of seconds for a million tickets)."""
    require(desk.actor, "ticket.open", "open tickets")
    require(desk.actor, "ticket.import", "import tickets")
    db = desk.store
    imported = skipped = number = 0
    ignored: set[str] = set()
    now = clock.now()
    db.bulk_cache()
    search.for_bulk()
    with db.write():
        lookup = Lookup(db, preload_customers=True)
        batch = Batch()
        pending: list[tuple[int, OpenRequest]] = []
        first_id = next_id = tstore.next_id(db)
        # A repeated external_id is found in the database, not in a set of every id read
        # (93 MiB for a million lines): a stored one with an id from this import came
        # from an earlier line of the same input.

        def flush():
            nonlocal imported, skipped, next_id
            known = tstore.external_ids_present(
                db, [r.external_id for _, r in pending if r.external_id])
            in_batch: dict[str, int] = {}
            for line_no, req in pending:
                if req.external_id:
                    earlier = in_batch.get(req.external_id)
                    if earlier or known.get(req.external_id, 0) >= first_id:
                        where = f"line {earlier}" if earlier else "an earlier line"
                        raise Invalid(f"line {line_no}: external_id {req.external_id!r} "
                                      f"appears twice in the input (also on {where})")
                    in_batch[req.external_id] = line_no
                if req.external_id and req.external_id in known:
                    skipped += 1
                    continue
                try:
                    prepared = _prepare(desk, lookup, req)
                    _build(desk, lookup, batch, next_id, req, prepared, now)
                except ValidationErrors as exc:  # takes a list of problems, not a message
                    raise ValidationErrors([f"line {line_no}: {exc.message}"],
                                           exc.hint) from None
                except DeskError as exc:
                    raise type(exc)(f"line {line_no}: {exc.message}", exc.hint) from None
                next_id += 1
                imported += 1
            batch.flush(db)
            indexes.added(imported)
            pending.clear()
            if progress:
                progress(number)

        indexes = tstore.DeferredIndexes(db, existing=first_id - 1, least=DEFER_INDEXES_AT)
        with tstore.triggers_paused(db, first_id):
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                pending.append((number, _parse_line(line, number, ignored)))
                if len(pending) >= BATCH:
                    flush()
            flush()
            rebuilt = indexes.deferred
            if rebuilt and progress:
                progress(number, "building the indexes")
            indexes.rebuild()
        lookup.save_round_robin()
    return {"imported": imported, "skipped": skipped, "lines": number,
            "rebuilt_indexes": rebuilt, "ignored_keys": sorted(ignored)}


def _parse_line(line: str, number: int, ignored: set[str]) -> OpenRequest:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise Invalid(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})",
                      "each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise Invalid(f"line {number}: expected a JSON object, got {type(data).__name__}")
    unknown = set(data) - set(IMPORT_KEYS) - READ_ONLY_KEYS
    ignored.update(READ_ONLY_KEYS.intersection(data))
    if unknown:
        raise Invalid(f"line {number}: unknown key {', '.join(sorted(unknown))}",
                      f"keys: {', '.join(IMPORT_KEYS)}")
    fields = data.get("fields") or {}
    cc = data.get("cc") or []
    if not isinstance(fields, dict):
        raise Invalid(f"line {number}: 'fields' must be an object")
    if not isinstance(cc, list) or not all(isinstance(x, str) for x in cc):
        raise Invalid(f"line {number}: 'cc' must be a list of logins or dept:KEY")
    for key in ("type", "title", "body", "customer", "priority", "source", "external_id"):
        value = data.get(key)
        if value is not None and not (isinstance(value, str) or key == "external_id"
                                      and isinstance(value, int)
                                      and not isinstance(value, bool)):
            raise Invalid(f"line {number}: {key!r} must be a string, not "
                          f"{json.dumps(value)[:40]}")
    for name, value in fields.items():
        if isinstance(value, dict | list):
            raise Invalid(f"line {number}: the field {name!r} must be a string, number or "
                          "true/false, not an object or a list")
    refuse_bad_text(data, f"line {number}")
    external = data.get("external_id")
    return OpenRequest(type=data.get("type") or "", title=data.get("title") or "",
                       body=data.get("body") or "", customer=data.get("customer"),
                       fields=fields, priority=data.get("priority"), cc=cc,
                       source=data.get("source"),
                       external_id=None if external is None else str(external))


def export_tickets(desk: Desk, filters: ListFilters):
    """Yield one importable dict per ticket (oldest first), in pages, so a desk of any size
    streams. Tickets without an external id get `DESK#ID`, so importing the export into
    another desk twice adds them once."""
    require(desk.actor, "ticket.import", "export tickets")
    desk_name = desk.setting("desk.name") or desk.store.stem
    with desk.store.read():
        q = _query(desk, filters)
        q.sort, q.descending, q.limit = "id", False, 1000
        while True:
            page = tstore.query(desk.store, q)
            for t in page:
                yield {"type": t.type, "title": t.title, "body": t.body,
                       "customer": t.customer, "fields": t.fields, "priority": t.priority,
                       "cc": t.cc, "source": t.source,
                       "external_id": t.external_id or f"{desk_name}#{t.id}"}
            if len(page) < q.limit:
                return
            q.after = (page[-1].id, page[-1].id)
