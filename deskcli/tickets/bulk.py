"""Bulk ticket import and export (JSONL), for other systems and for moving desks.

Import is all-or-nothing: every line is validated and routed like `ticket open`, rows are
written in batches inside one transaction, and the first bad line rolls everything back
and is named by its number. A large import (at least as many tickets as the desk held)
drops the ticket and event indexes and builds them again at the end (on SQLite; on
PostgreSQL dropping one would lock every reader out until the commit). Memory stays flat:
lines are read as a stream and at most one batch of rows is held. `external_id` makes
re-imports idempotent (known ids are skipped). An input of more than one chunk is read,
parsed, validated and tokenised by a worker process (bulk_check.py) while this process
routes each ticket in input order and writes.
"""

from collections.abc import Callable, Iterable
from contextlib import nullcontext

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import DeskError, Invalid, ValidationErrors
from deskcli.policy import require
from deskcli.store import bulk_load
from deskcli.store import tickets as tstore
from deskcli.tickets.opening import Batch, ListFilters, Lookup, _query, _rows

BATCH = 5000
DEFER_INDEXES_AT = 20_000  # tickets added before the indexes may be dropped (see below)
WORKER = True  # a worker process checks the lines of an input of two chunks or more
EARLY_FLUSH = 500  # rows written before BATCH when the worker has nothing ready yet
APSW_FROM = BATCH  # lines expected from which the import writes through apsw, if installed


def import_tickets(desk: Desk, lines: Iterable[str],
                   progress: Callable[..., None] | None = None,
                   expected: int | None = None) -> dict:
    """Open tickets from JSONL lines; returns counts {imported, skipped, lines} and whether
    the ticket and event indexes were dropped and built again (rebuilt_indexes).
    `progress(lines_read)` is called after every batch, and `progress(lines_read,
    "building the indexes")` before a rebuild (tens of seconds for a million tickets).
    `expected`, the number of lines the input probably has (from a file's size), lets a
    large import drop the indexes after its first batch instead of after 20,000 tickets:
    the tickets to come are projected from the lines imported so far."""
    from deskcli.tickets.import_worker import LineChecker, Reader, checked

    require(desk.actor, "ticket.open", "open tickets")
    require(desk.actor, "ticket.import", "import tickets")
    db = desk.store
    imported = skipped = 0
    ignored: set[str] = set()
    now = clock.now()
    unjournaled = False
    if expected and expected >= APSW_FROM:
        existing = tstore.next_id(db) - 1 if db.dialect == "sqlite" else 0
        unjournaled = db.bulk_writer()  # (False on PostgreSQL)
    db.bulk_cache()
    with db.without_journal(existing, expected) if unjournaled else nullcontext(), db.write():
        lookup = Lookup(db)
        checker = LineChecker(desk, lookup)
        batch = Batch()
        pending: list[tuple] = []
        first_id = next_id = tstore.next_id(db)
        # A repeated external_id is found in the database, not in a set of every id read
        # (93 MiB for a million lines): a stored one with an id from this import came
        # from an earlier line of the same input.

        def flush(number: int):
            nonlocal imported, skipped, next_id
            known = tstore.external_ids_present(db, [r[9] for r in pending if r[9]])
            in_batch: dict[str, int] = {}
            ticket_type = lookup.ticket_type  # (the checks were done with the line)
            for (line_no, key, title, body, priority, customer, customer_key, cc_refs,
                 source, external_id, fields_json, title_tokens, body_tokens,
                 line_ignored) in pending:
                if line_ignored:
                    ignored.update(line_ignored)
                if external_id:
                    earlier = in_batch.get(external_id)
                    if earlier or known.get(external_id, 0) >= first_id:
                        where = f"line {earlier}" if earlier else "an earlier line"
                        raise Invalid(f"line {line_no}: external_id {external_id!r} "
                                      f"appears twice in the input (also on {where})")
                    in_batch[external_id] = line_no
                    if external_id in known:
                        skipped += 1
                        continue
                try:
                    _rows(desk, lookup, batch, next_id,
                          (ticket_type(key), title, priority, None, customer, cc_refs, source),
                          now, body, customer_key, external_id, fields_json,
                          (title_tokens, body_tokens))
                except ValidationErrors as exc:  # takes a list of problems, not a message
                    raise ValidationErrors([f"line {line_no}: {exc.message}"],
                                           exc.hint) from None
                except DeskError as exc:
                    raise type(exc)(f"line {line_no}: {exc.message}", exc.hint) from None
                next_id += 1
                imported += 1
            batch.flush(db)
            projected = imported * expected // number if expected and number else 0
            indexes.added(max(imported, projected))
            pending.clear()
            if progress:
                progress(number)

        indexes = bulk_load.DeferredIndexes(db, existing=first_id - 1, least=DEFER_INDEXES_AT)
        reader = Reader(lines)
        with bulk_load.triggers_paused(db, first_id), bulk_load.text_buffer(db):
            chunks = checked(reader, checker.check, worker=WORKER)
            try:
                while True:
                    try:
                        chunk = next(chunks, None)
                    except DeskError:  # a bad line, found while checking it
                        if pending:  # a problem of an earlier line is named first
                            flush(pending[-1][0])
                        raise
                    if chunk is None:
                        break
                    if not chunk:  # the worker is not ready: write what came meanwhile
                        if len(pending) >= EARLY_FLUSH:
                            flush(pending[-1][0])
                        continue
                    for row in chunk:
                        pending.append(row)
                        if len(pending) >= BATCH:
                            flush(row[0])
            finally:
                chunks.close()  # on an error, the worker is stopped now
            flush(reader.count)
            rebuilt = indexes.deferred
            if rebuilt and progress:
                progress(reader.count, "building the indexes")
            indexes.rebuild()
        lookup.save_round_robin()
    return {"imported": imported, "skipped": skipped, "lines": reader.count,
            "rebuilt_indexes": rebuilt, "ignored_keys": sorted(ignored)}


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
