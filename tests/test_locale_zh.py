"""A desk with `locale zh` speaks Chinese throughout (issue 13, point 4): every notice kind
(subject, text and HTML) and every report (terminal, Markdown, HTML, CSV headers) is
rendered and searched for the English words of the en templates and reports; only logins,
keys, ids, commands, URLs and e-mail addresses may stay. Times are in the desk's zone,
named."""

import email
import email.policy
import re
from pathlib import Path

import pytest
from conftest import ok, run

from deskcli import locales

TEMPLATES = Path(__file__).parent.parent / "templates"
LOGINS = {"alice", "mgr", "bob", "carol", "zhao", "sun", "viv", "tina", "lee", "dan"}
KEYS = {"C1", "C2", "C3", "support", "sales", "teaching", "help", "crash", "task",
        "purchase", "leave", "lesson", "renewal", "chase", "brand-a", "LOGIN"}
ALLOWED = LOGINS | KEYS | {"deskcli", "SLA", "P90", "UTC", "html", "manual", "consultant"}
# what deskcli itself writes on events (routing.py, remind.py, lifecycle.py, departure.py)
REASON_WORDS = {"routing", "rule", "queue", "assigned", "inactive", "manager", "reminders",
                "escalated", "automatically", "customer", "declined", "schedule",
                "approval", "approves", "successor", "deactivated", "left", "nobody",
                "active", "turn", "fewest", "open", "tickets", "follows", "consultant"}
STATES = set(locales.ZH_WORDS) | {"in", "progress", "awaiting"}


def english_words_of_templates() -> set[str]:
    words = set()
    for path in (TEMPLATES / "notices" / "en").glob("*.j2"):
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", path.read_text(), flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        words |= {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text)}
    return words


def leftovers(text: str, english: set[str]) -> set[str]:
    """English words of `english` left in `text`, once what may stay is taken out."""
    text = re.sub(r"[\w.+-]+@[\w.-]+", " ", text)  # e-mail addresses
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"deskcli(?: +-{0,2}[A-Za-z0-9][\w-]*)*", " ", text)  # commands
    text = re.sub(r"--[a-z][\w-]*", " ", text)  # and their options
    text = re.sub(r"\b(?:user|round-robin|least-loaded):[\w-]+", " ", text)  # rules (keys)
    found = {w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w not in ALLOWED}
    return {w for w in found if w.lower() in english}


@pytest.fixture
def zh_desk(life_desk):
    for login, name in (("alice", "管理员"), ("mgr", "孟经理"), ("bob", "李波"),
                        ("carol", "陈卡"), ("zhao", "赵磊"), ("sun", "孙梅"), ("tina", "唐娜"),
                        ("lee", "李立"), ("dan", "丹丹")):
        ok(f"user update {login} --name {name} --email {login}@example.com")
    for key, name in (("help", "咨询"), ("crash", "应用闪退"), ("task", "任务"),
                      ("purchase", "采购"), ("lesson", "课程")):
        ok(f"type update {key} --name {name}")
    ok("customer update C1 --name 张伟")
    ok("config set locale zh")
    ok("config set timezone Asia/Shanghai")
    ok("config set mail.tag brand-a")
    ok("config set mail.from '服务台 <desk@school.example>'")
    ok("config set desk.name 北京校区")
    return life_desk


