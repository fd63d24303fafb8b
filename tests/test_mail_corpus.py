"""Mail in against the suite's own corpus (issue 16): every part with a file name is an
attachment (RFC 2231 continuations and charsets, RFC 2047 words), subjects are kept whole
up to the title limit, undeclared 8-bit text is read in the desk's fallback charsets with
the guess recorded, and every message in tests/mail/ ingests with a documented status."""

from pathlib import Path

import pytest
from conftest import ok, query, run
from test_mailin import MAIL, events, ingest, ingest_json, mail_desk, show

from deskcli.tickets.opening import MAX_TITLE

__all__ = ["mail_desk"]


def ledger_reason(path, message_id: str) -> str:
    return query(path, "SELECT reason FROM mail_in WHERE message_id = ?", (message_id,))[0][0]


def test_every_named_part_is_an_attachment_listed_by_ticket_show(mail_desk):
    data = ingest_json("named_text_parts.eml")
    t = show(data["ticket"])
    assert [(a["name"], a["content_type"]) for a in t["attachments"]] == [
        ("エラーログ記録.txt", "text/plain"),   # RFC 2231, ISO-2022-JP, two continuations
        ("成绩报告.html", "text/html"),          # an RFC 2047 word in filename=
        ("scores.csv", "text/csv")]              # Content-Type name= only
    assert t["body"] == ("The app stopped again this morning. The log from the tablet and "
                         "the report\npage that did not load are attached.")
    text = ok(f"ticket show {data['ticket']}").out
    assert "attachments:\n  エラーログ記録.txt  (73 bytes, text/plain)" in text
    log = run(f"ticket attachment {data['ticket']} エラーログ記録.txt -o -")
    assert log.code == 0 and "error: token expired" in log.out


def test_a_forwarded_message_is_kept_as_an_eml_attachment(mail_desk):
    data = ingest_json("forwarded_rfc822.eml")
    t = show(data["ticket"])
    assert [a["name"] for a in t["attachments"]] == ["Résumé des cours €.eml"]
    assert t["body"] == "Voir le message ci-joint, prix en €."


def test_a_subject_of_exactly_the_title_limit_is_kept_whole(mail_desk):
    assert MAX_TITLE == 200
    expected = Path(MAIL / "subject_200.eml").read_bytes().split(b"Subject: ")[1]
    expected = expected.split(b"\r\nDate:")[0].replace(b"\r\n ", b" ").decode()
    assert len(expected) == 200
    t = show(ingest_json("subject_200.eml")["ticket"])
    assert t["title"] == expected and t["body"] == "Please see the subject."


def test_a_longer_subject_is_cut_and_kept_whole_in_the_first_message(mail_desk):
    whole = ("请问春季学期周六班的上课时间和续费流程，" * 12)[:230]
    t = show(ingest_json("subject_long_zh.eml")["ticket"])
    assert len(t["title"]) == MAX_TITLE and t["title"].endswith("…")
    assert whole.startswith(t["title"][:-1])
    assert t["body"] == f"Subject: {whole}\n\n见标题。"


def test_undeclared_koi8r_is_read_in_the_desks_fallback_charsets(mail_desk):
    first = ingest("koi8r_undeclared.eml", "--json")
    assert first.code == 0
    assert "charset guessed: body as utf-8, undecodable bytes replaced" in first.err
    assert ok("config get mail.charsets").out.strip() == "gb18030,big5"
    ok("config set mail.charsets 'gb18030, big5, KOI8-R'")
    assert ok("config get mail.charsets").out.strip() == "gb18030,big5,koi8-r"
    message = (MAIL / "koi8r_undeclared.eml").read_bytes().replace(
        b"<koi8r-undeclared@", b"<koi8r-again@")
    result = ingest(message, "--json")
    assert result.code == 0, result
    data = result.json
    assert data["charset_guesses"] == [
        {"part": "body", "charset": "koi8-r", "declared": None},
        {"part": "subject", "charset": "koi8-r", "declared": None}]
    assert "charset guessed: body as koi8-r (none declared), subject as koi8-r" in result.err
    t = show(data["ticket"])
    assert t["title"] == "Не могу войти в приложение"
    assert t["body"].startswith("Здравствуйте!\nМой сын не может войти")
    assert "charset guessed: body as koi8-r" in ledger_reason(
        mail_desk, "<koi8r-again@mail.example>")
    assert "charset guessed" not in ledger_reason(
        mail_desk, "<koi8r-again@mail.example>").split(";")[0]
    # on a message added to a ticket, the event says so too
    ok("ticket open --type email --title T --customer C1 --field product=App")
    reply = (b"From: zw@example.com\r\nSubject: [desk #" + str(data["ticket"] + 1).encode()
             + b"] x\r\nMessage-ID: <k3@example.com>\r\n\r\n"
             + "Спасибо, работает.".encode("koi8-r"))
    added = ingest_json(reply)
    (message,) = events(added["ticket"], "customer_message")
    assert message["message"] == "Спасибо, работает."
    assert message["data"]["charset_guesses"][0]["charset"] == "koi8-r"


@pytest.mark.parametrize("value", ["no-such-charset", "base64", "gb18030,,"])
def test_mail_charsets_takes_only_text_charsets(mail_desk, value):
    result = run(f"config set mail.charsets '{value}'")
    assert result.code == 2 and "mail.charsets" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("name", sorted(p.name for p in MAIL.glob("*.eml")))
def test_every_message_of_the_corpus_ingests_with_a_documented_status(mail_desk, name):
    """Exit 0 (filed or deliberately ignored), never a traceback; the second time a
    duplicate."""
    result = ingest(name, "--json")
    assert result.code == 0, result
    assert "Traceback" not in result.err and "Error" not in result.err
    data = result.json
    assert data["action"] in ("opened", "message", "note", "ignored")
    again = ingest(name, "--json")
    assert again.code == 0 and again.json["action"] == "duplicate"
