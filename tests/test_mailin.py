"""`deskcli mail ingest`: real-looking messages from common clients (tests/mail/*.eml) become
customer messages, notes or tickets; auto-replies, bounces and loops are recognised; the
exit statuses suit an MTA pipe.

The fixtures answer notices of ticket #1 on a desk whose uid is c0ffee42 and whose From
address is desk@school.example, so their In-Reply-To/References are those a real notice
of this desk carries.
"""

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import db_count, execute, is_pg, ok, run

from deskcli.mail.ingest import customer_key
from deskcli.mail.parse import cut_quoted, html_to_text
from deskcli.store import Store

MAIL = Path(__file__).parent / "mail"


@pytest.fixture
def mail_desk(seeded_desk):
    """The seeded desk, ready for mail: an 'email' type (routed to bob, a required field),
    an access client granted it, the desk's From address and a fixed uid."""
    ok("type add email --name E-mail --route user:bob --field 'product:choice!=App|Web' "
       "--accept-within 4h --resolve-within 1d")
    ok("access add mail-in --name 'Mail in' --types email")
    ok("config set mail.from 'Help desk <desk@school.example>'")
    ok("config set mail.type email")
    execute(seeded_desk, "INSERT OR REPLACE INTO meta (key, value) VALUES ('desk_uid', 'c0ffee42')")
    return seeded_desk


@pytest.fixture
def ticket1(mail_desk):
    """Ticket #1 of customer C1 (zw@example.com), accepted by bob, who replied."""
    ok("ticket open --type email --title 'App crash' --customer C1 --field product=App "
       "-m 'The app closes at login.'")
    ok("ticket accept 1", as_user="bob")
    ok("ticket reply 1 -m 'Please update the app to 3.2 and try again.'", as_user="bob")
    return 1


