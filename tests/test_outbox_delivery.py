"""What `outbox send` promises when delivery goes wrong, against a real SMTP server on
127.0.0.1 (aiosmtpd) that can defer (4xx) or reject (5xx) recipients and messages, or be
down: each notice is marked sent as soon as the server accepts it; a permanent rejection
fails at once with a readable reason and is reported once; a server that is down is one
failure of the run (exit 75) and counts against no notice; maildir folders are made."""

import email
import json
from email import policy

import pytest
from aiosmtpd.controller import Controller
from conftest import execute, ok, query, run
from test_notices import Inbox, free_port, mail_life, outbox, send  # noqa: F401 - a fixture


class Picky(Inbox):
    """An Inbox that answers chosen recipients and messages with a given reply, and can
    look at the desk while a message arrives."""

    def __init__(self):
        super().__init__()
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.on_data = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rcpt_replies:
            return self.rcpt_replies[address.lower()]
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            self.on_data()
        if self.data_reply is not None:
            return self.data_reply
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def picky():
    inbox = Picky()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


def statuses(desk) -> dict[str, int]:
    return dict(query(desk, "SELECT status, count(*) FROM outbox GROUP BY status"))


# --- each notice marked sent as soon as the server takes it ---------------------------------

def test_each_notice_is_marked_sent_before_the_next_is_sent(mail_life, picky):  # noqa: F811
    for n in range(4):
        ok(f"ticket open --type help --title T{n}")
    seen = []
    picky.on_data = lambda: seen.append(statuses(mail_life).get("sent", 0))
    assert send(picky).code == 0
    assert seen == [0, 1, 2, 3]  # the server had taken n messages: n were marked sent


# --- the server is down: one failure of the run ---------------------------------------------

def test_a_server_that_is_down_is_one_failure_of_the_run(mail_life):  # noqa: F811
    ok("ticket open --type help --title T")
    ok("ticket open --type help --title U")
    dead = f"smtp://127.0.0.1:{free_port()}"
    for minute in range(3):  # three cron runs while it is down
        result = run("outbox", "send", "--via", dead, now=f"2026-11-28T09:0{minute}:00Z")
        assert result.code == 75
        assert result.err == (f"Error: cannot reach the mail server {dead[7:]}: connection "
                              "refused (is the mail server running?); nothing was sent, the "
                              "notices stay due for the next run\n")
    for notice in outbox():
        assert (notice["status"], notice["attempts"], notice["last_error"]) == \
            ("pending", 0, None)
        assert notice["next_attempt_at"] == "2026-11-28T09:00:00Z"


def test_the_first_run_after_the_server_is_back_sends_everything_due(mail_life):  # noqa: F811
    ok("ticket open --type help --title T")
    inbox = Inbox()
    port = free_port()
    for hour in range(9, 18):  # down all day
        assert run("outbox", "send", "--via", f"smtp://127.0.0.1:{port}",
                   now=f"2026-11-28T{hour:02}:00:00Z").code == 75
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = run("outbox", "send", "--via", f"smtp://127.0.0.1:{port}", "--json",
                     now="2026-11-28T18:00:00Z")
    finally:
        controller.stop()
    assert result.code == 0 and json.loads(result.out)["sent"] == 1
    assert len(inbox.messages) == 1


def test_an_unknown_host_is_one_readable_line(mail_life):  # noqa: F811
    ok("ticket open --type help --title T")
    result = run("outbox", "send", "--via", "smtp://no-such-host.invalid:25")
    assert result.code == 75
    assert result.err == ("Error: cannot reach the mail server no-such-host.invalid:25: no "
                          "such host (DNS lookup failed); nothing was sent, the notices stay "
                          "due for the next run\n")
    assert outbox()[0]["attempts"] == 0


def test_a_server_that_goes_away_mid_run_loses_nothing(mail_life, picky):  # noqa: F811
    for n in range(4):
        ok(f"ticket open --type help --title T{n}")
    count = []

    def third_closes():
        count.append(1)
        if len(count) == 3:
            picky.data_reply = "421 4.3.2 Shutting down"

    picky.on_data = third_closes
    result = send(picky)
    assert result.code == 75
    assert result.err.startswith(f"Error: lost the connection to the mail server "
                                 f"{picky.url[7:]}: 421 4.3.2 Shutting down;")
    assert "Traceback" not in result.err and len(picky.messages) == 2
    assert statuses(mail_life) == {"sent": 2, "pending": 2}
    assert {n["attempts"] for n in outbox("--status", "pending")} == {0}
    picky.data_reply, picky.on_data = None, None
    assert send(picky).code == 0
    ids = [m["Message-ID"] for _, m in picky.messages]
    assert len(ids) == 4 and len(set(ids)) == 4


# --- permanent and temporary refusals --------------------------------------------------------

