"""Use cases for ticket types: data, not code. A type can be defined in one command or
built up with `update`; changes never rewrite existing tickets (they carry copies of what
they need: field values, checklist, due times)."""


from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.models import PRIORITIES, TicketType
from deskcli.people.staff import check_key
from deskcli.plain import Record, new
from deskcli.policy import require
from deskcli.store import Store
from deskcli.store import people as ps
from deskcli.store import types as ts
from deskcli.types.fields import check_pattern, parse_assignments, parse_field_spec
from deskcli.types.routing import parse_route

CLEAR = ("none", "")


class TypeChanges(Record):
    """What `type add` / `type update` were given; None means 'leave as it is'."""

    name: str | None = None
    description: str | None = None
    priority: str | None = None
    fields: list[str] = new(list)  # NAME:KIND[!][=A|B]
    remove_fields: list[str] = new(list)
    labels: list[str] = new(list)  # NAME=LABEL
    patterns: list[str] = new(list)  # NAME=REGEX
    hints: list[str] = new(list)  # NAME=TEXT
    route: str | None = None
    cc: list[str] = new(list)
    remove_cc: list[str] = new(list)
    accept_within: str | None = None
    resolve_within: str | None = None
    nudge_every: str | None = None
    escalate_after: str | None = None
    approver: str | None = None
    steps: list[str] = new(list)
    remove_steps: list[str] = new(list)
    clear_steps: bool = False
    active: bool | None = None


def type_add(desk: Desk, key: str, changes: TypeChanges) -> TicketType:
    require(desk.actor, "type.manage", "add ticket types")
    check_key(key, "type key")
    if not changes.name:
        raise Invalid("a ticket type needs a name", f"add --name, e.g. deskcli type add {key} "
                                                    "--name 'App crash'")
    with desk.store.write():
        if ts.type_by_key(desk.store, key):
            raise Conflict(f"ticket type {key!r} already exists",
                           f"change it with `deskcli type update {key} ...`")
        ttype = TicketType(id=None, key=key, name=changes.name)
        return _apply(desk.store, ttype, changes)


def type_update(desk: Desk, key: str, changes: TypeChanges) -> TicketType:
    require(desk.actor, "type.manage", "change ticket types")
    with desk.store.write():
        return _apply(desk.store, _get(desk.store, key), changes)


def type_disable(desk: Desk, key: str) -> TicketType:
    return type_update(desk, key, TypeChanges(active=False))


def type_show(desk: Desk, key: str) -> TicketType:
    require(desk.actor, "ticket.view", "see ticket types")
    with desk.store.read():
        return _get(desk.store, key)


def type_list(desk: Desk, include_disabled: bool = False) -> list[TicketType]:
    require(desk.actor, "ticket.view", "see ticket types")
    with desk.store.read():
        return ts.types(desk.store, include_disabled=include_disabled)


def _get(db: Store, key: str) -> TicketType:
    ttype = ts.type_by_key(db, key)
    if ttype is None:
        raise NotFound(f"no ticket type {key!r}",
                       "see `deskcli type list`, or add it with `deskcli type add`")
    return ttype