def every_notice_kind() -> None:
    """Actions that write every notice template (report included)."""
    ok("ticket open --type help --title 打印机卡纸 --customer C1 -m 三楼")  # assigned
    ok("ticket open --type crash --title 闪退 --customer C1 --field phone_model=X "
       "--field os=iOS")  # opened (CC dept:sales), assigned
    ok("ticket open --type task --title 搬桌子")  # queued
    ok("ticket accept 1", as_user="bob")
    ok("ticket transfer 1 --to carol -m 请帮忙看看", as_user="bob")  # transferred
    ok("ticket note 1 -m 打印机型号是惠普", as_user="carol")  # note
    ok("ticket reply 1 -m 我们马上处理", as_user="bob")  # reply
    ok("access add mail-in --name 邮件 --types help")
    mail = ("From: 张伟 <zw@example.com>\nTo: desk@school.example\n"
            "Subject: Re: [brand-a #1] 打印机卡纸\nMessage-ID: <c1@example.com>\n"
            "Content-Type: text/plain; charset=utf-8\n\n还是不行\n")
    ok("mail ingest -", input=mail.encode(), as_user="mail-in")  # customer_message
    ok("ticket resolve 1 -m 已更换硒鼓", as_user="bob")  # resolved, customer_resolved
    ok("ticket close 1", as_user="bob")  # closed, customer_closed
    ok("ticket reopen 1 -m 又卡纸了", as_user="alice")  # reopened
    ok("type add chase --name 催办 --route user:dan --accept-within 1h --nudge-every 1h "
       "--escalate-after 2")
    chase = ok("ticket open --type chase --title 给家长回电话").out.strip()
    ok(f"ticket nudge {chase} -m 请尽快接单", as_user="mgr")  # nudged
    ok("remind run", now="2026-11-28T10:30:00Z")  # nudged by deskcli, escalated
    laptop = ok("ticket open --type purchase --title 新电脑", as_user="sun").out.strip()
    ok(f"ticket approve {laptop} -m 同意", as_user="zhao")  # approval_requested, _decided
    phone = ok("ticket open --type purchase --title 新手机", as_user="sun").out.strip()
    ok(f"ticket reject {phone} -m 预算不足", as_user="zhao")
    lesson = ok("ticket open --type lesson --title 试听课").out.strip()
    ok(f"ticket decline {lesson} -m 没空", as_user="dan")  # queued, with the decline reason
    ok("report summary --mail-to boss@example.com")  # report


def delivered(tmp_path) -> list:
    ok(f"outbox send --via maildir:{tmp_path / 'mail'}", now="2026-11-28T10:31:00Z")
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
            for f in sorted((tmp_path / "mail" / "new").iterdir())]


def test_every_notice_in_chinese_has_no_english_word_of_the_en_templates(zh_desk, tmp_path):
    every_notice_kind()
    notices = ok("outbox list --limit 0 --json").json
    kinds = {n["template"] for n in notices}
    shipped = {p.name.split(".")[0] for p in (TEMPLATES / "notices" / "en").glob("*.txt.j2")}
    assert kinds == shipped  # every notice kind was rendered
    english = english_words_of_templates() | REASON_WORDS | STATES
    messages = delivered(tmp_path)
    assert len(messages) == len(notices)
    htmls = 0
    for message in messages:
        subject = str(message["Subject"])
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",))
        html_text = re.sub(r"<style>.*?</style>|<[^>]*>", " ", html.get_content(),
                           flags=re.S) if html else ""
        htmls += html is not None
        for part in (subject, text, html_text):
            assert not leftovers(part, english), (subject, part)
        assert "normal" not in text and "assigned" not in text
    assert htmls >= 4  # reply, customer_resolved, customer_closed, report
    texts = "\n".join(m.get_body(("plain",)).get_content() for m in messages)
    assert "优先级 普通 · 待接单" in texts
    assert "分配规则 user:bob：分配给 bob" in texts  # the routing reason, in Chinese
    assert "原因: dan 拒绝接单：没空" in texts
    # the reminder: local time with the zone named, never UTC
    assert "已过接单期限 2026-11-28 18:00（北京时间），仍未接单" in texts
    assert "T10:00:00Z" not in texts and "Z\n" not in texts


def test_times_in_english_notices_are_local_and_named(life_desk, tmp_path):
    for login in ("dan", "mgr", "lee"):
        ok(f"user update {login} --email {login}@example.com")
    ok("config set mail.from 'Help desk <desk@school.example>'")
    ok("config set timezone Asia/Shanghai")
    ok("type add chase --name Chase --route user:dan --accept-within 1h --nudge-every 1h")
    ok("ticket open --type chase --title 'Call the parent'")
    said = ok("remind run -v", now="2026-11-28T10:30:00Z").err
    assert "#1: nudged → dan (not accepted by 2026-11-28 18:00 (Asia/Shanghai))" in said
    nudge = [m for m in delivered(tmp_path) if "Reminder" in str(m["Subject"])][0]
    text = nudge.get_body(("plain",)).get_content()
    assert "Accept was due: 2026-11-28 18:00 (Asia/Shanghai)" in text
    assert "not accepted by 2026-11-28 18:00 (Asia/Shanghai)" in text  # was ...T10:00:00Z
    shown = ok("ticket show 1").out  # the text output names the zone too
    assert "accept due: 2026-11-28 18:00   (Asia/Shanghai)" in shown
    assert "not accepted by 2026-11-28 18:00 (Asia/Shanghai)" in shown
    assert ok("ticket show 1 --json").json["accept_due_at"] == "2026-11-28T10:00:00Z"


