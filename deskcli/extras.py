"""Use cases around a ticket: CC, set fields, checklist, attachments, links, merge, tags,
time worked and the customer's rating. Same order as lifecycle: load -> policy -> no-op ->
workflow -> writes and events, in one transaction."""

import json
import os
import re

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound, ValidationErrors
from deskcli.lifecycle import Act, Outcome
from deskcli.models import PRIORITIES
from deskcli.store import life
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.types.fields import validate

TAG = re.compile(r"[\w][\w.:/-]{0,39}")


def cc(desk: Desk, ticket_id: int, add: list[str], remove: list[str]) -> Outcome:
    """Add or remove CC entries (LOGIN, user:LOGIN or dept:KEY)."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("cc")
        a.move("cc")
        changed = []
        for entry in remove:
            ref = _cc_ref(a.db, entry)
            if life.remove_cc(a.db, a.id, *ref):
                a.event("cc_removed", frm=entry)
                changed.append(f"-{entry}")
        for entry in add:
            ref = _cc_ref(a.db, entry)
            if not life.has_cc(a.db, a.id, *ref):
                tstore.insert_cc(a.db, [(a.id, *ref)])
                a.event("cc_added", to=entry)
                changed.append(f"+{entry}")
        if not changed:
            return a.done(noop=f"the CC list of #{a.id} already is as asked")
        a.save()
        return a.done()


def _cc_ref(db, entry: str) -> tuple[int | None, int | None]:
    """LOGIN, user:LOGIN or dept:KEY -> (dept_id, user_id), as `ticket open --cc` reads it."""
    from deskcli.tickets import Lookup, _cc_ref

    return _cc_ref(Lookup(db), entry)


def set_values(desk: Desk, ticket_id: int, *, fields: dict, priority: str | None,
               title: str | None) -> Outcome:
    """Change custom fields, priority or title; validated like at open."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("set")
        a.move("set")
        current = json.loads(a.row["fields"])
        if fields:
            ttype = ts.type_by_id(a.db, a.row["type_id"])
            clean, problems = validate(ttype.fields, fields, type_key=ttype.key,
                                       require_all=False)
            if problems:
                raise ValidationErrors(problems, f"see `deskcli type show {ttype.key}`")
            updated = dict(current)
            for name in fields:
                if name in clean:
                    updated[name] = clean[name]
                else:
                    updated.pop(name, None)  # an optional field set to '' is cleared
            for name in sorted(set(current) | set(updated)):
                if current.get(name) != updated.get(name):
                    a.event("field_changed", frm=_text(current.get(name)),
                            to=_text(updated.get(name)), data={"field": name})
            if updated != current:
                a.changes["fields"] = json.dumps(updated, ensure_ascii=False)
        if priority is not None and priority != a.row["priority"]:
            if priority not in PRIORITIES:
                raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}")
            a.changes["priority"] = priority
            a.event("priority_changed", frm=a.row["priority"], to=priority)
        if title is not None and title.strip() != a.row["title"]:
            if not title.strip():
                raise Invalid("the title cannot be empty")
            a.changes["title"] = title.strip()
            a.event("title_changed", frm=a.row["title"], to=title.strip())
            from deskcli.search import tokens as search  # only a new title needs the tokenizer

            tstore.reindex_text(a.db, a.id, search.index_text(title.strip()),
                                search.index_text(a.row["body"]))
        if not a.changes:
            return a.done(noop=f"#{a.id} already has those values")
        a.save()
        return a.done()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def check(desk: Desk, ticket_id: int, step: str, undo: bool = False) -> Outcome:
    """Tick (or with undo, untick) a checklist step, by number (from 1) or text."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("check")
        steps = life.steps(a.db, a.id)
        if not steps:
            raise NotFound(f"#{a.id} has no checklist")
        match = [s for s in steps if (step.isdigit() and s["position"] == int(step))
                 or s["text"] == step] or [s for s in steps if step.lower() in s["text"].lower()]
        if len(match) != 1:
            listing = "; ".join(f"{s['position']}. {s['text']}" for s in steps)
            raise NotFound(f"#{a.id} has {'no' if not match else 'more than one'} step matching "
                           f"{step!r}", f"its steps: {listing}")
        target = match[0]
        if (target["done_at"] is not None) != undo:
            state = "not ticked" if undo else "already ticked"
            return a.done(noop=f"step {target['position']} of #{a.id} is {state}")
        a.move("check")
        life.tick(a.db, a.id, target["position"], None if undo else a.at,
                  None if undo else a.actor.id)
        a.event("unchecked" if undo else "checked", message=target["text"],
                data={"step": target["position"]})
        a.save()
        return a.done()


# --- attachments --------------------------------------------------------------------------

# the usual attachments, so a command need not load the system's MIME table
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                 "gif": "image/gif", "webp": "image/webp", "pdf": "application/pdf",
                 "txt": "text/plain", "log": "text/plain", "csv": "text/csv",
                 "json": "application/json", "zip": "application/zip",
                 "mp4": "video/mp4", "mov": "video/quicktime", "heic": "image/heic",
                 "doc": "application/msword", "xls": "application/vnd.ms-excel",
                 "docx": "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _content_type(name: str) -> str | None:
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    import mimetypes

    return mimetypes.guess_type(name)[0]


def attach(desk: Desk, ticket_id: int, files: list) -> Outcome:
    """Store files (paths) with the ticket, inside the desk (one file is the whole desk),
    each under its base name."""
    limit = _size_limit(desk.setting("attachments.max-size") or "10M")
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("attach")
        a.move("attach")
        for path in files:
            name = os.path.basename(path)
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise Invalid(f"cannot read {path}: {exc.strerror}") from None
            if len(data) > limit:
                raise Invalid(f"{name} is {len(data):,} bytes; the desk accepts at most "
                              f"{limit:,}", "an admin can raise it: deskcli config set "
                                            "attachments.max-size 25M")
            import hashlib  # here: only attach needs it (it costs a few ms to import)

            content_type = _content_type(name)
            digest = hashlib.sha256(data).hexdigest()
            life.add_attachment(a.db, a.id, name, data, content_type, digest, a.actor.id,
                                a.at)
            a.event("attached", to=name, message=f"{name} ({len(data):,} bytes)",
                    data={"size": len(data), "sha256": digest})
        a.save()
        return a.done()


def _size_limit(text: str) -> int:
    match = re.fullmatch(r"(\d+)([KMG]?)", text.strip().upper())
    if not match:
        return 10 * 2**20
    return int(match[1]) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[match[2]]


def attachment(desk: Desk, ticket_id: int, name: str | None):
    """An attachment's (name, bytes), or with no name the list of attachments."""
    from deskcli.tickets import visible_ticket

    with desk.store.read():
        visible_ticket(desk, ticket_id)
        if name is None:
            return life.attachments(desk.store, ticket_id)
        found = life.attachment_data(desk.store, ticket_id, name)
        if found is None:
            names = ", ".join(x["name"] for x in life.attachments(desk.store, ticket_id))
            raise NotFound(f"#{ticket_id} has no attachment {name!r}",
                           f"its attachments: {names or 'none'}")
        return found[0], bytes(found[1])


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