def _apply(db: Store, ttype: TicketType, c: TypeChanges) -> TicketType:
    if c.name:
        ttype.name = c.name
    if c.description is not None:
        ttype.description = c.description or None
    if c.priority is not None:
        if c.priority not in PRIORITIES:
            raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}, not {c.priority!r}")
        ttype.priority = c.priority
    _apply_fields(ttype, c)
    if c.route is not None:
        kind, arg = parse_route(c.route)
        if kind == "user":
            _staff(db, arg, "the routing rule")
        elif kind in ("round-robin", "least-loaded") and ps.dept_by_key(db, arg) is None:
            raise NotFound(f"routing rule {c.route}: no department {arg!r}",
                           "see `deskcli dept list`")
        ttype.route = c.route.strip()
    for attr in ("accept_within", "resolve_within", "nudge_every"):
        value = getattr(c, attr)
        if value is not None:
            setattr(ttype, attr, None if value in CLEAR else clock.parse_duration(value))
    if c.escalate_after is not None:
        if c.escalate_after in CLEAR:
            ttype.escalate_after = None
        elif not str(c.escalate_after).isdigit() or int(c.escalate_after) < 1:
            raise Invalid(f"--escalate-after takes a number of nudges (1 or more), "
                          f"not {c.escalate_after!r}")
        else:
            ttype.escalate_after = int(c.escalate_after)
    if c.approver is not None:
        if c.approver in CLEAR:
            ttype.approver = None
        else:
            if c.approver != "manager":
                _staff(db, c.approver, "the approver")
            ttype.approver = c.approver
    _apply_steps(ttype, c)
    if c.active is not None:
        ttype.active = c.active
    cc = [entry for entry in ttype.cc if entry not in {_cc_entry(db, x) for x in c.remove_cc}]
    for entry in (_cc_entry(db, x) for x in c.cc):
        if entry not in cc:
            cc.append(entry)
    ttype.cc = cc
    ts.save_type(db, ttype, [_cc_ref(db, entry) for entry in cc], clock.stamp())
    if c.nudge_every is not None or c.escalate_after is not None:
        from deskcli.store.remind import refresh_remind_at

        refresh_remind_at(db, type_id=ttype.id)  # open tickets follow the new policy
    return ts.type_by_key(db, ttype.key)


def _apply_fields(ttype: TicketType, c: TypeChanges) -> None:
    for name in c.remove_fields:
        if ttype.field(name) is None:
            raise NotFound(f"type {ttype.key} has no field {name!r}")
        ttype.fields = [f for f in ttype.fields if f.name != name]
    for spec in c.fields:
        new = parse_field_spec(spec)
        old = ttype.field(new.name)
        if old is not None:  # redefining keeps label, pattern and hint unless given again
            new.label, new.pattern, new.hint = old.label, old.pattern, old.hint
            ttype.fields[ttype.fields.index(old)] = new
        else:
            ttype.fields.append(new)
    for option, pairs, attr in (("--label", c.labels, "label"), ("--pattern", c.patterns,
                                                                  "pattern"),
                                ("--hint", c.hints, "hint")):
        for name, value in parse_assignments(pairs, option).items():
            fdef = ttype.field(name)
            if fdef is None:
                raise Invalid(f"{option} names the field {name!r}, which type {ttype.key} "
                              "does not have", f"define it first with --field {name}:KIND")
            if attr == "pattern" and value:
                check_pattern(name, value)
            setattr(fdef, attr, value or None)


def _apply_steps(ttype: TicketType, c: TypeChanges) -> None:
    if c.clear_steps:
        ttype.steps = []
    for ref in c.remove_steps:
        if ref.isdigit() and 1 <= int(ref) <= len(ttype.steps):
            ttype.steps.pop(int(ref) - 1)
        elif ref in ttype.steps:
            ttype.steps.remove(ref)
        else:
            raise NotFound(f"type {ttype.key} has no checklist step {ref!r}",
                           "name a step by its number (from 1) or its exact text")
    for text in c.steps:
        if not text.strip():
            raise Invalid("a checklist step needs some text")
        ttype.steps.append(text.strip())


def _staff(db: Store, login: str, what: str) -> int:
    row = ps.user_by_login(db, login)
    if row is None or row["kind"] != "staff":
        raise NotFound(f"{what} names {login!r}, who is not a user of this desk",
                       "see `deskcli user list`")
    return row["id"]


def _cc_entry(db: Store, text: str) -> str:
    """'dept:KEY', 'user:LOGIN' or a bare LOGIN -> the canonical 'kind:ref' form."""
    kind, sep, ref = text.partition(":")
    if not sep:
        kind, ref = "user", text
    if kind not in ("dept", "user") or not ref:
        raise Invalid(f"bad CC entry {text!r}", "write dept:KEY or user:LOGIN (or a LOGIN)")
    _cc_ref(db, f"{kind}:{ref}")
    return f"{kind}:{ref}"


def _cc_ref(db: Store, entry: str) -> tuple[int | None, int | None]:
    kind, _, ref = entry.partition(":")
    if kind == "dept":
        row = ps.dept_by_key(db, ref)
        if row is None:
            raise NotFound(f"CC names department {ref!r}, which does not exist",
                           "see `deskcli dept list`")
        return row["id"], None
    return None, _staff(db, ref, "the CC list")
