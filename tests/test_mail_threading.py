"""Notices about a ticket that came in by mail thread under the customer's own mail in
their client (issue 13, point 3): In-Reply-To is the customer's last Message-ID,
References lists the ticket's root and then the customer's Message-IDs, oldest first, and
what goes to the customer answers their subject ('Re: ...', as Gmail and Outlook group
by subject).
Checked by parsing the messages `outbox send` delivers into a maildir and to stdout."""

import email
import re
from email import policy

from conftest import ok
from test_mailin import ingest_json, mail_desk, variant

__all__ = ["mail_desk"]

ROOT = "<ticket-{}.c0ffee42@school.example>"
FIRST = "<SG2PR06MB53117E1D0F2C4E@SG2PR06MB5311.apcprd06.prod.outlook.com>"
CUSTOMER = "chen.jing@sunshine-centre.example"


def delivered(tmp_path) -> list[email.message.EmailMessage]:
    folder = tmp_path / "Maildir"
    ok(f"outbox send --via maildir:{folder}")
    return [email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted((folder / "new").iterdir())]


def to_customer(messages) -> list:
    return [m for m in messages if CUSTOMER in str(m["To"])]


def ids(header) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(header or ""))


def answer(message, message_id: str, text: str = "It works now.") -> bytes:
    """The customer's reply to a delivered notice, as a mail client writes it."""
    refs = " ".join(ids(message["References"]) + [message["Message-ID"]])
    return (f"From: Chen Jing <{CUSTOMER}>\r\nTo: desk@school.example\r\n"
            f"Subject: Re: {message['Subject']}\r\nMessage-ID: {message_id}\r\n"
            f"In-Reply-To: {message['Message-ID']}\r\nReferences: {refs}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()


def test_replies_thread_under_the_customers_last_mail(mail_desk, tmp_path):
    ticket = ingest_json("outlook_new.eml")["ticket"]
    ok(f"ticket accept {ticket}", as_user="bob")
    ok(f"ticket reply {ticket} -m 'Please reinstall the app.'", as_user="bob")
    (first_reply,) = to_customer(delivered(tmp_path))
    # the customer's own subject, answered: Gmail and Outlook group by subject
    assert first_reply["Subject"] == "Re: Student cannot log in to the app"
    assert first_reply["In-Reply-To"] == FIRST
    assert ids(first_reply["References"]) == [ROOT.format(ticket), FIRST]
    # the customer answers that reply from their client; the next reply threads under it
    data = ingest_json(answer(first_reply, "<second@sunshine-centre.example>"))
    assert (data["action"], data["ticket"]) == ("message", ticket)
    ok(f"ticket reply {ticket} -m 'Good to hear.' ", as_user="bob")
    newest = [m for m in to_customer(delivered(tmp_path))
              if m["Message-ID"] != first_reply["Message-ID"]]
    (second_reply,) = newest
    assert second_reply["Subject"] == "Re: Student cannot log in to the app"
    assert second_reply["In-Reply-To"] == "<second@sunshine-centre.example>"
    assert ids(second_reply["References"]) == [ROOT.format(ticket), FIRST,
                                               "<second@sunshine-centre.example>"]


def test_every_notice_of_a_mailed_ticket_threads_too(mail_desk):
    """Staff notices (assigned, customer wrote) carry the same threading headers, and
    stdout delivery shows them as they are sent."""
    ticket = ingest_json("outlook_new.eml")["ticket"]
    out = ok("outbox send --via stdout").out
    messages = [email.message_from_string(part, policy=policy.default)
                for part in re.split(r"\n(?=Subject: |Content-Type: multipart)", out)
                if "Message-ID:" in part]
    assert messages
    for message in messages:  # to staff: the tagged subject of the notice
        assert message["Subject"].startswith(f"[desk #{ticket}] ")
        assert message["In-Reply-To"] == FIRST
        assert ids(message["References"]) == [ROOT.format(ticket), FIRST]


def test_a_ticket_opened_by_hand_keeps_its_own_root(mail_desk, tmp_path):
    ok("ticket open --type email --title 'By hand' --customer C1 --field product=App")
    ok("ticket accept 1", as_user="bob")
    ok("ticket reply 1 -m 'Hello'", as_user="bob")
    for message in delivered(tmp_path):
        assert message["Subject"].startswith("[desk #1] ")
        assert message["In-Reply-To"] == ROOT.format(1)
        assert ids(message["References"]) == [ROOT.format(1)]


def test_a_strangers_mail_is_not_in_the_thread_and_long_threads_are_capped(mail_desk,
                                                                           tmp_path):
    ticket = ingest_json("outlook_new.eml")["ticket"]
    stranger = variant("gmail_reply.eml", drop=("Subject",), add={
        "Subject": f"Re: [desk #{ticket}] hello"},
        replace={"Zhang Wei <zw@example.com>": "M <m@evil.example>"})
    assert ingest_json(stranger)["not_threaded"] == ticket
    ok("config set mail.max-per-hour 100")
    for n in range(25):
        message = variant("outlook_new.eml", drop=("Message-ID", "Subject", "CC"), add={
            "Message-ID": f"<more-{n}@sunshine-centre.example>",
            "Subject": f"Re: [desk #{ticket}] more"})
        assert ingest_json(message)["ticket"] == ticket
    ok(f"ticket accept {ticket}", as_user="bob")
    ok(f"ticket reply {ticket} -m 'All read.'", as_user="bob")
    (reply,) = to_customer(delivered(tmp_path))
    refs = ids(reply["References"])
    assert refs[0] == ROOT.format(ticket) and len(refs) == 21
    assert refs[1:] == [f"<more-{n}@sunshine-centre.example>" for n in range(5, 25)]
    assert reply["In-Reply-To"] == "<more-24@sunshine-centre.example>"
    assert "<CAH4kR9vXq1Zc=Pq8mJ0b1T5u+eWQ@mail.gmail.com>" not in refs
    raw = reply.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