def raw(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def variant(name: str, *, add: dict | None = None, drop: tuple = (),
            replace: dict | None = None) -> bytes:
    """A fixture with headers dropped or added (at the top) and text replaced."""
    data = raw(name)
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = re.split(rb"\r\n(?![ \t])", head)
    lines = [line for line in lines
             if line.split(b":", 1)[0].decode().lower() not in {d.lower() for d in drop}]
    extra = [f"{k}: {v}".encode() for k, v in (add or {}).items()]
    data = b"\r\n".join(extra + lines) + sep + body
    for old, new in (replace or {}).items():
        data = data.replace(old.encode(), new.encode())
    return data


def ingest(message: bytes | str, *args, as_user="mail-in", now=None):
    data = raw(message) if isinstance(message, str) else message
    return run("mail", "ingest", "-", *args, input=data, as_user=as_user, now=now)


def ingest_json(message, **kwargs):
    result = ingest(message, "--json", **kwargs)
    assert result.code == 0, result
    return result.json


def show(ticket_id: int) -> dict:
    return ok(f"ticket show {ticket_id} --json").json


def events(ticket_id: int, kind: str | None = None) -> list[dict]:
    return [e for e in show(ticket_id)["events"] if kind is None or e["kind"] == kind]


def outbox(ticket_id: int, template: str | None = None) -> list[dict]:
    rows = ok(f"outbox list --ticket {ticket_id} --limit 0 --json").json
    return [r for r in rows if template is None or r["template"] == template]


def customer(key: str) -> dict:
    return ok(f"customer show {key} --json").json


# --- new mail opens tickets ---------------------------------------------------------------

def test_outlook_mail_opens_a_ticket_for_a_new_customer(mail_desk):
    result = ingest("outlook_new.eml")
    assert result.code == 0, result
    ticket_id = int(result.out)
    t = show(ticket_id)
    assert t["type"] == "email" and t["source"] == "email"
    assert t["title"] == "Student cannot log in to the app"
    assert t["opened_by"] == "mail-in" and t["assignee"] == "bob"
    assert t["body"].startswith("Hello,\n\nOur student Li Zhe (李喆) cannot log in")
    assert "<" not in t["body"] and "MsoNormal" not in t["body"]  # the plain part, not HTML
    assert t["fields"] == {}  # the required product stays empty until resolve
    assert t["customer"] == "chen.jing_sunshine-centre.example"
    c = customer(t["customer"])
    assert c["name"] == "Chen Jing" and c["email"] == "chen.jing@sunshine-centre.example"
    assert t["cc"] == ["bob"]  # a colleague on Cc: the CC list
    assert [a["name"] for a in t["attachments"]] == ["login-error.pdf"]
    assert t["attachments"][0]["content_type"] == "application/pdf"
    assert "customer chen.jing_sunshine-centre.example (new)" in result.err
    opened = events(ticket_id, "opened")[0]
    assert opened["actor"] == "mail-in" and opened["data"]["source"] == "email"


def test_an_outside_cc_is_named_not_added_and_staff_can_add_it(mail_desk):
    ticket_id = int(ingest("outlook_new.eml").out)
    t = show(ticket_id)
    assert t["contacts"] == []
    (named,) = [e for e in t["events"] if e["kind"] == "mail_cc"]
    assert named["visibility"] == "internal"
    assert "Grandpa.Chen@example.org" in named["message"]
    ok(f"ticket accept {ticket_id}", as_user="bob")
    ok(f"ticket reply {ticket_id} -m 'Please reinstall the app.'", as_user="bob")
    (reply,) = outbox(ticket_id, "reply")
    assert reply["to"] == ["chen.jing@sunshine-centre.example"] and reply["cc"] == []
    ok(f"ticket contact {ticket_id} --add Grandpa.Chen@example.org", as_user="bob")
    ok(f"ticket reply {ticket_id} -m 'Did it work?'", as_user="bob")
    assert outbox(ticket_id, "reply")[0]["cc"] == ["Grandpa.Chen@example.org"]


def test_a_known_customer_is_matched_by_address_and_quoted_printable_decodes(mail_desk):
    before = db_count(mail_desk, "customers")
    data = ingest_json("quoted_printable.eml")
    assert data["action"] == "opened" and data["customer"] == "C1"
    assert not data["customer_created"]
    assert db_count(mail_desk, "customers") == before
    t = show(data["ticket"])
    assert t["title"] == "课程调整"
    # soft line breaks joined: the long sentence is one line again
    assert "改成每周三次，从十二月开始。请问需要补多少费用？另外周三晚上 18:30 的班还有名额吗" \
        in t["body"]


def test_foxmail_declares_gb2312_but_sends_gbk_and_it_all_decodes(mail_desk):
    data = ingest_json("foxmail_new_gb2312.eml")
    t = show(data["ticket"])
    assert t["title"] == "李喆的账号无法登录"  # 喆 is not in GB2312
    assert "我是王堃，孩子李喆的家长" in t["body"]
    assert customer(t["customer"])["name"] == "王堃"
    assert t["customer"] == "wangkun_qq.example"
    assert [a["name"] for a in t["attachments"]] == ["成绩单截图.png"]
    fetched = run(f"ticket attachment {data['ticket']} 成绩单截图.png -o -")
    assert fetched.code == 0 and fetched.out[1:4] == "PNG"


def test_base64_body_and_chinese_attachment_names(mail_desk):
    data = ingest_json("base64_attachment.eml")
    t = show(data["ticket"])
    assert t["title"] == "学生名单和截屏"
    assert t["body"] == "附件是截屏和学生名单，请查收。\n\n孙老师"
    names = sorted(a["name"] for a in t["attachments"])
    assert names == ["学生名单.xls", "截屏.png"]  # RFC 2231, and an encoded word
    sizes = {a["name"]: a["size"] for a in data["attachments"]}
    assert sizes == {"截屏.png": 216, "学生名单.xls": 3008}
    assert data["not_added"] == ["zhao.lei@partner.example"]


def test_attachments_over_the_size_limit_are_skipped_and_named(mail_desk):
    ok("config set attachments.max-size 1K")
    result = ingest("base64_attachment.eml", "--json")
    assert result.code == 0, result
    data = result.json
    assert [a["name"] for a in data["attachments"]] == ["截屏.png"]
    assert data["skipped"] == [{"name": "学生名单.xls", "size": 3008,
                                "reason": "larger than attachments.max-size (1K)"}]
    assert "not kept: 学生名单.xls (3,008 bytes)" in result.err
    skipped = events(data["ticket"], "attachment_skipped")
    assert skipped and "学生名单.xls" in skipped[0]["message"]


def test_a_new_ticket_keeps_required_fields_for_resolve(mail_desk):
    ticket_id = int(ingest("outlook_new.eml").out)
    ok(f"ticket accept {ticket_id}", as_user="bob")
    result = run(f"ticket resolve {ticket_id} -m done", as_user="bob")
    assert result.code == 5 and "product" in result.err
    ok(f"ticket set {ticket_id} --field product=App", as_user="bob")
    ok(f"ticket resolve {ticket_id} -m done", as_user="bob")


def test_ticket_open_still_requires_the_fields(mail_desk):
    result = run("ticket open --type email --title 'By hand'")
    assert result.code == 2 and "product" in result.err
    result = run("ticket open --type email --title 'By hand'", as_user="mail-in")
    assert result.code == 2 and "product" in result.err


def test_html_only_mail_becomes_readable_text(mail_desk):
    ok("config set mail.tag other")  # the [desk #1] tag is not this desk's now: a new ticket
    data = ingest_json("html_only.eml")
    assert data["action"] == "opened"
    body = show(data["ticket"])["body"]
    assert "<" not in body.replace("<desk@school.example>", "")
    assert "track()" not in body and "font-family" not in body
    assert "视频卡住了 3 次" in body and "> 50 Mbps & 延迟 20 ms" in body
    assert "- 设备：iPad Air\n- 时间：19:00–19:45" in body


def test_an_empty_subject_takes_the_first_line(mail_desk):
    data = ingest_json(variant("quoted_printable.eml", drop=("Subject",)))
    assert show(data["ticket"])["title"] == "老师您好，"


def test_staff_mail_without_a_ticket_is_opened_in_their_name(mail_desk):
    message = variant("quoted_printable.eml", replace={'"Zhang Wei" <zw@example.com>':
                                                       "Bob Li <bob@example.com>"})
    t = show(ingest_json(message)["ticket"])
    assert t["opened_by"] == "bob" and t["customer"] is None


# --- replies ------------------------------------------------------------------------------

def test_a_gmail_reply_becomes_a_customer_message(ticket1):
    result = ingest("gmail_reply.eml")
    assert result.code == 0, result
    assert result.out == "1\n"
    (message,) = events(1, "customer_message")
    assert message["actor"] is None and message["visibility"] == "public"
    assert message["message"] == "更新到 3.2 以后还是闪退，手机是 iPhone 15，iOS 18.1。"
    assert message["data"]["from"] == "zw@example.com"
    assert message["data"]["message_id"] == "<CAH4kR9vXq1Zc=Pq8mJ0b1T5u+eWQ@mail.gmail.com>"
    (notice,) = outbox(1, "customer_message")
    assert notice["to"] == ["bob@example.com"]  # the owner hears about it


def test_apple_mail_reply_is_threaded_by_its_headers_alone(ticket1):
    data = ingest_json("applemail_reply.eml")
    assert data["action"] == "message" and data["ticket"] == 1
    (message,) = events(1, "customer_message")
    assert message["message"] == ("It still crashes, but only when the phone is on 4G. On "
                                  "Wi-Fi it works.\n\nZhang Wei")


def test_a_reply_to_a_real_notice_message_id(ticket1):
    notice = outbox(1, "reply")[0]
    message = variant("quoted_printable.eml", drop=("Subject",),
                      add={"Subject": "about my ticket",
                           "In-Reply-To": notice["message_id"]})
    assert ingest_json(message)["ticket"] == 1


@pytest.mark.parametrize("name", ["qqmail_reply_gb18030.eml", "outlook_reply_zh.eml",
                                  "html_only.eml"])
def test_quoted_earlier_messages_are_cut(ticket1, name):
    ok("ticket contact 1 --add wangkun@qq.example", as_user="bob")  # the other parent
    expected = {"qqmail_reply_gb18030.eml": "好的，我们换了 Wi-Fi 以后可以登录了，谢谢！",
                "outlook_reply_zh.eml": "收到，已经安装 3.2 版本，我们再观察两天。"}
    data = ingest_json(name)
    assert data["action"] == "message" and data["ticket"] == 1
    (message,) = events(1, "customer_message")
    if name in expected:
        assert message["message"] == expected[name]
    else:
        assert message["message"].endswith("张伟\n家长")
    assert "Please update the app" not in message["message"]


def test_a_waiting_ticket_goes_back_to_work_and_its_clock_resumes(ticket1):
    assert show(1)["resolve_due_at"] == "2026-11-29T09:00:00Z"
    ok("ticket reply 1 -m 'Which phone?' --wait", as_user="bob", now="2026-11-28T10:00:00Z")
    assert show(1)["status"] == "waiting"
    data = ingest_json("gmail_reply.eml", now="2026-11-28T14:00:00Z")
    assert data["status"] == "in_progress"
    t = show(1)
    assert t["status"] == "in_progress"
    assert t["resolve_due_at"] == "2026-11-29T13:00:00Z"  # four hours of waiting added
    (message,) = events(1, "customer_message")
    assert (message["from"], message["to"]) == ("waiting", "in_progress")


def test_a_resolved_ticket_is_reopened(ticket1):
    ok("ticket resolve 1 -m 'Fixed in 3.2.'", as_user="bob")
    data = ingest_json("gmail_reply.eml", now="2026-11-28T12:00:00Z")
    assert data["reopened"] and data["status"] == "in_progress"
    t = show(1)
    assert t["status"] == "in_progress" and t["resolution"] is None
    assert t["handler"] == "bob"
    assert t["resolve_due_at"] == "2026-11-29T12:00:00Z"
    kinds = [e["kind"] for e in t["events"]][-2:]
    assert kinds == ["customer_message", "reopened"]
    assert outbox(1, "reopened")


def test_mail_to_a_closed_ticket_opens_a_related_one(ticket1):
    ok("ticket close 1", as_user="bob")
    data = ingest_json("gmail_reply.eml")
    assert data["action"] == "opened" and data["related_to"] == 1
    new = show(data["ticket"])
    assert new["title"] == "App crash 闪退"
    assert new["body"] == "更新到 3.2 以后还是闪退，手机是 iPhone 15，iOS 18.1。"
    assert new["customer"] == "C1"
    assert new["links"]["related"] == [1]
    assert show(1)["links"]["related"] == [data["ticket"]]
    assert show(1)["status"] == "closed"


def test_a_merged_ticket_sends_the_mail_to_its_survivor(ticket1):
    ok("ticket open --type email --title 'Same crash' --customer C1 --field product=App")
    ok("ticket accept 2", as_user="bob")
    ok("ticket merge 1 --into 2", as_user="bob")
    assert ingest_json("gmail_reply.eml")["ticket"] == 2


def test_a_colleagues_mail_is_an_internal_note_by_them(ticket1):
    data = ingest_json("staff_reply.eml")
    assert data["action"] == "note" and data["ticket"] == 1
    (note,) = events(1, "note")
    assert note["actor"] == "bob" and note["visibility"] == "internal"
    assert note["message"] == ("Known issue with the 4G stack on 3.2.0; the fix is in 3.2.1, "
                               "due Monday.")
    assert not [e for e in show(1)["events"] if e["kind"] == "customer_message"]


def test_cc_on_a_reply_adds_colleagues_visibly_and_no_outside_address(ticket1):
    message = variant("gmail_reply.eml", add={
        "Cc": "Alice Admin <ALICE@example.com>, =?utf-8?b?5aW25aW2?= <grandma@example.org>, "
              "Help desk <desk@school.example>"})
    data = ingest_json(message)
    assert data["cc"] == ["alice"] and data["not_added"] == ["grandma@example.org"]
    t = show(1)
    assert "alice" in t["cc"] and t["contacts"] == []
    assert [e["to"] for e in t["events"] if e["kind"] == "cc_added"] == ["alice"]
    ok("ticket reply 1 -m 'Thanks, we are on it.'", as_user="bob")
    reply = outbox(1, "reply")[0]  # the newest
    assert reply["to"] == ["zw@example.com"]
    assert "alice@example.com" in reply["cc"]
    assert "grandma@example.org" not in reply["cc"]
    assert "desk@school.example" not in reply["cc"]


def test_the_subject_tag_alone_finds_the_ticket_and_mail_tag_is_used(ticket1):
    message = variant("quoted_printable.eml", drop=("Subject",),
                      add={"Subject": "Re: [brand-a #1] follow-up"})
    assert ingest_json(message)["action"] == "opened"  # not this desk's tag
    ok("config set mail.tag brand-a")
    message = variant("quoted_printable.eml", drop=("Subject", "Message-ID"),
                      add={"Subject": "Re: [Brand-A #1] follow-up", "Message-ID": "<x2@e>"})
    data = ingest_json(message)
    assert data["action"] == "message" and data["ticket"] == 1


def test_an_access_client_files_mail_on_tickets_it_cannot_see(ticket1):
    assert run("ticket show 1", as_user="mail-in").code == 3
    assert ingest_json("gmail_reply.eml")["ticket"] == 1


# --- what is not turned into tickets ------------------------------------------------------

@pytest.mark.parametrize(("message", "reason"), [
    ("out_of_office.eml", "Auto-Submitted: auto-replied"),
    ("autoreply_zh.eml", "out-of-office"),
    ("bounce_dsn.eml", "Auto-Submitted"),
    ("mail_loop.eml", "X-Loop: deskcli-c0ffee42"),
    (variant("bounce_dsn.eml", drop=("Auto-Submitted",)), "empty Return-Path"),
    (variant("bounce_dsn.eml", drop=("Auto-Submitted", "Return-Path")), "multipart/report"),
    (variant("quoted_printable.eml", add={"Precedence": "bulk"}), "Precedence: bulk"),
    (variant("quoted_printable.eml", add={"Precedence": "list"}), "Precedence: list"),
    (variant("quoted_printable.eml", add={"X-Autoreply": "yes"}), "X-Autoreply"),
    (variant("quoted_printable.eml", add={"X-Autorespond": "vacation"}), "X-Autorespond"),
    (variant("quoted_printable.eml", replace={'"Zhang Wei" <zw@example.com>':
                                              "Help desk <Desk@School.example>"}),
     "the desk's own address"),
    (variant("quoted_printable.eml", drop=("Subject",),
             add={"Subject": "Out of Office: back on Monday"}), "out-of-office"),
    (b"this is not an e-mail\n", "no sender address"),
], ids=["exchange-ooo", "qq-autoreply", "dsn", "x-loop", "return-path", "report",
        "bulk", "list", "x-autoreply", "x-autorespond", "own-address", "ooo-subject",
        "garbage"])
def test_automatic_mail_is_ignored(ticket1, message, reason):
    tickets, events_before = db_count(_db(), "tickets"), len(show(1)["events"])
    result = ingest(message)
    assert result.code == 0, result
    assert result.out == ""
    assert result.err.startswith("ignored: ") and reason in result.err
    assert db_count(_db(), "tickets") == tickets
    assert len(show(1)["events"]) == events_before


def _db():
    import os

    return os.environ["DESKCLI_DB"]


def test_auto_submitted_no_is_a_person(ticket1):
    data = ingest_json(variant("gmail_reply.eml", add={"Auto-Submitted": "no"}))
    assert data["action"] == "message"


def test_a_sender_over_the_hourly_limit_is_ignored(mail_desk):
    ok("config set mail.max-per-hour 3")

    def nth(n):
        return variant("quoted_printable.eml", drop=("Message-ID",),
                       add={"Message-ID": f"<flood-{n}@example.com>"})

    for n in range(3):
        assert ingest_json(nth(n))["action"] == "opened"
    result = ingest(nth(3))
    assert result.code == 0 and "more than 3 messages in the last hour" in result.err
    assert ingest_json(nth(4), now="2026-11-28T10:01:00Z")["action"] == "opened"


def test_the_same_message_twice_is_filed_once(ticket1):
    first = ingest("gmail_reply.eml")
    again = ingest("gmail_reply.eml")
    assert again.code == 0 and again.out == first.out == "1\n"
    assert again.err.startswith("duplicate: already ingested")
    assert len(events(1, "customer_message")) == 1
    assert db_count(_db(), "mail_in") == 1


def test_a_message_without_message_id_is_recognised_by_its_content(mail_desk):
    message = variant("quoted_printable.eml", drop=("Message-ID",))
    first = ingest_json(message)
    assert ingest_json(message)["action"] == "duplicate"
    assert db_count(_db(), "tickets") == 1 and first["action"] == "opened"


# --- exit statuses for an MTA -------------------------------------------------------------

def test_without_mail_type_the_mta_retries_and_nothing_is_written(mail_desk):
    ok("config unset mail.type")
    customers = db_count(mail_desk, "customers")
    result = ingest("outlook_new.eml")
    assert result.code == 75, result
    assert "mail.type" in result.err and "Traceback" not in result.err
    assert db_count(mail_desk, "mail_in") == 0 and db_count(mail_desk, "tickets") == 0
    assert db_count(mail_desk, "customers") == customers
    ok("config set mail.type email")
    assert ingest("outlook_new.eml").code == 0  # the MTA's retry now files it


def test_a_busy_desk_exits_75(mail_desk, monkeypatch):
    import deskcli.store

    monkeypatch.setattr(deskcli.store, "BUSY_TIMEOUT_MS", 100)
    # another writer holds the desk's write lock: SQLite's file lock, or on PostgreSQL the
    # desk's advisory lock that every write transaction takes
    holder = (Store.open(mail_desk).conn if is_pg(mail_desk)
              else sqlite3.connect(mail_desk, isolation_level=None))
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("SELECT 1")  # (deskcli's PostgreSQL BEGIN travels with the next statement)
    try:
        result = ingest("outlook_new.eml")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 75, result
    assert "busy" in result.err and "Traceback" not in result.err
    assert ingest("outlook_new.eml").code == 0


@pytest.mark.parametrize("who", ["nobody", "viv"])
def test_a_desk_side_problem_keeps_the_mail_at_the_mta(mail_desk, who):
    result = ingest("outlook_new.eml", as_user=who)
    assert result.code == 75, result
    assert result.err.startswith("Error: cannot file the message now")
    assert "Traceback" not in result.err


def test_an_unexpected_failure_is_75_without_a_traceback(mail_desk, monkeypatch):
    import deskcli.mail.parse

    def broken(data, charsets=None):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(deskcli.mail.parse, "parse", broken)
    result = ingest("outlook_new.eml")
    assert result.code == 75 and "parser exploded" in result.err
    assert "Traceback" not in result.err


def test_nul_characters_of_a_damaged_mail_are_dropped(mail_desk):
    # PostgreSQL refuses a NUL in text: kept, the mail would go back to the MTA forever
    data = variant("outlook_new.eml", replace={"Student cannot": "Student\x00 cannot",
                                               "Our student": "Our\x00 student"})
    assert b"\x00" in data
    t = show(int(ok("mail ingest -", input=data, as_user="mail-in").out))
    assert t["title"] == "Student cannot log in to the app"
    assert t["body"].startswith("Hello,\n\nOur student Li Zhe")


@pytest.mark.parametrize("empty", [b"", b"\r\n \n\t"])
def test_an_empty_message_is_ignored_with_0_and_nothing_written(mail_desk, empty):
    before = {t: db_count(mail_desk, t) for t in ("mail_in", "tickets", "customers")}
    result = ingest(empty)
    assert (result.code, result.out) == (0, ""), result  # an MTA would bounce on 2
    assert result.err.startswith("ignored: the message is empty")
    assert ingest(empty, "--json").json["action"] == "ignored"
    assert {t: db_count(mail_desk, t) for t in before} == before


def test_a_missing_file_is_a_usage_error(mail_desk, tmp_path):
    result = run(f"mail ingest {tmp_path / 'nope.eml'}", as_user="mail-in")
    assert result.code == 2 and "cannot read" in result.err


def test_a_file_argument_and_an_mbox_from_line(mail_desk):
    assert ok(f"mail ingest {MAIL / 'outlook_new.eml'}", as_user="mail-in").out.strip() == "1"
    mbox = b"From zw@example.com  Sat Nov 28 17:00:00 2026\n" + raw("quoted_printable.eml")
    assert ingest_json(mbox)["customer"] == "C1"


def test_json_reports_everything(mail_desk):
    data = ingest_json("outlook_new.eml")
    assert set(data) >= {"action", "ticket", "reason", "message_id", "sender", "subject",
                         "customer", "customer_created", "status", "cc", "not_added",
                         "attachments", "skipped"}
    assert data["sender"] == "chen.jing@sunshine-centre.example"
    assert data["cc"] == ["bob"] and data["not_added"] == ["Grandpa.Chen@example.org"]
    assert data["status"] == "assigned"


# --- the pieces ---------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "key"), [
    ("zw@example.com", "zw_example.com"),
    ("Zhang.Wei+Test@Example.COM", "zhang.wei-test_example.com"),
    ("_odd@x.org", "odd_x.org"),
    ("a" * 80 + "@example.com", None),
])
def test_customer_keys_from_addresses(address, key):
    made = customer_key(address)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", made)
    if key:
        assert made == key


