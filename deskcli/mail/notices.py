"""Who hears about what: each event that concerns someone becomes a notice in the outbox,
in the same transaction as the change. Cheap on purpose (no Jinja here): the outbox row
holds the recipients and the facts the template needs; `deskcli outbox send` renders and
delivers it (see deskcli.mail.outbox).

Audiences (SPEC §6, issue 4):
  assigned, reassigned          -> the assignee
  opened                        -> the CC list (staff); queued/declined/departed -> dispatchers
  transferred                   -> the new handler
  note                          -> owner and handler, not the author
  reply                         -> the customer, with the CC list and contacts in Cc
  resolved, closed              -> the customer (and contacts); the opener and the CC list
  reopened                      -> the owner or assignee, the opener and the CC list
  nudged                        -> whoever must act; escalated -> their manager (Cc them)
  approval_requested            -> the approver (or managers); approved/rejected -> the opener
  customer_message              -> the owner and the handler
The actor never gets a notice about their own action; people without an e-mail address or
no longer active are skipped.
"""

import json
import os  # os.urandom, not secrets: secrets imports hmac, hashlib and random (~10 ms)

from deskcli import clock
from deskcli.store import notices as nstore
from deskcli.store import people as ps


def enqueue(desk, events: list[tuple[int, tuple]]) -> int:
    """Write the notices for freshly recorded events; returns how many."""
    db = desk.store
    written: list[tuple] = []
    tickets: dict[int, dict] = {}
    for event_id, row in events:
        ticket_id, at, actor_id, kind, frm, to, message, visibility, data = row
        plans = PLANS.get(kind)
        if not plans:
            continue
        if ticket_id not in tickets:
            tickets[ticket_id] = nstore.ticket_facts(db, ticket_id, actor_id)
            if getattr(desk, "_uid", None) is None and tickets[ticket_id]["desk_uid"]:
                desk._uid = tickets[ticket_id]["desk_uid"]
        facts = tickets[ticket_id]
        event = {"actor_id": actor_id, "from": frm, "to": to}
        for template, audience in plans:
            people = audience(db, facts, event)
            # the actor never hears of their own action; with no actor (the desk itself),
            # everyone does: customers and contacts have no id either
            to_list = [p for p in people["to"] if p.get("email")
                       and (actor_id is None or p.get("id") != actor_id)]
            cc_list = [p for p in people.get("cc", []) if p.get("email")
                       and (actor_id is None or p.get("id") != actor_id)
                       and p["email"].lower() not in {t["email"].lower() for t in to_list}]
            if not to_list:
                continue
            context = {
                "ticket": {k: facts[k] for k in FACT_KEYS},
                "event": {"kind": kind, "from": frm, "to": to, "message": message,
                          "visibility": visibility, "at": at,
                          "actor": _actor_name(db, facts, actor_id),
                          "data": json.loads(data) if data else None},
                "desk": {"name": desk.setting("desk.name") or db.stem},
                # the customer's Message-IDs, oldest first: the notice threads under them;
                # what goes to the customer answers their last subject
                "mail_thread": facts["mail_thread"],
                "mail_subject": facts["mail_subject"] if template in TO_CUSTOMER else None,
            }
            written.append(nstore.row(
                ticket_id=ticket_id, event_id=event_id, template=template,
                locale=desk.setting("locale") or "en",
                recipients={"to": [_addr(p) for p in to_list],
                            "cc": [_addr(p) for p in cc_list]},
                context=context, message_id=message_id(desk, ticket_id), at=clock.stamp()))
    nstore.insert_many(db, written)  # (all at once: one round trip on PostgreSQL)
    return len(written)


TO_CUSTOMER = ("reply", "customer_resolved", "customer_closed")  # addressed to the customer
FACT_KEYS = ("id", "title", "status", "priority", "type", "type_name", "customer",
             "customer_name", "assignee", "owner", "handler", "opened_by", "accept_due_at",
             "resolve_due_at", "nudges", "created_at")


def _addr(person: dict) -> dict:
    return {"name": person.get("name") or person["email"], "email": person["email"],
            "login": person.get("login")}


def _actor_name(db, facts, actor_id: int | None) -> str:
    if actor_id is None:
        return "deskcli"
    row = _known(db, facts, actor_id)
    return row["name"] if row else "?"


def message_id(desk, ticket_id: int | None) -> str:
    """A unique Message-ID on the desk's mail domain (fixed when the notice is queued)."""
    return f"<{desk_uid(desk)}.{ticket_id or 0}.{os.urandom(6).hex()}@{mail_domain(desk)}>"


def thread_id(desk, ticket_id: int) -> str:
    """The root Message-ID every notice about a ticket refers to, so mail clients thread
    them and a customer's reply finds its ticket."""
    return f"<ticket-{ticket_id}.{desk_uid(desk)}@{mail_domain(desk)}>"


def desk_uid(desk) -> str:
    """The desk's random id in its Message-IDs (made once, then kept: read once per
    command)."""
    uid = getattr(desk, "_uid", None) or ps.meta(desk.store, "desk_uid")
    if uid is None:
        uid = os.urandom(4).hex()
        ps.set_meta(desk.store, "desk_uid", uid)
    desk._uid = uid
    return uid


def mail_domain(desk) -> str:
    sender = desk.setting("mail.from") or ""
    address = sender.rpartition("<")[2].rstrip(">").strip()
    return address.partition("@")[2] or "deskcli.invalid"


# --- audiences ------------------------------------------------------------------------------
# Each returns {"to": [person], "cc": [person]}; a person is a dict with id, login, name, email.

