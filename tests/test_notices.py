"""Notices end to end: a real SMTP server on 127.0.0.1 (aiosmtpd) receives what `deskcli
outbox send` delivers, and the tests read what arrived with Python's `email` package:
recipients per event kind, threading headers, the decoded Chinese subject, the subject tag;
failures kept and retried with backoff, never sent twice, not even by two senders at once;
broken templates; maildir and stdout delivery."""

import email
import os
import re
import socket
import subprocess
import sys
import threading
from email import policy
from email.utils import getaddresses
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import db_count, execute, ok, query, run

ROOT = Path(__file__).resolve().parent.parent


# --- a real SMTP server -------------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler that keeps every message, and can refuse recipients (451) or
    be slow (so that two senders really overlap)."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """(envelope recipients, the parsed message), in the order they arrived."""
        with self.lock:
            received = list(self.received)
        return [(rcpt, email.message_from_bytes(data, policy=policy.default))
                for rcpt, data in received]

    def by_subject(self, text: str) -> list[email.message.EmailMessage]:
        return [m for _, m in self.messages if text in str(m["Subject"])]

    def one(self, text: str) -> email.message.EmailMessage:
        found = self.by_subject(text)
        assert len(found) == 1, (text, [str(m["Subject"]) for _, m in self.messages])
        return found[0]

    def envelope(self, text: str) -> list[str]:
        found = [rcpt for rcpt, m in self.messages if text in str(m["Subject"])]
        assert len(found) == 1
        return sorted(found[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """A running SMTP server on a free port: `smtp.url` to send to, `smtp.inbox`."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_life(life_desk):
    """The ticket-life desk with e-mail addresses for everyone and a From address."""
    for login in ("mgr", "carol", "zhao", "sun", "tina", "lee", "dan"):
        ok(f"user update {login} --email {login}@example.com")
    ok("customer update C3 --email wf@example.com")
    ok("config set mail.from 'Help desk <desk@school.example>'")
    return life_desk


def send(smtp, *args, now=None) -> "object":
    return run("outbox", "send", "--via", smtp.url, *args, now=now)


def addresses(msg, header: str) -> list[str]:
    return sorted(a for _, a in getaddresses([str(v) for v in msg.get_all(header, [])]))