# --- tags, time, rating -------------------------------------------------------------------

def tag(desk: Desk, ticket_id: int, changes: list[str]) -> Outcome:
    """Tags: '+x' or 'x' adds, '-x' removes."""
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("tag")
        a.move("tag")
        done = []
        for change in changes:
            sign, name = (change[0], change[1:]) if change[:1] in "+-" else ("+", change)
            name = name.strip().lower()
            if not TAG.fullmatch(name):
                raise Invalid(f"{name!r} is not a tag", "use letters, digits and . : / - _ "
                                                        "(up to 40), e.g. +vip -billing")
            if sign == "+" and life.add_tag(a.db, a.id, name):
                done.append(f"+{name}")
            elif sign == "-" and life.remove_tag(a.db, a.id, name):
                done.append(f"-{name}")
        if not done:
            return a.done(noop=f"the tags of #{a.id} already are as asked")
        a.event("tagged", to=" ".join(done))
        a.save()
        return a.done()


def log_time(desk: Desk, ticket_id: int, duration: str, message: str | None) -> Outcome:
    seconds = clock.parse_duration(duration)
    if seconds <= 0:
        raise Invalid("log a positive duration", "e.g. deskcli ticket log 42 30m")
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("log")
        a.move("log")
        life.log_time(a.db, a.id, a.actor.id, seconds, a.at, message)
        a.event("time_logged", to=clock.format_duration(seconds), message=message,
                data={"seconds": seconds})
        a.save()
        return a.done()


def rate(desk: Desk, ticket_id: int, score: int, message: str | None) -> Outcome:
    if not 1 <= score <= 5:
        raise Invalid(f"a rating is 1 to 5, not {score}")
    with desk.store.write():
        a = Act(desk, ticket_id)
        a.permit("rate")
        a.move("rate")
        life.rate(a.db, a.id, score, message, a.actor.id, a.at)
        a.event("rated", to=str(score), message=message, data={"score": score})
        a.save()
        return a.done()

