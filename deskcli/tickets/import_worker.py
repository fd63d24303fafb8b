"""Checking the lines of a ticket import: parse, validate, tokenise. This is the part of
an import that needs no database and no other line, so a worker process does it for a
large input while the main process routes and writes in order (bulk.py).

A line becomes one plain tuple (see `check`), no object per line. Every type, customer,
user and department a line may name is loaded before the worker starts (Lookup.preload):
the worker inherits them with the process and never touches the desk's connection.
"""

import json
import os
from collections.abc import Callable, Iterable, Iterator

from deskcli import errors
from deskcli.errors import DeskError, Invalid, ValidationErrors
from deskcli.records import may_hold_bad_text, refuse_bad_text

CHUNK = 1000  # lines per message to and from the worker
IN_FLIGHT = 16  # chunks sent and not yet taken back: the memory of the pipeline is flat
POLL = 1.0  # seconds between checks that the other process still lives


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

KNOWN_KEYS = READ_ONLY_KEYS.union(IMPORT_KEYS)
# json.dumps(values, ensure_ascii=False), without a new encoder per line
_fields_json = json.JSONEncoder(ensure_ascii=False).encode
TEXT_KEYS = ("type", "title", "body", "customer", "priority", "source", "external_id")


def _parse_line(line: str, number: int) -> tuple:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise Invalid(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})",
                      "each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise Invalid(f"line {number}: expected a JSON object, got {type(data).__name__}")
    if not KNOWN_KEYS.issuperset(data):
        unknown = set(data) - KNOWN_KEYS
        raise Invalid(f"line {number}: unknown key {', '.join(sorted(unknown))}",
                      f"keys: {', '.join(IMPORT_KEYS)}")
    fields = data.get("fields") or {}
    cc = data.get("cc") or []
    if not isinstance(fields, dict):
        raise Invalid(f"line {number}: 'fields' must be an object")
    if not isinstance(cc, list) or not all(isinstance(x, str) for x in cc):
        raise Invalid(f"line {number}: 'cc' must be a list of logins or dept:KEY")
    for key in TEXT_KEYS:
        value = data.get(key)
        # (json.loads makes no subclass of str: the class test is the isinstance)
        if value is not None and value.__class__ is not str and not (
                key == "external_id" and value.__class__ is int):
            raise Invalid(f"line {number}: {key!r} must be a string, not "
                          f"{json.dumps(value)[:40]}")
    for name, value in fields.items():
        if isinstance(value, dict | list):
            raise Invalid(f"line {number}: the field {name!r} must be a string, number or "
                          "true/false, not an object or a list")
    if may_hold_bad_text(line):
        refuse_bad_text(data, f"line {number}")
    external = data.get("external_id")
    # (type, title, body, customer, fields, priority, cc, source, external_id, the
    # read-only keys of a listing that the line carries and the import ignores)
    return (data.get("type") or "", data.get("title") or "", data.get("body") or "",
            data.get("customer"), fields, data.get("priority"), cc, data.get("source"),
            None if external is None else str(external),
            () if READ_ONLY_KEYS.isdisjoint(data) else tuple(READ_ONLY_KEYS.intersection(data)))


class LineChecker:
    """What a line of `ticket import` is checked against: the desk's types (their checks
    done once per type), customers, users and departments, all preloaded."""

    def __init__(self, desk, lookup):
        from deskcli.search import tokens as search

        lookup.preload()
        search.for_bulk()
        self.desk, self.lookup = desk, lookup
        self.types: dict = {}
        self.source = f"access:{desk.actor.login}" if desk.actor.is_client else None
        self.index_text = search.index_text

    def check(self, number: int, line: str) -> tuple:
        """(line number, type key, title, body, priority, customer, customer key, CC
        references, source, external_id, the fields as JSON, title tokens, body tokens,
        the listing's read-only keys the line carries),
        or the line's first problem as a DeskError naming the line."""
        from deskcli.tickets.opening import _cc_refs, _checked, _customer, _usable_type

        (key, title, body, customer_key, fields, priority, cc, source, external_id,
         ignored) = _parse_line(line, number)
        lookup = self.lookup
        try:
            ttype = self.types.get(key)
            if ttype is None:
                ttype = self.types[key] = _usable_type(self.desk, lookup, key)
            title, priority, values = _checked(ttype, title, priority, fields)
            customer = _customer(lookup, customer_key)
            cc_refs = _cc_refs(lookup, ttype, cc) if cc or ttype.cc else ()
        except ValidationErrors as exc:  # takes a list of problems, not a message
            raise ValidationErrors([f"line {number}: {exc.message}"], exc.hint) from None
        except DeskError as exc:
            raise type(exc)(f"line {number}: {exc.message}", exc.hint) from None
        index_text = self.index_text
        return (number, key, title, body, priority, customer, customer_key, cc_refs,
                self.source or source, external_id,
                _fields_json(values) if values else "{}",
                index_text(title), index_text(body), ignored)


