"""Use cases for customers (the people the desk serves) and access clients (other
systems that open tickets)."""

import json

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.people.staff import (
    check_email,
    check_key,
    check_login,
    consultant_id_of,
    staff_id,
    staff_only,
)
from deskcli.policy import require
from deskcli.store import Store
from deskcli.store import people as ps
from deskcli.store import types as ts

# --- customers ----------------------------------------------------------------------------

CUSTOMER_FIELDS = ("key", "name", "email", "phone", "consultant", "note")
# what `customer list`/`show` print besides the fields: kept by the desk, ignored on import
CUSTOMER_READ_ONLY = frozenset(("id", "created_at", "updated_at"))


def customer_add(desk: Desk, key: str, *, name: str, email=None, phone=None,
                 consultant=None, note=None) -> dict:
    require(desk.actor, "customer.manage", "add customers")
    with desk.store.write():
        row = _clean_customer(desk.store, {"key": key, "name": name, "email": email,
                                           "phone": phone, "consultant": consultant,
                                           "note": note})
        if ps.customer_by_key(desk.store, key):
            raise Conflict(f"customer {key!r} already exists",
                           f"change it with `deskcli customer update {key} ...`")
        ps.insert_customer(desk.store, row, clock.stamp())
        return customer_dict(ps.customer_by_key(desk.store, key))


def customer_update(desk: Desk, key: str, **changes) -> dict:
    require(desk.actor, "customer.manage", "change customers")
    with desk.store.write():
        row = _customer(desk.store, key)
        given = {k: v for k, v in changes.items() if v is not None}
        clean = _clean_customer(desk.store, {**dict(row), **given, "key": key},
                                only=set(given))
        ps.update_customer(desk.store, row["id"], clean, clock.stamp())
        return customer_dict(ps.customer_by_key(desk.store, key))


def customer_reassign(desk: Desk, from_login: str, to_login: str) -> list[str]:
    """Give every customer a consultant followed to another (e.g. after a departure)."""
    require(desk.actor, "customer.manage", "change customers")
    with desk.store.write():
        old_id = staff_id(desk.store, from_login)
        new_id = consultant_id_of(desk.store, to_login)
        rows = ps.customers(desk.store, consultant_id=old_id)
        at = clock.stamp()
        for row in rows:
            ps.update_customer(desk.store, row["id"], {"consultant_id": new_id}, at)
        return [row["key"] for row in rows]


RECENT = 5  # closed or resolved tickets `customer show` lists


def customer_show(desk: Desk, key: str) -> dict:
    """The customer, their open tickets and their latest closed or resolved ones ("my
    questions"), each with its status and who is handling it; only tickets the actor may
    see are listed."""
    require(desk.actor, "ticket.view", "look up customers")
    staff_only(desk, "look up customers")
    from deskcli.store import tickets as tstore
    from deskcli.types.workflow import OPEN

    with desk.store.read():
        row = _customer(desk.store, key)
        data = customer_dict(row)

        def tickets(statuses, sort, limit):
            q = tstore.TicketQuery(customer_id=row["id"], statuses=list(statuses), sort=sort,
                                   limit=limit, visible_to=desk.visibility(), details=False)
            return [_customer_ticket(t) for t in tstore.query(desk.store, q)]

        data["open_tickets"] = tickets(OPEN, "id", None)
        data["recent_tickets"] = tickets(("resolved", "closed"), "updated", RECENT)
    return data


def _customer_ticket(t) -> dict:
    # who is handling it: the handler (the owner unless transferred), else the assignee
    # who has yet to accept; none while it is in the queue or awaiting approval
    return {"id": t.id, "title": t.title, "type": t.type, "status": t.status,
            "priority": t.priority, "handled_by": t.handler or t.owner or t.assignee,
            "owner": t.owner, "assignee": t.assignee, "approver": t.approver,
            "created_at": t.created_at, "updated_at": t.updated_at,
            "resolved_at": t.resolved_at, "closed_at": t.closed_at}


def customer_list(desk: Desk, *, consultant: str | None = None, text: str | None = None,
                  limit: int | None = None) -> list[dict]:
    require(desk.actor, "ticket.view", "list customers")
    staff_only(desk, "list customers")
    with desk.store.read():
        consultant_id = staff_id(desk.store, consultant) if consultant else None
        return [customer_dict(r) for r in ps.customers(desk.store, consultant_id=consultant_id,
                                                       text=text, limit=limit)]