def test_a_taken_customer_key_gets_a_number(mail_desk):
    ok("customer add chen.jing_sunshine-centre.example --name Other --email other@x.org")
    data = ingest_json("outlook_new.eml")
    assert data["customer"] == "chen.jing_sunshine-centre.example-2"


def test_cut_quoted_keeps_a_reply_that_is_only_quotes():
    assert cut_quoted("> only a quote") == "> only a quote"
    assert cut_quoted("Thanks!\n\n-----Original Message-----\nFrom: x") == "Thanks!"
    assert cut_quoted("好\n\n-----原始邮件-----\n发件人: x") == "好"
    assert cut_quoted("ok\n在 2026年11月28日 17:10，Help 写道：\n> old") == "ok"


def test_html_to_text_handles_broken_markup():
    assert html_to_text("<p>a<b>b</p><div>c") == "ab\n\nc"
    assert html_to_text("<table><tr><td>x</td><td>y</td></tr></table>") == "x y"


def test_help_and_man_page_show_the_mta_setup():
    text = run("mail ingest --help", as_user=None).out
    for needle in ("/etc/aliases", "|/usr/local/bin/deskcli", ".forward", "procmail",
                   "EX_TEMPFAIL", "access add mail-in"):
        assert needle in text
    man = (Path(__file__).parent.parent / "man" / "deskcli.1").read_text(encoding="utf-8")
    assert "procmail" in man and "/etc/aliases" in man


def test_a_colleague_who_may_not_add_notes_is_ignored_with_the_reason(ticket1):
    ok("role add opener -p ticket.open --description 'Opens tickets, sees none'")
    ok("user update bob --role opener")
    data = ingest_json("staff_reply.eml")
    assert (data["action"], data["ticket"]) == ("ignored", 1)
    assert data["reason"].startswith("from bob, who may not add notes to #1: ")
    assert "ticket.work" in data["reason"]
    assert not events(1, "note")


def test_a_colleague_who_cannot_see_the_ticket_is_ignored(ticket1):
    ok("config set visibility department")
    ok("user update sun --email sun@example.com")  # sales: cannot see support's ticket
    data = ingest_json(variant("staff_reply.eml",
                               replace={"Bob Li <bob@example.com>": "Sun Mei <sun@example.com>"}))
    assert (data["action"], data["ticket"]) == ("ignored", 1)
    assert data["reason"].startswith("from sun, who may not add notes to #1: ")
    assert not events(1, "note")
