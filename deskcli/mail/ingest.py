"""`mail ingest`: an e-mail becomes a customer message on its ticket, a note, or a new
ticket (SPEC §6, issue 4). One message is one write transaction, recorded in the mail_in
ledger by its Message-ID, so an MTA that delivers the same message twice changes nothing
the second time.

What happens to a message, in order:
  1. seen before (same Message-ID)                  -> nothing (exit 0)
  2. sent by a machine: Auto-Submitted, Precedence bulk/junk/list, X-Autoreply, our own
     X-Loop or From address, a bounce or DSN, an out-of-office subject, or a sender over
     mail.max-per-hour                              -> ignored, with the reason (exit 0)
  3. about a ticket (the subject tag [TAG #42], or In-Reply-To/References naming one of
     the ticket's notices or its thread root):
       from an active staff user's address          -> an internal note by that user, when
          they may see the ticket and add notes (else ignored, with the reason)
       from neither the ticket's customer nor one
       of its contacts (the tag is not a key)       -> a new ticket for the sender, as in 4;
          the ledger says which ticket it named and why it was not threaded
       the ticket is closed                         -> a new ticket, related to it
       otherwise                                    -> a public customer_message; a waiting
          ticket goes back to in_progress (its resolve clock resumes), a resolved one is
          reopened
  4. anything else                                  -> a new ticket of the type mail.type,
     for the customer with the From address (created when unknown: see customer_key),
     source 'email'; required fields may stay empty until it is resolved.
Cc addresses of active staff become CCs (a cc_added event says so); other Cc addresses are
never added as recipients: an internal mail_cc event names them, and staff add the ones
that belong with `ticket contact`. The Message-ID of a message filed as the customer's is
kept (ticket_mail_ids), so notices thread under it. Attachments are kept up to
attachments.max-size.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Busy, NotFound, NotPermitted
from deskcli.mail import parse as mailparse
from deskcli.policy import require
from deskcli.reminders import sla
from deskcli.store import contacts, life
from deskcli.store import mailin as mstore
from deskcli.store import notices as nstore
from deskcli.store import people as ps
from deskcli.store import tickets as tstore
from deskcli.store import types as ts
from deskcli.tickets.life import Act
from deskcli.tickets.timeline import record
from deskcli.types import workflow

REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)+", re.I)


class TryLater(Busy):
    """The message cannot be handled now, but may be later (the MTA keeps it and retries):
    the desk is busy or not set up for mail yet (exit 75)."""


@dataclass
class Ingested:
    """What became of one message (`mail ingest --json`)."""

    action: str                      # opened, message, note, ignored, duplicate
    ticket: int | None = None
    reason: str | None = None
    message_id: str | None = None
    sender: str | None = None
    subject: str | None = None
    customer: str | None = None
    customer_created: bool = False
    reopened: bool = False
    status: str | None = None
    related_to: int | None = None
    cc: list[str] = field(default_factory=list)
    not_added: list[str] = field(default_factory=list)  # Cc addresses that are no contacts
    not_threaded: int | None = None  # the ticket it named, from a sender who may not write
    attachments: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    charset_guesses: list[dict] = field(default_factory=list)  # {part, charset, declared}

    def to_dict(self) -> dict:
        return asdict(self)


def ingest(desk: Desk, raw: bytes) -> Ingested:
    """Read one message and file it (see the module's docstring). Raises TryLater when it
    should be retried later; any other DeskError means the desk is not set up to take it."""
    require(desk.actor, "ticket.open", "file e-mail on the desk")
    charsets = (desk.setting("mail.charsets") or "gb18030,big5").split(",")
    mail = mailparse.parse(raw, charsets)
    key = mail.message_id or f"<sha256-{hashlib.sha256(raw).hexdigest()}@deskcli>"
    sender = mail.sender.lower()
    now = clock.now()
    at = clock.stamp(now)
    db = desk.store
    with db.write():
        earlier = mstore.seen(db, key)
        if earlier is not None:
            return Ingested("duplicate", earlier["ticket_id"], f"already ingested at "
                            f"{earlier['received_at']} ({earlier['outcome']})", key,
                            mail.sender, mail.subject)
        why = _ignored(desk, mail, sender, now)
        if why:
            result = Ingested("ignored", None, why, key, mail.sender, mail.subject)
        else:
            result = _file(desk, mail, key, now)
        result.charset_guesses = mail.charset_guesses
        reason = result.reason
        if mail.charset_guesses:  # the ledger says where the text may be misread
            reason = f"{reason}; {guessed(mail.charset_guesses)}"
        mstore.record(db, message_id=key, sender=sender or None, subject=mail.subject,
                      received_at=at, outcome=result.action, ticket_id=result.ticket,
                      reason=reason)
        return result


def guessed(guesses: list[dict]) -> str:
    """'charset guessed: subject as koi8-r (none declared), body as ...'"""
    return "charset guessed: " + ", ".join(
        f"{g['part']} as {g['charset']} "
        f"({'declared ' + g['declared'] if g['declared'] else 'none declared'})"
        for g in guesses)


def _ignored(desk: Desk, mail: mailparse.Inbound, sender: str, now) -> str | None:
    """Why this message must not become a ticket or a message, or None."""
    from deskcli.mail.notices import desk_uid

    if "@" not in sender:
        return "no sender address (From)"
    if mail.unreadable:
        return mail.unreadable
    loop = f"deskcli-{desk_uid(desk)}".lower()
    if any(value.strip().lower() == loop for value in mail.headers.get("x-loop", [])):
        return f"a mail loop (X-Loop: {loop}, sent by this desk)"
    own = _own_address(desk)
    if own and sender == own:
        return f"a mail loop (from the desk's own address {own})"
    machine = mailparse.automatic(mail)
    if machine:
        return machine
    limit = int(desk.setting("mail.max-per-hour") or 20)
    recent = mstore.recent_from(desk.store, sender, clock.stamp(now - timedelta(hours=1)))
    if recent >= limit:
        return (f"{sender} sent more than {limit} messages in the last hour (a loop or a "
                "flood?); raise mail.max-per-hour if that is normal")
    return None


def _own_address(desk: Desk) -> str:
    from email.utils import parseaddr

    return parseaddr(desk.setting("mail.from") or "")[1].lower()


# --- which ticket ------------------------------------------------------------------------

def thread_ticket(desk: Desk, mail: mailparse.Inbound) -> int | None:
    """The ticket a message is about: the subject tag [TAG #42], else In-Reply-To, else
    References (a notice's Message-ID, or the ticket's thread root). A merged ticket leads
    to the one it was merged into."""
    from deskcli.mail.notices import desk_uid

    db = desk.store
    candidates: list[int] = []
    tag = re.escape(desk.setting("mail.tag") or "desk")
    match = re.search(rf"\[\s*{tag}\s*#\s*(\d{{1,12}})\s*\]", mail.subject, re.I)
    if match:
        candidates.append(int(match[1]))
    uid = re.escape(desk_uid(desk))
    for mid in [*mail.in_reply_to, *reversed(mail.references)]:
        ours = re.fullmatch(rf"<(?:ticket-(\d+)\.{uid}|{uid}\.(\d+)\.[0-9a-f]+)@[^>]*>", mid)
        if ours:
            candidates.append(int(ours[1] or ours[2]))
        else:
            found = nstore.by_message_id(db, [mid])
            if found:
                candidates.append(found)
    for ticket_id in candidates:
        for _ in range(20):  # follow merges, never forever
            if not mstore.ticket_exists(db, ticket_id):
                break
            target = mstore.merged_into(db, ticket_id)
            if target is None:
                return ticket_id
            ticket_id = target
    return None


# --- filing ------------------------------------------------------------------------------

def _file(desk: Desk, mail: mailparse.Inbound, key: str, now) -> Ingested:
    db = desk.store
    result = Ingested("message", None, None, key, mail.sender, mail.subject)
    ticket_id = thread_ticket(desk, mail)
    staff = mstore.staff_by_email(db, mail.sender)
    if ticket_id is not None and staff is not None:
        return _staff_note(desk, mail, ticket_id, staff, result)
    if ticket_id is not None and not mstore.may_write(db, ticket_id, mail.sender):
        result.not_threaded, ticket_id = ticket_id, None  # a tag is no key: a new ticket
    if ticket_id is not None and life.raw(db, ticket_id)["status"] != "closed":
        return _customer_message(desk, mail, ticket_id, result)
    return _open(desk, mail, staff, ticket_id, result)


def _customer_message(desk: Desk, mail, ticket_id: int, result: Ingested) -> Ingested:
    from deskcli.tickets.opening import due_stamp

    a = Act(desk, ticket_id, unseen=True)
    text = mailparse.cut_quoted(mail.text) or "(no text)"
    back_to_work = a.status == "waiting"  # shown on the message, like a reply's --wait
    a.event("customer_message", message=text, visibility="public", system=True,
            frm="waiting" if back_to_work else None,
            to="in_progress" if back_to_work else None,
            data=_mail_data(mail, result.message_id))
    if workflow.allowed(a.status, "customer_reply"):
        new = workflow.next_status(a.status, "customer_reply")
        if a.status == "waiting":
            a.leave_waiting()
        if a.status == "resolved":  # reopened, like `ticket reopen`
            ttype = ts.type_by_id(a.db, a.row["type_id"])
            calendar = sla.calendar_for(desk)
            a.changes.update(resolved_at=None, resolution=None,
                             resolve_due_at=due_stamp(a.now, ttype.resolve_within, calendar))
            owner = ps.user_by_id(a.db, a.row["owner_id"]) if a.row["owner_id"] else None
            if owner is not None and owner["active"]:
                a.changes["handler_id"] = owner["id"]
            else:  # nobody to take it back: the queue
                new = "new"
                a.changes.update(owner_id=None, handler_id=None, assignee_id=None,
                                 accept_due_at=due_stamp(a.now, ttype.accept_within,
                                                         calendar))
            a.event("reopened", frm="resolved", to=new, visibility="public", system=True,
                    message=f"reopened: the customer wrote again ({mail.sender})")
            result.reopened = True
        if new != a.status:
            a.changes["status"] = new
    _people(a, mail, result)
    _attachments(a, mail, result, None)
    if mail.message_id:  # before the notices are written: they thread under it
        mstore.add_thread_id(a.db, a.id, mail.message_id, _their_subject(mail))
    a.save(expect={"status": a.status})
    result.ticket, result.status = a.id, a.changes.get("status", a.status)
    result.reason = f"{'reopened #' if result.reopened else 'added to #'}{a.id}"
    return result


def _staff_note(desk: Desk, mail, ticket_id: int, staff, result: Ingested) -> Ingested:
    """Mail from a colleague about a ticket: an internal note in their name (a reply to
    the customer is written with `deskcli ticket reply`)."""
    as_staff = _as(desk, staff["login"])
    try:  # as if they had typed `deskcli ticket note`: their view, their permissions
        a = Act(as_staff, ticket_id)
        a.permit("note")
    except (NotFound, NotPermitted) as exc:
        result.action, result.ticket = "ignored", ticket_id
        result.reason = (f"from {staff['login']}, who may not add notes to #{ticket_id}: "
                         f"{exc.message}")
        return result
    text = mailparse.cut_quoted(mail.text) or "(no text)"
    a.event("note", message=text, data=_mail_data(mail, result.message_id))
    _people(a, mail, result)
    _attachments(a, mail, result, staff["id"])
    a.save()
    result.action, result.ticket, result.status = "note", a.id, a.status
    result.reason = f"a note by {staff['login']} on #{a.id}"
    return result


def _open(desk: Desk, mail, staff, closed_id: int | None, result: Ingested) -> Ingested:
    """A new ticket of the desk's mail type (related to `closed_id` when the mail answered
    a closed ticket)."""
    from deskcli.tickets.opening import OpenRequest, open_ticket

    type_key = desk.setting("mail.type")
    if not type_key:
        raise TryLater("the desk has no ticket type for e-mail (mail.type is not set)",
                       "set it, and the MTA's next retry files the message: "
                       "deskcli config set mail.type TYPE")
    db = desk.store
    at = clock.stamp()
    customer = None
    opener = desk
    if staff is not None:
        colleague = _as(desk, staff["login"])
        if colleague.actor.can("ticket.open"):
            opener = colleague  # a colleague's own request: opened in their name
    else:
        customer, result.customer_created = _customer(desk, mail, at)
    cc, others = _split_cc(desk, mail)
    body = mailparse.cut_quoted(mail.text) if closed_id else mail.text
    title, cut = _title(desk, mail, body)
    if cut:  # the whole subject stays, at the top of the first message
        body = f"Subject: {' '.join(mail.subject.split())}\n\n{body}".rstrip()
    ticket = open_ticket(opener, OpenRequest(
        type=type_key, title=title, body=body, customer=customer,
        cc=[login for login, _ in cc], source="email", from_mail=True))
    events = []
    result.cc = [login for login, _ in cc]
    if mail.message_id:  # and the notices of the opening, written already, thread under it
        mstore.add_thread_id(db, ticket.id, mail.message_id, _their_subject(mail))
        mstore.thread_queued_notices(db, ticket.id)
    if closed_id is not None:
        life.add_link(db, ticket.id, closed_id, "relates", at, None)
        events += [(ticket.id, at, None, "linked", None, f"#{closed_id}",
                    f"e-mail about the closed ticket #{closed_id}", "internal",
                    json.dumps({"kind": "relates"})),
                   (closed_id, at, None, "linked", None, f"#{ticket.id}",
                    f"the customer wrote again: new ticket #{ticket.id}", "internal",
                    json.dumps({"kind": "relates"}))]
        result.related_to = closed_id
    record(desk, events)
    a = Act(opener, ticket.id, unseen=True)
    _not_added(a, others, result)
    _attachments(a, mail, result, opener.actor.id if opener is not desk else None)
    if a.events:
        a.save()
    result.action, result.ticket, result.customer = "opened", ticket.id, customer
    result.status = tstore.get(db, ticket.id).status
    result.reason = f"opened #{ticket.id}" + (f" (related to the closed #{closed_id})"
                                               if closed_id else "")
    if result.not_threaded is not None:
        result.reason += (f"; not threaded into #{result.not_threaded}, which its subject or "
                          f"references name: {mail.sender} is neither its customer nor one "
                          "of its contacts")
    return result


def _as(desk: Desk, login: str) -> Desk:
    other = Desk(desk.store, login, "the From address")
    other._settings = desk._settings
    return other


def _mail_data(mail, message_id: str | None) -> dict:
    data = {"from": mail.sender, "name": mail.sender_name or None, "subject": mail.subject,
            "message_id": message_id, "via": "email"}
    if mail.charset_guesses:
        data["charset_guesses"] = mail.charset_guesses
    return data


def _their_subject(mail) -> str:
    """The subject the customer wrote, without reply prefixes: notices to them answer it
    ('Re: ' + this), so their mail client keeps one conversation."""
    return REPLY_PREFIX.sub("", " ".join(mail.subject.split())).strip()[:900]


def _title(desk: Desk, mail, body: str) -> tuple[str, bool]:
    """The subject without reply prefixes and the ticket tag, whole up to the title limit
    (tickets.MAX_TITLE characters); a longer one is cut at a word and ends with '…' (and
    True says so: the caller keeps the whole subject). No subject: the first line."""
    from deskcli.tickets.opening import MAX_TITLE

    tag = re.escape(desk.setting("mail.tag") or "desk")
    title = re.sub(rf"\[\s*{tag}\s*#\s*\d+\s*\]", "", mail.subject, flags=re.I)
    title = REPLY_PREFIX.sub("", " ".join(title.split())).strip()
    from_subject = bool(title)
    if not title:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        title = first[:80] or f"E-mail from {mail.sender_name or mail.sender}"
    if len(title) <= MAX_TITLE:
        return title, False
    cut = title[:MAX_TITLE - 1]
    space = cut.rfind(" ")
    if space > MAX_TITLE - 40:  # a word boundary near the end (Chinese has none)
        cut = cut[:space]
    return cut.rstrip() + "…", from_subject


# --- customers, CC and watchers -----------------------------------------------------------

def customer_key(address: str) -> str:
    """A readable customer key from an e-mail address: lower-case, '@' becomes '_', any
    character a key cannot hold becomes '-' (zhang.wei+test@example.com ->
    zhang.wei-test_example.com); longer than 64 characters, it is shortened with a digest."""
    key = re.sub(r"[^a-z0-9_.-]", "-", address.lower().replace("@", "_"))
    key = key.lstrip("_.-") or "mail"
    if len(key) > 64:
        key = key[:55].rstrip("_.-") + "-" + hashlib.sha1(address.encode()).hexdigest()[:8]
    return key


def _customer(desk: Desk, mail, at: str) -> tuple[str, bool]:
    """The customer with the sender's address: (key, created)."""
    db = desk.store
    found = ps.customer_by_email(db, mail.sender)
    if found is not None:
        return found["key"], False
    base = customer_key(mail.sender)
    key, number = base, 1
    while mstore.customer_key_taken(db, key):
        number += 1
        key = f"{base[:60]}-{number}"
    name = (mail.sender_name or mail.sender.partition("@")[0]).strip()[:200]
    ps.insert_customer(db, {"key": key, "name": name, "email": mail.sender,
                            "note": "added by `mail ingest` from the first e-mail"}, at)
    return key, True


def _split_cc(desk: Desk, mail) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """Cc addresses: active staff (login, id), and the others (address, name). The sender
    and the desk's own address are neither."""
    own, sender = _own_address(desk), mail.sender.lower()
    staff, others, seen = [], [], set()
    for name, address in mail.cc:
        lowered = address.lower()
        if lowered in (own, sender) or lowered in seen:
            continue
        seen.add(lowered)
        person = mstore.staff_by_email(desk.store, address)
        if person is not None:
            staff.append((person["login"], person["id"]))
        else:
            others.append((address, name))
    return staff, others


def _people(a: Act, mail, result: Ingested) -> None:
    """Cc'd staff and others on a message about an existing ticket."""
    staff, others = _split_cc(a.desk, mail)
    for login, user_id in staff:
        if not life.has_cc(a.db, a.id, None, user_id) and user_id not in (
                a.row["owner_id"], a.row["handler_id"]):
            tstore.insert_cc(a.db, [(a.id, None, user_id)])
            a.event("cc_added", to=login, system=True, message="Cc'd on an e-mail")
            result.cc.append(login)
    _not_added(a, others, result)


def _not_added(a: Act, others: list[tuple[str, str]], result: Ingested) -> None:
    """Outside Cc addresses are never added as recipients (a From address is easy to
    forge, and a contact gets every reply): they are named in the timeline, for staff to
    add the ones that belong."""
    fresh = [address for address, _ in others if not contacts.has(a.db, a.id, address)]
    if not fresh:
        return
    result.not_added += fresh
    a.event("mail_cc", system=True, data={"addresses": fresh},
            message=f"the e-mail was also sent (Cc) to {', '.join(fresh)}; not added as "
                    f"contacts: staff can add one with `deskcli ticket contact {a.id} "
                    f"--add ADDRESS`")


# --- attachments --------------------------------------------------------------------------

def _attachments(a: Act, mail, result: Ingested, user_id: int | None) -> None:
    from deskcli.tickets.attachments import _size_limit

    limit_text = a.desk.setting("attachments.max-size") or "10M"
    limit = _size_limit(limit_text)
    for item in mail.attachments:
        size = len(item.data)
        if size > limit:
            why = f"larger than attachments.max-size ({limit_text})"
            result.skipped.append({"name": item.name, "size": size, "reason": why})
            a.event("attachment_skipped", to=item.name, system=True,
                    message=f"{item.name} ({size:,} bytes) was not kept: {why}")
            continue
        digest = hashlib.sha256(item.data).hexdigest()
        life.add_attachment(a.db, a.id, item.name, item.data, item.content_type, digest,
                            user_id, a.at)
        a.event("attached", to=item.name, message=f"{item.name} ({size:,} bytes)",
                data={"size": size, "sha256": digest, "via": "email"},
                system=user_id is None)
        result.attachments.append({"name": item.name, "size": size,
                                   "content_type": item.content_type})