def customer_import(desk: Desk, records, *, update: bool = False, large: bool = False) -> dict:
    """Add customers from dict records (CSV or JSON rows); all or nothing. Existing keys
    are skipped, or changed with update=True. A `large` import (a file of 1 MiB or more)
    writes through apsw on a SQLite desk, as a large ticket import does."""
    require(desk.actor, "customer.manage", "import customers")
    added = updated = skipped = 0
    if large:
        desk.store.bulk_writer()
    with desk.store.write():
        at = clock.stamp()
        seen = set()
        known = set(ps.customer_ids_by_key(desk.store))  # one query, not one per record
        consultants: dict[str, int] = {}  # login -> id, checked once per import
        for number, record in records:
            if not isinstance(record, dict):
                raise Invalid(f"record {number}: expected an object with key and name")
            unknown = set(record) - set(CUSTOMER_FIELDS) - CUSTOMER_READ_ONLY
            if unknown:
                raise Invalid(f"record {number}: unknown column {', '.join(sorted(unknown))}",
                              f"columns: {', '.join(CUSTOMER_FIELDS)}")
            record = {k: v for k, v in record.items() if k not in CUSTOMER_READ_ONLY}
            for column, value in record.items():
                numeric = column in ("key", "phone") and isinstance(value, int) \
                    and not isinstance(value, bool)
                if value is not None and not isinstance(value, str) and not numeric:
                    raise Invalid(f"record {number}: {column!r} must be text, not "
                                  f"{json.dumps(value)[:40]}")
            record = {k: (v if v not in ("",) else None) for k, v in record.items()}
            try:
                if not record.get("key") or not record.get("name"):
                    raise Invalid("key and name are required")
                key = str(record["key"])
                if key in seen:
                    raise Invalid(f"customer {key!r} appears twice in the file")
                seen.add(key)
                existing = ps.customer_by_key(desk.store, key) if key in known else None
                if existing is None:
                    ps.insert_customer(desk.store, _clean_customer(desk.store, record,
                                                                   consultants=consultants), at)
                    added += 1
                elif update:
                    only = {k for k in record if k != "key"}
                    clean = _clean_customer(desk.store, {**dict(existing), **record}, only=only)
                    ps.update_customer(desk.store, existing["id"], clean, at)
                    updated += 1
                else:
                    skipped += 1
            except (Invalid, NotFound) as exc:
                raise type(exc)(f"record {number}: {exc.message}", exc.hint) from None
    return {"added": added, "updated": updated, "skipped": skipped}


def _clean_customer(db: Store, record: dict, only: set | None = None,
                    consultants: dict | None = None) -> dict:
    check_key(str(record["key"]), "customer key")
    clean = {"key": str(record["key"]), "name": str(record["name"] or "").strip(),
             "email": check_email(record.get("email")),
             "phone": (str(record["phone"]).strip() or None) if record.get("phone") else None,
             "note": record.get("note")}
    if not clean["name"]:
        raise Invalid("a customer needs a name", "add --name NAME")
    consultant = record.get("consultant")
    if isinstance(consultant, str) and consultant not in ("", "none"):
        memo = consultants if consultants is not None else {}
        if consultant not in memo:
            memo[consultant] = consultant_id_of(db, consultant)
        clean["consultant_id"] = memo[consultant]
    elif consultant in ("", "none"):
        clean["consultant_id"] = None
    else:
        clean["consultant_id"] = record.get("consultant_id")
    if only is not None:
        names = {("consultant_id" if k == "consultant" else k) for k in only}
        clean = {k: v for k, v in clean.items() if k in names and k != "key"}
    return clean


def _customer(db: Store, key: str):
    row = ps.customer_by_key(db, key)
    if row is None:
        raise NotFound(f"no customer {key!r}", "see `deskcli customer list`, or add it with "
                                               f"`deskcli customer add {key} --name NAME`")
    return row


def customer_dict(row) -> dict:
    return {"key": row["key"], "name": row["name"], "email": row["email"],
            "phone": row["phone"], "consultant": row["consultant"], "note": row["note"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


# --- access clients -----------------------------------------------------------------------

def access_add(desk: Desk, key: str, *, name: str, types: list[str]) -> dict:
    """Create an access client (or, if it exists, replace its granted types)."""
    require(desk.actor, "access.manage", "manage access clients")
    check_login(key, "access client key")
    with desk.store.write():
        type_ids = _type_ids(desk.store, types)
        row = ps.user_by_login(desk.store, key)
        if row is not None and row["kind"] != "client":
            raise Conflict(f"{key!r} is already a staff user's login",
                           "choose another key for the access client")
        if row is None:
            user_id = ps.insert_user(desk.store, login=key, name=name, email=None,
                                     dept_id=None, manager_id=None, role="integration",
                                     at=clock.stamp(), kind="client")
        else:
            user_id = row["id"]
            ps.update_user(desk.store, user_id, {"name": name or row["name"], "active": 1,
                                                 "deactivated_at": None})
        ps.set_access_types(desk.store, user_id, type_ids)
        return _access_dict(desk.store, ps.user_by_login(desk.store, key))


def access_revoke(desk: Desk, key: str) -> dict:
    require(desk.actor, "access.manage", "manage access clients")
    with desk.store.write():
        row = ps.user_by_login(desk.store, key)
        if row is None or row["kind"] != "client":
            raise NotFound(f"no access client {key!r}", "see `deskcli access list`")
        ps.update_user(desk.store, row["id"], {"active": 0, "deactivated_at": clock.stamp()})
        return _access_dict(desk.store, ps.user_by_login(desk.store, key))


def access_list(desk: Desk, include_revoked: bool = False) -> list[dict]:
    require(desk.actor, "access.manage", "list access clients")
    with desk.store.read():
        rows = ps.users(desk.store, kind="client", active=None if include_revoked else True)
        return [_access_dict(desk.store, r) for r in rows]


def _access_dict(db: Store, row) -> dict:
    return {"key": row["login"], "name": row["name"],
            "types": ps.access_type_keys(db, row["id"]), "active": bool(row["active"]),
            "created_at": row["created_at"], "revoked_at": row["deactivated_at"]}


def _type_ids(db: Store, keys: list[str]) -> list[int]:
    ids = []
    for item in keys:
        for key in (k.strip() for k in item.split(",")):
            if not key:
                continue
            ttype = ts.type_by_key(db, key)
            if ttype is None:
                raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
            ids.append(ttype.id)
    if not ids:
        raise Invalid("name at least one ticket type", "e.g. --types renewal,refund")
    return ids