@pytest.mark.parametrize("message", [
    "routing rule manual: to the assignment queue",
    "routing rule user:bob: no such user; to the queue",
    "routing rule user:bob: assigned to bob",
    "routing rule user:bob, but bob is inactive: assigned to their manager mgr",
    "routing rule user:bob, but bob is inactive and has no active manager: to the queue",
    "routing rule consultant: customer C1 has no consultant; to the queue",
    "routing rule consultant: the ticket has no consultant; to the queue",
    "routing rule consultant: sun follows customer C1: assigned to sun",
    "routing rule round-robin:support: no such department; to the queue",
    "routing rule round-robin:support: nobody active in support; to the queue",
    "routing rule least-loaded:support: nobody active in support, its head alice: "
    "assigned to alice",
    "routing rule round-robin:support: next in turn is bob",
    "routing rule least-loaded:support: bob has the fewest open tickets (3)",
    "not accepted by 2026-11-28T10:00:00Z",
    "not resolved by 2026-11-28T10:00:00Z",
    "2 reminders without action: escalated to mgr",
    "closed automatically: no answer from the customer for 7d",
    "closed automatically 2w after it was resolved",
    "declined by dan: 没空",
    "schedule monthly-meeting",
    "needs approval by zhao, the opener's manager",
    "needs approval by the opener's manager, but sun has none: any manager may approve",
    "the approver zhao is not active: any manager may approve",
    "needs approval by zhao",
    "bob left (deactivated 2026-11-28): to the successor carol",
    "bob left (deactivated 2026-11-28): back to the assignment queue",
    "bob left (deactivated 2026-11-28): back to the owner",
    "bob left (deactivated 2026-11-28): carol approves now",
    "又卡纸了 (the owner is no longer active: back to the assignment queue)",
    "又卡纸了 (it had no owner: back to the assignment queue; no longer merged into #3)",
    "又卡纸了 (back with its owner bob; no longer merged into #3)",
])
def test_every_reason_deskcli_writes_reads_in_chinese(message):
    from deskcli import clock

    text = locales.reason(message, "zh", clock.zone("Asia/Shanghai"))
    words = set(re.findall(r"[A-Za-z][A-Za-z-]+", re.sub(r"\b[\w-]+:[\w-]+", " ", text)))
    assert words <= ALLOWED | {"monthly-meeting"}, text
    assert "Z" not in text and "UTC" not in text


def test_a_person_s_own_words_are_not_translated():
    assert locales.reason("routing rule? ask bob", "zh") == "routing rule? ask bob"
    assert locales.reason("Please accept", "zh") == "Please accept"


# --- reports --------------------------------------------------------------------------------

REPORTS = ["summary", "sla", "agents", "trend", "fields --type crash --by os"]


def report_words(kind: str, fmt: str, **kwargs) -> str:
    return run(f"report {kind} --since 2026-11-01 --format {fmt}", **kwargs).out


def test_every_report_in_chinese_has_no_english_word_of_the_english_report(zh_desk):
    every_notice_kind()
    for kind in REPORTS:
        for fmt in ("table", "md", "html", "csv"):
            ok("config set locale en")
            shown_en = report_words(kind, fmt, env={"COLUMNS": "200"})
            ok("config set locale zh")
            shown_zh = report_words(kind, fmt, env={"COLUMNS": "200"})
            if fmt == "html":
                shown_en, shown_zh = (re.sub(r"<style>.*?</style>|<[^>]*>", " ", t, flags=re.S)
                                      for t in (shown_en, shown_zh))
            if fmt == "csv":  # the header row; values are the same raw data
                shown_en, shown_zh = (t.partition("\n")[0] for t in (shown_en, shown_zh))
            english = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", shown_en)}
            english |= STATES
            english -= {w.lower() for w in ALLOWED | {"iOS", "os", "X"}}
            assert not leftovers(shown_zh, english), (kind, fmt, shown_zh[:3000])
    csv_head = report_words("sla", "csv").partition("\n")[0]
    assert csv_head.startswith("类型,已接单,接单 SLA,按时接单,按时接单率")
    table = report_words("summary", "table")
    assert "（北京时间）" in table and "合计" in table


def test_json_reports_stay_english_for_machines(zh_desk):
    every_notice_kind()
    data = ok("report summary --since 2026-11-01 --json").json
    assert data["title"] == "Summary" and "opened" in data["rows"][0]
    assert {r["status"] for r in data["by_status"]} <= set(locales.ZH_WORDS)