def _known(db, facts, login_or_id):
    """A user's row (people.user_by_login or user_by_id), from those ticket_facts read
    with the ticket when it is one of them."""
    key = "login" if isinstance(login_or_id, str) else "id"
    for row in facts["people"]:
        if row[key] == login_or_id:
            return row
    return (ps.user_by_login(db, login_or_id) if key == "login"
            else ps.user_by_id(db, login_or_id))


def _user(db, facts, login_or_id) -> list[dict]:
    if login_or_id is None:
        return []
    row = _known(db, facts, login_or_id)
    if row is None or not row["active"] or row["kind"] != "staff":
        return []
    return [{"id": row["id"], "login": row["login"], "name": row["name"],
             "email": row["email"]}]


def _cc(db, facts) -> list[dict]:
    return [dict(p) for p in facts["cc_people"]]


def _customer(db, facts) -> list[dict]:
    people = []
    if facts["customer_email"]:
        people.append({"id": None, "login": None, "name": facts["customer_name"],
                       "email": facts["customer_email"]})
    return people


def _dispatchers(db, facts) -> list[dict]:
    return nstore.dispatchers(db, _setting_list(db, "queue.dispatchers"))


def _setting_list(db, key: str) -> list[str]:
    value = ps.settings(db).get(key) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def to_assignee(db, facts, event):
    return {"to": _user(db, facts, event["to"] or facts["assignee"])}


def to_cc_list(db, facts, event):
    return {"to": _cc(db, facts)}


def to_dispatchers(db, facts, event):
    return {"to": _dispatchers(db, facts)}


def to_new_handler(db, facts, event):
    return {"to": _user(db, facts, facts["handler"])}


def to_owner_and_handler(db, facts, event):
    people = _user(db, facts, facts["owner"]) + _user(db, facts, facts["handler"])
    if not people:
        people = _user(db, facts, facts["assignee"])
    return {"to": _unique(people)}


def to_customer_with_cc(db, facts, event):
    return {"to": _customer(db, facts), "cc": _unique(_cc(db, facts) +
                                                      nstore.contacts(db, facts["id"]))}


def to_customer_and_contacts(db, facts, event):
    return {"to": _customer(db, facts), "cc": nstore.contacts(db, facts["id"])}


def to_opener_and_cc(db, facts, event):
    return {"to": _unique(_user(db, facts, facts["opened_by"]) + _cc(db, facts))}


def to_workers_opener_cc(db, facts, event):
    workers = _user(db, facts, facts["owner"]) or _user(db, facts, facts["assignee"])
    return {"to": _unique(workers + _user(db, facts, facts["opened_by"]) + _cc(db, facts))}


def to_must_act(db, facts, event):
    if event["to"]:
        return {"to": _user(db, facts, event["to"])}
    if facts["status"] == "new":
        return {"to": _dispatchers(db, facts)}
    return {"to": []}


def to_escalation(db, facts, event):
    # `to` names one manager or head, or the desk's admins as LOGIN,LOGIN
    return {"to": [p for login in (event["to"] or "").split(",") if login
                   for p in _user(db, facts, login)], "cc": _user(db, facts, event["from"])}


def to_approver(db, facts, event):
    if facts["approver"]:
        return {"to": _user(db, facts, facts["approver"])}
    return {"to": nstore.managers(db)}


def to_opener(db, facts, event):
    return {"to": _user(db, facts, facts["opened_by"])}


def _unique(people: list[dict]) -> list[dict]:
    seen, out = set(), []
    for person in people:
        key = (person.get("email") or "").lower()
        if key and key not in seen:
            seen.add(key)
            out.append(person)
    return out


PLANS = {
    "assigned": [("assigned", to_assignee)],
    "reassigned": [("assigned", to_assignee)],
    "opened": [("opened", to_cc_list)],
    "queued": [("queued", to_dispatchers)],
    "declined": [("queued", to_dispatchers)],
    "departed": [("queued", to_dispatchers)],
    "transferred": [("transferred", to_new_handler)],
    "note": [("note", to_owner_and_handler)],
    "reply": [("reply", to_customer_with_cc)],
    "resolved": [("customer_resolved", to_customer_and_contacts),
                 ("resolved", to_opener_and_cc)],
    "closed": [("customer_closed", to_customer_and_contacts), ("closed", to_opener_and_cc)],
    "reopened": [("reopened", to_workers_opener_cc)],
    "nudged": [("nudged", to_must_act)],
    "escalated": [("escalated", to_escalation)],
    "approval_requested": [("approval_requested", to_approver)],
    "approved": [("approval_decided", to_opener)],
    "rejected": [("approval_decided", to_opener)],
    "customer_message": [("customer_message", to_owner_and_handler)],
}


def enqueue_report(desk, *, to: list[str] | str, subject: str, text: str,
                   html: str | None = None) -> int:
    """Put a finished report in the outbox for `to` (addresses), for `outbox send`.
    The report is already rendered, so its template only passes it through."""
    from deskcli.errors import Invalid
    from deskcli.people.staff import check_email

    addresses = [to] if isinstance(to, str) else list(to)
    if not addresses:
        raise Invalid("say who gets the report", "e.g. --mail-to head@school.example")
    for address in addresses:
        if check_email(address) is None:
            raise Invalid("an empty address in --mail-to")
    with desk.store.write():
        return nstore.insert(
            desk.store, ticket_id=None, event_id=None, template="report",
            locale=desk.setting("locale") or "en",
            recipients={"to": [{"name": "", "email": a, "login": None} for a in addresses],
                        "cc": []},
            context={"subject": subject, "text": text, "html": html,
                     "desk": {"name": desk.setting("desk.name") or desk.store.stem}},
            message_id=message_id(desk, None), at=clock.stamp())