class Reader:
    """Numbered non-blank lines in chunks; `count` is how many lines were read (blank
    ones included), as the import reports."""

    def __init__(self, lines: Iterable[str], size: int | None = None):
        self.lines, self.size, self.count = lines, size or CHUNK, 0

    def __iter__(self) -> Iterator[list[tuple[int, str]]]:
        chunk: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, start=1):
            self.count = number
            if line.strip():
                chunk.append((number, line))
                if len(chunk) >= self.size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk


def checked(reader: Reader, check: Callable[[int, str], tuple],
            worker: bool = True) -> Iterator[list[tuple]]:
    """Chunks of checked lines, in input order; the first bad line raises its error
    after the good lines before it were yielded. With `worker` and more than one chunk
    of input, a worker process reads and checks the rest (one worker: two were slower
    on 2 cores) and `reader.count` is set when the last chunk has come back; an empty
    chunk now and then says that the next one is not ready yet (a moment to write)."""
    chunks = iter(reader)
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or not worker:
        for chunk in (first, second) if second else (first,):
            yield _check_chunk(chunk, check)
        for chunk in chunks:
            yield _check_chunk(chunk, check)
        return
    yield from _in_worker(check, reader, _chain(first, second, chunks))


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest


def _check_chunk(chunk, check) -> list[tuple]:
    return [check(number, line) for number, line in chunk]


def _in_worker(check, reader: Reader, chunks) -> Iterator[list[tuple]]:
    """The worker is a fork of this process: it goes on reading the same input (a file
    object shares its position with the fork; this process reads nothing more) and
    sends each chunk's tuples back marshalled (several times cheaper than pickle),
    at most IN_FLIGHT chunks ahead."""
    import marshal
    import multiprocessing
    import queue

    context = multiprocessing.get_context("fork")
    results, room = context.Queue(), context.Semaphore(IN_FLIGHT)
    worker = context.Process(target=_work, args=(check, reader, chunks, results, room,
                                                 os.getpid()),
                             daemon=True, name="deskcli-import-check")
    worker.start()
    done = False
    idle = False  # whether [] was yielded since the last chunk
    try:
        while True:
            if not idle and results.empty():
                idle = True
                yield []  # nothing ready: the caller may write what it holds meanwhile
                continue
            try:
                message = results.get(timeout=POLL)
            except queue.Empty:
                if not worker.is_alive():
                    raise DeskError("the import's worker process stopped unexpectedly",
                                    "nothing was written; run the import again") from None
                continue
            room.release()
            idle = False
            kind, payload = message
            if kind == "chunk":
                yield marshal.loads(payload)
            elif kind == "end":
                reader.count = payload
                done = True
                return
            elif kind == "raise":
                done = True
                raise payload
            else:  # the first bad line: (error class name, message, hint)
                done = True
                name, text, hint = payload
                error = getattr(errors, name)
                raise (error([text], hint) if error is ValidationErrors else error(text, hint))
    finally:
        if not done:
            worker.kill()
        worker.join()
        results.cancel_join_thread()
        results.close()


def _work(check, reader: Reader, chunks, results, room, parent: int) -> None:
    """The worker: read and check chunks until the input ends, the first bad line, or
    the parent's end (a `kill -9` of the import must not leave it behind). Ctrl-C is the
    parent's to handle; any other exception (unreadable input, a bug) is sent back for
    the parent to raise, as if it had met it itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    last = _produce(check, reader, chunks, results, room, parent)
    if last is not None and _room(room, results, parent):
        results.put(last)
        # Leave once the parent took every message (all IN_FLIGHT places are free again)
        # or is gone: at exit the queue waits until what it buffered is written, which a
        # dead parent would never read.
        for _ in range(IN_FLIGHT):
            if not _room(room, results, parent):
                return


def _produce(check, reader: Reader, chunks, results, room, parent: int):
    """Send the checked chunks; returns the last message to send (None: the parent is
    gone)."""
    import marshal
    import pickle

    try:
        for chunk in chunks:
            try:
                out = [check(number, line) for number, line in chunk]
            except DeskError as exc:
                return ("error", (type(exc).__name__, exc.message, exc.hint))
            if not _room(room, results, parent):  # a place per message sent
                return None
            results.put(("chunk", marshal.dumps(out)))
    except Exception as exc:  # noqa: BLE001 (raised again in the parent)
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return ("raise", exc)
    return ("end", reader.count)


def _room(room, results, parent: int) -> bool:
    """Wait until fewer than IN_FLIGHT chunks are on their way; False when the parent is
    gone (then nothing buffered is waited for at exit: nobody would read it)."""
    while not room.acquire(timeout=POLL):
        if os.getppid() != parent:
            results.cancel_join_thread()
            return False
    return True
