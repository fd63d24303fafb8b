"""Use cases around a ticket: CC, set fields, checklist, tags, time worked and the
customer's rating. Same order as the ticket life: load -> policy -> no-op ->
workflow -> writes and events, in one transaction."""

import json
import re

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Invalid, NotFound, ValidationErrors
from deskcli.models import PRIORITIES
from deskcli.store import life
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.tickets.life import Act, Outcome
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
    from deskcli.tickets.opening import Lookup, _cc_ref

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