def body(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def outbox(*args) -> list[dict]:
    return ok("outbox", "list", "--limit", "0", "--json", *args).json


# --- who hears about what -----------------------------------------------------------------

def test_assigned_and_opened(mail_life, smtp):
    ok("ticket open --type help --title 'Printer jammed' --customer C1 -m 'Room 3'")
    result = send(smtp)
    assert result.code == 0, result
    assigned = smtp.one("Assigned to you: Printer jammed")
    assert addresses(assigned, "To") == ["bob@example.com"]
    assert smtp.envelope("Assigned to you") == ["bob@example.com"]
    assert "deskcli ticket accept 1" in body(assigned)


def test_a_crash_ticket_tells_its_cc_list(mail_life, smtp):
    ok("ticket open --type crash --title 'App closes' --customer C1 "
       "--field phone_model=X --field os=iOS")
    send(smtp)
    opened = smtp.one("New ticket: App closes")
    assert addresses(opened, "To") == ["zhao@example.com"]  # dept:sales on the type's CC


def test_queued_tickets_tell_the_dispatchers(mail_life, smtp):
    ok("config set queue.dispatchers mgr,dept:sales")
    ok("ticket open --type task --title 'Who takes this?'")
    send(smtp)
    assert addresses(smtp.one("In the queue"), "To") == ["mgr@example.com",
                                                         "zhao@example.com"]


def test_transferred_goes_to_the_new_handler(mail_life, smtp):
    ok("ticket open --type help --title T")
    ok("ticket accept 1", as_user="bob")
    ok("ticket transfer 1 --to carol", as_user="bob")
    send(smtp)
    assert addresses(smtp.one("Transferred to you"), "To") == ["carol@example.com"]


def test_a_note_goes_to_owner_and_handler_but_not_its_author(mail_life, smtp):
    ok("ticket open --type help --title T")
    ok("ticket accept 1", as_user="bob")
    ok("ticket transfer 1 --to carol", as_user="bob")
    ok("ticket note 1 -m 'Checked the logs'", as_user="carol")
    ok("ticket note 1 -m 'Thanks'", as_user="mgr")
    send(smtp)
    notes = smtp.by_subject("Note on #1")
    assert [addresses(m, "To") for m in notes] == [["bob@example.com"],
                                                   ["bob@example.com", "carol@example.com"]]


def test_a_reply_goes_to_the_customer_with_the_cc_list_in_one_message(mail_life, smtp):
    ok("ticket open --type crash --title 'App closes' --customer C1 "
       "--field phone_model=X --field os=iOS --cc carol")
    owner = show_assignee(1)
    ok("ticket accept 1", as_user=owner)
    ok("ticket reply 1 -m 'Please update to 3.2.'", as_user=owner)
    send(smtp)
    reply = smtp.one("] App closes")  # the reply's subject is the title itself
    assert addresses(reply, "To") == ["zw@example.com"]
    assert addresses(reply, "Cc") == ["carol@example.com", "zhao@example.com"]
    assert smtp.envelope("] App closes") == ["carol@example.com", "zhao@example.com",
                                             "zw@example.com"]
    assert "Please update to 3.2." in body(reply)
    assert reply["Auto-Submitted"] is None  # a person wrote it: auto-replies may answer
    assert str(reply["From"]) == "Help desk <desk@school.example>"


def show_assignee(ticket_id: int) -> str:
    return ok(f"ticket show {ticket_id} --json").json["assignee"]


def test_resolved_and_closed_tell_customer_opener_and_cc(mail_life, smtp):
    ok("ticket open --type help --title 'Login' --customer C1 --cc carol", as_user="sun")
    ok("ticket accept 1", as_user="bob")
    ok("ticket resolve 1 -m 'Reset the password.'", as_user="bob")
    ok("ticket close 1", as_user="bob")
    send(smtp)
    resolved = smtp.by_subject("Resolved: Login")
    assert sorted(addresses(m, "To") for m in resolved) == [
        ["carol@example.com", "sun@example.com"], ["zw@example.com"]]
    closed = smtp.by_subject("Closed: Login")
    assert sorted(addresses(m, "To") for m in closed) == [
        ["carol@example.com", "sun@example.com"], ["zw@example.com"]]
    customer_copy = [m for m in resolved if addresses(m, "To") == ["zw@example.com"]][0]
    assert "Reset the password." in body(customer_copy)
    assert customer_copy.get_body(preferencelist=("html",)) is not None  # and an HTML part


def test_each_notice_refers_to_the_event_it_tells_of(mail_life):
    """Events written together (one statement on PostgreSQL) and their notices (written
    at once) keep their pairs: every notice's event is one whose kind plans it."""
    from deskcli.mail.notices import PLANS

    ok("ticket open --type crash --title 'App closes' --customer C1 "
       "--field phone_model=X --field os=iOS")
    ok("ticket open --type help --title 'Login' --customer C1 --cc carol", as_user="sun")
    ok("ticket accept 2", as_user="bob")
    ok("ticket resolve 2 -m 'Reset the password.'", as_user="bob")
    pairs = query(mail_life, "SELECT o.template, e.kind, o.ticket_id, e.ticket_id, o.id "
                             "FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.id")
    assert len(pairs) >= 5 and {p[1] for p in pairs} >= {"opened", "assigned", "resolved"}
    for template, kind, notice_ticket, event_ticket, _ in pairs:
        assert template in [t for t, _ in PLANS[kind]], pairs
        assert notice_ticket == event_ticket
    assert query(mail_life, "SELECT count(*) FROM outbox WHERE event_id IS NULL") == [(0,)]


def test_nudged_and_escalated(mail_life, smtp):
    ok("type add chase --name Chase --route user:dan --accept-within 1h --nudge-every 1h "
       "--escalate-after 2")
    ok("ticket open --type chase --title 'Call the parent'")
    ok("ticket nudge 1 -m 'Please accept'", as_user="mgr")
    ok("remind run", now="2026-11-28T10:30:00Z")  # overdue: the second nudge escalates
    send(smtp, now="2026-11-28T10:31:00Z")
    nudges = smtp.by_subject("Reminder: #1")
    assert [addresses(m, "To") for m in nudges] == [["dan@example.com"]] * 2
    escalated = smtp.one("Escalated: #1")
    assert addresses(escalated, "To") == ["lee@example.com"]  # dan's manager
    assert addresses(escalated, "Cc") == ["dan@example.com"]


def test_approval_requested_and_decided(mail_life, smtp):
    ok("ticket open --type purchase --title 'New laptop'", as_user="sun")
    ok("ticket approve 1 -m 'OK'", as_user="zhao")
    send(smtp)
    assert addresses(smtp.one("Approval needed: New laptop"), "To") == ["zhao@example.com"]
    assert addresses(smtp.one("Approved: New laptop"), "To") == ["sun@example.com"]


def test_the_actor_never_hears_about_their_own_action(mail_life, smtp):
    ok("ticket open --type help --title T")
    ok("ticket accept 1", as_user="bob")
    ok("ticket note 1 -m 'mine'", as_user="bob")
    send(smtp)
    assert not smtp.by_subject("Note on #1")  # bob owns and handles it, and wrote it


# --- proper e-mail ------------------------------------------------------------------------

def test_threading_headers_and_the_subject_tag(mail_life, smtp):
    ok("ticket open --type help --title 'Printer jammed' --customer C1")
    ok("ticket accept 1", as_user="bob")
    ok("ticket reply 1 -m 'On my way'", as_user="bob")
    ok("ticket open --type help --title 'Other'")
    send(smtp)
    ((uid,),) = query(mail_life, "SELECT value FROM meta WHERE key = 'desk_uid'")
    first = [m for _, m in smtp.messages if m["X-Deskcli-Ticket"] == "1"]
    assert len(first) >= 2
    ids = [m["Message-ID"] for _, m in smtp.messages]
    assert len(set(ids)) == len(ids)
    assert all(i.endswith("@school.example>") for i in ids)
    for msg in first:
        assert msg["In-Reply-To"] == f"<ticket-1.{uid}@school.example>"
        assert msg["References"] == f"<ticket-1.{uid}@school.example>"
        assert str(msg["Subject"]).startswith("[desk #1] ")
        assert msg["X-Loop"] == f"deskcli-{uid}"
        assert msg["Date"] and msg["MIME-Version"] == "1.0"
    other = smtp.one("[desk #2]")
    assert other["References"] == f"<ticket-2.{uid}@school.example>"


def test_chinese_subject_and_names_with_locale_zh(mail_life, smtp):
    ok("config set locale zh")
    ok("config set mail.tag brand-a")
    ok("user update bob --name 李波")
    ok("ticket open --type help --title '打印机卡纸' --customer C1")
    send(smtp)
    msg = smtp.one("分配给您")
    assert str(msg["Subject"]) == "[brand-a #1] 分配给您: 打印机卡纸"
    raw_subject = [line for line in msg.as_string().splitlines()
                   if line.startswith("Subject:")][0]
    assert "=?utf-8?" in raw_subject.lower()  # encoded on the wire
    assert msg["To"].addresses[0].display_name == "李波"
    assert "将工单 #1 分配给您" in body(msg)


def test_the_desk_name_is_the_sender_name_when_mail_from_has_none(mail_life, smtp):
    ok("config set mail.from desk@school.example")
    ok("ticket open --type help --title T")
    send(smtp)
    assert str(smtp.one("Assigned")["From"]) == "Test desk <desk@school.example>"


# --- failures, retries, exactly once ------------------------------------------------------

def test_failed_notices_are_retried_with_backoff_and_sent_once(mail_life, smtp):
    ok("ticket open --type help --title T")
    smtp.refuse = {"bob@example.com"}  # 451: try again later
    assert send(smtp).code == 1
    assert send(smtp, now="2026-11-28T09:01:00Z").code == 1
    (notice,) = outbox()
    assert notice["attempts"] == 2
    assert notice["next_attempt_at"] == "2026-11-28T09:06:00Z"  # a minute, then five
    smtp.refuse = set()
    assert send(smtp, now="2026-11-28T09:05:00Z").code == 0
    assert smtp.messages == []  # not due yet
    assert send(smtp, now="2026-11-28T09:06:00Z").code == 0
    assert len(smtp.messages) == 1
    assert send(smtp, now="2026-11-28T12:00:00Z").code == 0
    assert len(smtp.messages) == 1
    (notice,) = outbox()
    assert notice["status"] == "sent" and notice["last_error"] is None


def test_a_recipient_refused_with_451_gets_it_later_and_nobody_twice(mail_life, smtp):
    ok("ticket open --type crash --title 'App closes' --customer C1 "
       "--field phone_model=X --field os=iOS --cc carol")
    owner = show_assignee(1)
    ok("ticket accept 1", as_user=owner)
    ok("ticket reply 1 -m 'Update please'", as_user=owner)
    smtp.refuse = {"carol@example.com"}
    result = send(smtp)
    assert result.code == 1
    assert "deferred by the mail server: carol@example.com: 451 4.3.0" in result.err
    assert smtp.envelope("] App closes") == ["zhao@example.com", "zw@example.com"]
    (reply,) = [r for r in outbox("--ticket", "1", "--status", "failed")
                if r["template"] == "reply"]
    assert "451" in reply["last_error"]
    smtp.refuse = set()
    assert send(smtp, now="2026-11-28T09:00:30Z").code == 0
    assert len(smtp.by_subject("] App closes")) == 1  # not due yet
    assert send(smtp, now="2026-11-28T09:01:00Z").code == 0
    copies = [rcpt for rcpt, m in smtp.messages if str(m["Subject"]).endswith("] App closes")]
    assert copies == [["zw@example.com", "zhao@example.com"], ["carol@example.com"]] or \
        sorted(map(sorted, copies)) == [["carol@example.com"],
                                        ["zhao@example.com", "zw@example.com"]]
    later = smtp.by_subject("] App closes")[1]
    assert addresses(later, "Cc") == ["carol@example.com", "zhao@example.com"]  # same mail
    assert later["Message-ID"] == smtp.by_subject("] App closes")[0]["Message-ID"]
    assert outbox("--ticket", "1", "--status", "failed") == []


def test_a_claim_left_by_a_killed_sender_is_taken_over(mail_life, smtp):
    ok("ticket open --type help --title T")
    execute(mail_life, "UPDATE outbox SET status = 'sending', claimed_by = 'dead:1:x', "
            "claimed_at = '2026-11-28T09:00:00Z'")
    send(smtp, now="2026-11-28T09:10:00Z")
    assert smtp.messages == []  # it may still be sending
    send(smtp, now="2026-11-28T09:16:00Z")
    assert len(smtp.messages) == 1


def cli(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "deskcli", *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_senders_at_once_deliver_each_notice_exactly_once(mail_life, smtp):
    ok("ticket open --type help --title T")
    # 230 copies of its notice: more than a batch (200), so both senders get some
    copied = ("created_at, ticket_id, event_id, template, locale, recipients, context, "
              "status, attempts, next_attempt_at, subject")
    execute(mail_life, f"WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 "
            f"FROM n WHERE k < 229) INSERT INTO outbox ({copied}, message_id) "
            f"SELECT {copied}, '<clone-' || k || '@school.example>' "
            f"FROM outbox, n WHERE outbox.id = 1")
    assert db_count(mail_life, "outbox") == 231
    env = {"DESKCLI_USER": "alice"}
    senders = [cli("outbox", "send", "--via", smtp.url, "--json", env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in senders]
    assert all(p.returncode == 0 for p in senders), outputs
    ids = [re.search(rb"^Message-ID: (.*)$", data, re.M | re.I)[1] for _, data in smtp.received]
    assert len(ids) == 231 and len(set(ids)) == 231
    import json

    counts = [json.loads(out)["sent"] for out, _ in outputs]
    assert sum(counts) == 231 and min(counts) > 0  # both really sent
    assert {r["status"] for r in outbox()} == {"sent"}


# --- templates ----------------------------------------------------------------------------

def test_a_template_with_a_syntax_error_fails_with_its_name_and_line(mail_life, smtp, tmp_path):
    folder = tmp_path / "templates" / "notices" / "en"
    folder.mkdir(parents=True)
    (folder / "assigned.txt.j2").write_text(
        "Subject: Yours: {{ ticket.title }}\nHello\n{% if ticket.id %}\nno endif\n",
        encoding="utf-8")
    ok(f"config set templates.dir {tmp_path / 'templates'}")
    ok("ticket open --type help --title T")
    result = send(smtp)
    assert result.code == 1
    assert "template notices/en/assigned.txt.j2, line" in result.err
    assert smtp.messages == []  # nothing half-rendered
    (notice,) = outbox("--status", "failed")
    assert "assigned.txt.j2" in notice["last_error"]


def test_an_unknown_variable_fails_with_the_line(mail_life, smtp, tmp_path):
    folder = tmp_path / "templates" / "notices" / "en"
    folder.mkdir(parents=True)
    (folder / "assigned.txt.j2").write_text(
        "Subject: Yours: {{ ticket.title }}\nHello\n\n{{ ticket.no_such_thing }}\n",
        encoding="utf-8")
    ok(f"config set templates.dir {tmp_path / 'templates'}")
    ok("ticket open --type help --title T")
    result = send(smtp)
    assert result.code == 1
    assert "template notices/en/assigned.txt.j2, line 4" in result.err
    assert "no_such_thing" in result.err
    assert smtp.messages == []
    (folder / "assigned.txt.j2").write_text("Subject: Yours: {{ ticket.title }}\nFixed\n",
                                            encoding="utf-8")
    ok("outbox retry")
    assert send(smtp).code == 0
    assert body(smtp.one("Yours: T")).strip() == "Fixed"


def test_a_broken_html_template_sends_nothing(mail_life, smtp, tmp_path):
    folder = tmp_path / "t" / "notices" / "en"
    folder.mkdir(parents=True)
    (folder / "customer_resolved.html.j2").write_text("<p>{{ event.message }</p>\n")
    ok(f"config set templates.dir {tmp_path / 't'}")
    ok("ticket open --type help --title T --customer C1")
    ok("ticket accept 1", as_user="bob")
    ok("ticket resolve 1 -m done", as_user="bob")
    result = send(smtp)
    assert result.code == 1 and "customer_resolved.html.j2, line 1" in result.err
    assert not smtp.by_subject("Resolved: T") or all(
        addresses(m, "To") != ["zw@example.com"] for m in smtp.by_subject("Resolved: T"))


def test_templates_are_sandboxed(mail_life, smtp, tmp_path):
    folder = tmp_path / "t" / "notices" / "en"
    folder.mkdir(parents=True)
    (folder / "assigned.txt.j2").write_text(
        "Subject: x\n{{ ticket.__class__.__mro__[1].__subclasses__() }}\n")
    ok(f"config set templates.dir {tmp_path / 't'}")
    ok("ticket open --type help --title T")
    result = send(smtp)
    assert result.code == 1 and "unsafe" in result.err.lower()
    assert smtp.messages == []


# --- maildir and stdout -------------------------------------------------------------------

def test_maildir_delivery(mail_life, tmp_path):
    ok("ticket open --type help --title 'Printer jammed'")
    ok(f"outbox send --via maildir:{tmp_path / 'Maildir'}")
    files = list((tmp_path / "Maildir" / "new").iterdir())
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert str(msg["Subject"]) == "[desk #1] Assigned to you: Printer jammed"
    assert outbox()[0]["status"] == "sent"


def test_stdout_delivery_and_the_outbox_setting(mail_life):
    ok("ticket open --type help --title 'Printer jammed'")
    result = ok("outbox send --via stdout")
    msg = email.message_from_string(result.out.strip() + "\n", policy=policy.default)
    assert str(msg["Subject"]) == "[desk #1] Assigned to you: Printer jammed"
    assert ok("outbox send --via stdout").out == ""  # sent once
    ok("ticket note 1 -m hi", as_user="mgr")
    ok("config set outbox.via stdout")
    assert "Note on #1" in ok("outbox send").out


def test_without_a_from_address_nothing_is_sent_and_it_says_how(life_desk, smtp):
    ok("ticket open --type help --title T")
    result = send(smtp)
    assert result.code == 1 and "mail.from" in result.err
    assert smtp.messages == []
    ok("config set mail.from desk@school.example")
    ok("outbox retry")
    assert send(smtp).code == 0 and len(smtp.messages) == 1


def test_send_is_silent_unless_verbose(mail_life, smtp):
    ok("ticket open --type help --title T")
    result = send(smtp)
    assert result.out == "" and result.err == ""
    ok("ticket note 1 -m x", as_user="mgr")
    assert send(smtp, "-v").err == "sent 1, failed 0\n"