def test_a_permanent_rejection_fails_at_once_and_is_reported_once(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")  # assigned to bob
    ok("ticket open --type task --title Fine")  # queued: the admins hear of it
    picky.rcpt_replies["bob@example.com"] = "550 5.1.1 <bob@example.com>: user unknown"
    result = send(picky, "--json")
    assert result.code == 1
    summary = json.loads(result.out)
    assert summary["sent"] == 1 and summary["failed"] == 1
    (failure,) = summary["failures"]
    assert failure == {"id": 1, "error": "rejected by the mail server: 550 5.1.1 "
                       "<bob@example.com>: user unknown", "retry_at": None,
                       "permanent": True}
    assert result.err == ("notice 1: rejected by the mail server: 550 5.1.1 "
                          "<bob@example.com>: user unknown; not retried "
                          "(deskcli outbox retry 1)\n")
    (rejected,) = outbox("--status", "dead")
    assert rejected["id"] == 1 and rejected["attempts"] == 1
    assert rejected["last_error"] == failure["error"]
    table = ok("outbox list").out
    assert "dead" in table and "rejected by the mail server: 550" in table
    for day in ("2026-11-29", "2026-12-01", "2026-12-05"):  # later runs: not again
        later = send(picky, "--json", now=f"{day}T09:00:00Z")
        assert later.code == 0 and json.loads(later.out) == \
            {"sent": 0, "failed": 0, "failures": []}
    assert [str(m["Subject"]) for _, m in picky.messages] == ["[desk #2] In the queue: Fine"]
    # the mailbox exists now: retry sends it
    picky.rcpt_replies.clear()
    ok("outbox retry 1")
    assert send(picky).code == 0
    assert len(picky.by_subject("Assigned to you: T")) == 1


def test_a_message_rejected_at_data_fails_at_once(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")
    picky.data_reply = "554 5.7.1 Message refused: looks like spam"
    result = send(picky)
    assert result.code == 1
    assert result.err == ("sent 0, failed 1\nnotice 1: rejected by the mail server: 554 "
                          "5.7.1 Message refused: looks like spam; not retried "
                          "(deskcli outbox retry 1)\n")
    assert outbox()[0]["status"] == "dead"


def test_a_deferred_message_is_retried_with_backoff(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")
    picky.data_reply = "451 4.7.1 Greylisted, try again later"
    result = send(picky)
    assert result.code == 1
    assert result.err == ("sent 0, failed 1\nnotice 1: deferred by the mail server: 451 "
                          "4.7.1 Greylisted, try again later; retry at 2026-11-28T09:01:00Z\n")
    (notice,) = outbox()
    assert (notice["status"], notice["attempts"]) == ("failed", 1)
    picky.data_reply = None
    assert send(picky, now="2026-11-28T09:01:00Z").code == 0
    assert outbox()[0]["status"] == "sent"


def test_one_recipient_rejected_the_others_get_it_once(mail_life, picky):  # noqa: F811
    ok("ticket open --type crash --title 'App closes' --customer C1 "
       "--field phone_model=X --field os=iOS --cc carol")
    owner = ok("ticket show 1 --json").json["assignee"]
    ok("ticket accept 1", as_user=owner)
    ok("ticket reply 1 -m 'Update please'", as_user=owner)
    picky.rcpt_replies["carol@example.com"] = "550 5.1.1 No such user"
    picky.rcpt_replies["zhao@example.com"] = "452 4.2.2 Mailbox full"
    result = send(picky)
    assert result.code == 1
    assert ("rejected by the mail server: carol@example.com: 550 5.1.1 No such user; "
            "deferred by the mail server: zhao@example.com: 452 4.2.2 Mailbox full; retry at"
            ) in result.err
    assert picky.envelope("] App closes") == ["zw@example.com"]
    picky.rcpt_replies.clear()
    assert send(picky, now="2026-11-28T09:01:00Z").code == 0
    copies = sorted(sorted(rcpt) for rcpt, m in picky.messages
                    if str(m["Subject"]).endswith("] App closes"))
    assert copies == [["zhao@example.com"], ["zw@example.com"]]  # carol: never, zw: once
    (reply,) = [r for r in outbox("--ticket", "1") if r["template"] == "reply"]
    assert reply["status"] == "sent"


def test_every_recipient_rejected_for_good_is_dead_at_once(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")
    picky.rcpt_replies["bob@example.com"] = "553 5.1.3 Bad recipient address syntax"
    assert send(picky).code == 1
    assert outbox()[0]["status"] == "dead"


def test_a_refused_sender_address_is_a_failure_of_the_run(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")

    async def refuse_sender(server, session, envelope, address, mail_options):
        return "553 5.7.1 Sender address rejected: not owned by user"

    picky.handle_MAIL = refuse_sender
    result = send(picky)
    assert result.code == 1
    assert result.err.startswith(f"Error: the mail server {picky.url[7:]} refuses the sender "
                                 "address desk@school.example: 553 5.7.1 Sender address "
                                 "rejected: not owned by user\n")
    (notice,) = outbox()
    assert (notice["status"], notice["attempts"]) == ("pending", 0)


# --- maildir -----------------------------------------------------------------------------

@pytest.mark.parametrize("made", [True, False])
def test_maildir_in_an_empty_or_missing_folder(mail_life, tmp_path, made):  # noqa: F811
    folder = tmp_path / "mail" / "desk"
    if made:
        folder.mkdir(parents=True)
    ok("ticket open --type help --title 'Printer jammed'")
    ok(f"outbox send --via maildir:{folder}")
    assert sorted(p.name for p in folder.iterdir()) == ["cur", "new", "tmp"]
    (path,) = (folder / "new").iterdir()
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert str(msg["Subject"]) == "[desk #1] Assigned to you: Printer jammed"
    assert outbox()[0]["status"] == "sent"


def test_a_maildir_that_cannot_be_made_counts_against_no_notice(mail_life, tmp_path):  # noqa: F811
    (tmp_path / "taken").write_text("a file, not a folder")
    ok("ticket open --type help --title T")
    result = run("outbox", "send", "--via", f"maildir:{tmp_path / 'taken'}")
    assert result.code == 1
    assert result.err.startswith(f"Error: cannot use the maildir {tmp_path / 'taken'}: it "
                                 "is a file, not a folder\n")
    assert "Traceback" not in result.err and "Errno" not in result.err
    assert (outbox()[0]["status"], outbox()[0]["attempts"]) == ("pending", 0)


def test_a_bad_via_leaves_the_notices_due(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")
    result = run("outbox", "send", "--via", "carrier-pigeon:coop")
    assert result.code == 2 and "cannot deliver via 'carrier-pigeon:coop'" in result.err
    (notice,) = outbox()
    assert (notice["status"], notice["attempts"]) == ("pending", 0)  # not claimed for 15 min
    assert send(picky).code == 0 and len(picky.messages) == 1


def test_a_server_closing_at_a_recipient_counts_against_no_notice(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")
    picky.rcpt_replies["bob@example.com"] = "421 4.3.2 Service shutting down"
    result = send(picky)
    assert result.code == 75
    assert result.err.startswith(f"Error: lost the connection to the mail server "
                                 f"{picky.url[7:]}: 421 4.3.2 Service shutting down;")
    assert (outbox()[0]["status"], outbox()[0]["attempts"]) == ("pending", 0)


# --- claims left by a killed sender ----------------------------------------------------------

def claim_all(desk, worker: str) -> None:
    execute(desk, "UPDATE outbox SET status = 'sending', claimed_by = ?, "
            "claimed_at = '2026-11-28T09:00:00Z'", (worker,))


def test_a_killed_sender_of_this_machine_is_taken_over_at_once(mail_life, picky):  # noqa: F811
    import socket
    import subprocess

    ok("ticket open --type help --title T")
    gone = subprocess.Popen(["true"])
    gone.wait()  # its process id is free now
    claim_all(mail_life, f"{socket.gethostname()}:{gone.pid}:abc123")
    assert send(picky, now="2026-11-28T09:01:00Z").code == 0
    assert len(picky.messages) == 1


def test_a_live_sender_keeps_its_claims(mail_life, picky):  # noqa: F811
    import socket
    import subprocess

    ok("ticket open --type help --title T")
    alive = subprocess.Popen(["sleep", "30"])
    try:
        claim_all(mail_life, f"{socket.gethostname()}:{alive.pid}:abc123")
        assert send(picky, now="2026-11-28T09:14:00Z").code == 0
        assert picky.messages == []  # it may be sending them right now
    finally:
        alive.kill()
        alive.wait()
    assert send(picky, now="2026-11-28T09:14:30Z").code == 0  # gone now: at once
    assert len(picky.messages) == 1


def test_an_address_the_server_cannot_take_does_not_hold_up_the_others(mail_life, picky):  # noqa: F811
    ok("user update bob --email bøb@example.com")
    ok("ticket open --type help --title T")  # to bob
    ok("ticket open --type task --title Fine")  # to the admins
    result = send(picky)
    assert result.code == 1
    assert "notice 1: cannot address bøb@example.com: non-ASCII addresses are not " \
        "supported; not retried (deskcli outbox retry 1)" in result.err
    assert [r["status"] for r in outbox()] == ["sent", "dead"]
    assert [str(m["Subject"]) for _, m in picky.messages] == ["[desk #2] In the queue: Fine"]


def test_a_message_too_large_at_mail_from_fails_alone(mail_life, picky):  # noqa: F811
    ok("ticket open --type help --title T")

    async def too_big(server, session, envelope, address, mail_options):
        return "552 5.3.4 Message size exceeds fixed limit"

    picky.handle_MAIL = too_big
    result = send(picky)
    assert result.code == 1
    assert "notice 1: rejected by the mail server: 552 5.3.4 Message size exceeds fixed " \
        "limit; not retried" in result.err
    assert outbox()[0]["status"] == "dead"
