"""Reading an inbound e-mail: headers, text, attachments, quoted replies and auto-replies.
Pure: bytes in, plain data out, no desk.

Real mail is messy, so every decoder here degrades instead of failing: how text in an
unknown, wrong or missing charset is read is deskcli.mail.charset's job (the desk's
fallback charsets, mail.charsets), and each guess it made is reported with the message.

Hand-written, not html2text, email-reply-parser or flufl.bounce (issue 11; measured
2026-12-04): on the 20 messages of tests/mail, email-reply-parser 0.5 cuts the same new
part in 19 (the 20th is an HTML-only message it cannot read), but it does not know the
Chinese clients' "在 ... 写道：" attribution, which cut_quoted is mostly for. html2text
(8.5 ms to import) writes Markdown ('[link](url)', '  * item'), not the plain text a
ticket shows. flufl.bounce (31 ms) finds which addresses bounced; `mail ingest` only needs
to know that a message came from a machine, which automatic() decides from headers.
"""

import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from deskcli.mail.charset import Decoder

MAX_DEPTH = 30  # MIME nesting deeper than this is not read (no mail client writes it)


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class Inbound:
    """An inbound message, decoded."""

    message_id: str | None
    sender: str                      # the From address, as written ('' when there is none)
    sender_name: str
    subject: str
    cc: list[tuple[str, str]]        # (name, address)
    in_reply_to: list[str]
    references: list[str]
    text: str                        # the readable body (HTML converted), quotes included
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> values
    content_type: str = "text/plain"
    charset_guesses: list[dict] = field(default_factory=list)  # {part, charset, declared}
    unreadable: str | None = None    # why the body could not be read (headers only)

    def header(self, name: str) -> str:
        """The first value of a header as text (raw 8-bit bytes as U+FFFD)."""
        values = self.headers.get(name.lower())
        if not values:
            return ""
        return values[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def has(self, name: str) -> bool:
        return name.lower() in self.headers


# --- headers ------------------------------------------------------------------------------

def _raw_headers(msg: Message) -> dict[str, list[str]]:
    """The headers by lower-case name; a NUL in a damaged header is dropped (no text a desk
    stores holds one: PostgreSQL refuses it)."""
    found: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        value = value if isinstance(value, str) else str(value)
        found.setdefault(name.lower(), []).append(value.replace("\x00", ""))
    return found


def _addresses(raw_values: list[str], dec: Decoder, where: str) -> list[tuple[str, str]]:
    """Parse address headers before decoding names, so a decoded name with a comma cannot
    split an address in two."""
    values = [dec.raw_bytes(v, where) for v in raw_values]
    values = [re.sub(r"\r?\n[ \t]+", " ", v) for v in values]
    result = []
    for name, address in getaddresses(values):
        address = address.strip()
        if "@" in address:
            result.append((dec.header(name, where), address))
    return result


def _message_ids(values: list[str]) -> list[str]:
    """The <id@host> in Message-ID, In-Reply-To, References: printable ASCII only (a
    damaged one is no id)."""
    return [m for value in values for m in re.findall(r"<[\x21-\x3b=\x3f-\x7e]+>", value)]


# --- the message --------------------------------------------------------------------------

def parse(raw: bytes, charsets: list[str] | None = None) -> Inbound:
    """Read a message (RFC 5322 bytes, as an MTA hands it over). `charsets`: the fallback
    charsets for undeclared 8-bit text, in order (see deskcli.mail.charset)."""
    if raw.startswith(b"From ") and b"\n" in raw:  # an mbox "From " line (procmail, maildrop)
        raw = raw.split(b"\n", 1)[1]
    dec = Decoder(charsets)
    texts: list[str] = []
    attachments: list[Attachment] = []
    unreadable = None
    try:
        msg = message_from_bytes(raw, policy=compat32)
        _walk(msg, texts, attachments, dec, 0)  # first: the body teaches the decoder most
    except RecursionError:  # a MIME bomb: Python's parser recurses once per level
        from email.parser import BytesHeaderParser

        msg = BytesHeaderParser(policy=compat32).parsebytes(raw)
        texts, attachments = [], []
        unreadable = "MIME parts nested too deeply to read (a mail bomb?)"
    headers = _raw_headers(msg)
    senders = _addresses(headers.get("from", []), dec, "from") or \
        _addresses(headers.get("sender", []), dec, "from")
    if senders:
        sender_name, sender = senders[0]
    else:
        sender_name, sender = "", parseaddr(dec.header(str(msg.get("from", "")), "from"))[1]
    message_ids = _message_ids(headers.get("message-id", []))
    return Inbound(
        message_id=message_ids[0] if message_ids else None,
        sender=sender, sender_name=sender_name,
        subject=dec.header(headers.get("subject", [""])[0], "subject"),
        cc=_addresses(headers.get("cc", []), dec, "cc"),
        in_reply_to=_message_ids(headers.get("in-reply-to", [])),
        references=_message_ids(headers.get("references", [])),
        text=_tidy("\n\n".join(t for t in texts if t.strip())),
        attachments=attachments, headers=headers, content_type=_content_type(msg),
        charset_guesses=dec.guesses, unreadable=unreadable)


def _content_type(part: Message) -> str:
    ctype = part.get_content_type()
    return ctype if ctype.isascii() and ctype.isprintable() else "application/octet-stream"


def _walk(part: Message, texts: list[str], attachments: list[Attachment], dec: Decoder,
          depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    ctype = _content_type(part)
    if ctype == "message/rfc822" or (part.is_multipart() and ctype.startswith("message/")):
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            subject = dec.header(str(inner.get("subject") or ""), "attached message") or \
                "message"
            attachments.append(Attachment(_safe_name(subject) + ".eml", "message/rfc822",
                                          _as_bytes(inner)))
        return
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            # one rendering of the same text: the plain one when it says something, else
            # the richest (the last); attachments are kept from every rendering
            renderings = []
            for child in children:
                rendered: list[str] = []
                _walk(child, rendered, attachments, dec, depth + 1)
                if any(t.strip() for t in rendered):
                    renderings.append((child.get_content_type(), rendered))
            plain = [r for kind, r in renderings if kind == "text/plain"]
            texts.extend(plain[0] if plain else renderings[-1][1] if renderings else [])
            return
        for child in children:
            _walk(child, texts, attachments, dec, depth + 1)
        return
    if _is_attachment(part):
        data = part.get_payload(decode=True) or b""
        attachments.append(Attachment(_filename(part, len(attachments) + 1, dec), ctype,
                                      data))
    elif ctype == "text/html":
        texts.append(html_to_text(_text_of(part, dec)))
    elif ctype.startswith("text/"):
        texts.append(_text_of(part, dec))


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # noqa: BLE001 - a message the generator cannot write back
        return str(message.get_payload()).encode("utf-8", "surrogateescape")


def _is_attachment(part: Message) -> bool:
    """A file the sender attached: marked as one, or carrying a file name (a customer's
    .txt log or .html page is a file, not the message's text), or not text at all."""
    if part.is_multipart():
        return False
    disposition = str(part.get("content-disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment" or _has_filename(part):
        return True
    return part.get_content_type() not in ("text/plain", "text/html")


def _has_filename(part: Message) -> bool:
    try:
        return any(part.get_param(name, header=header) not in (None, "")
                   for name, header in (("filename", "content-disposition"),
                                        ("name", "content-type")))
    except Exception:  # noqa: BLE001 - a header too broken to read has no name
        return False


def _text_of(part: Message, dec: Decoder) -> str:
    data = part.get_payload(decode=True)
    if data is None:
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001 - an undecodable charset parameter: none declared
        charset = None
    return dec.text(data, charset, "body")


def _filename(part: Message, number: int, dec: Decoder) -> str:
    """The part's file name: RFC 2231 (continuations, charset), RFC 2047 encoded words, or
    raw 8-bit bytes in a fallback charset; a made-up name when it has none."""
    raw = part.get_param("filename", header="content-disposition") or \
        part.get_param("name", header="content-type")
    name = ""
    if isinstance(raw, tuple):  # RFC 2231, continuations joined: (charset, language, text)
        charset, _, value = raw
        data = value.encode("raw-unicode-escape") if isinstance(value, str) else bytes(value)
        name = dec.text(data, charset or None, "file name")
    elif raw:
        name = dec.header(str(raw).strip('"'), "file name")
    name = _safe_name(name)
    if not name:
        import mimetypes

        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{number}{extension}"
    return name


def _safe_name(name: str) -> str:
    """A file name without folders or control characters."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().strip(".")
    return name[:200]


def _tidy(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue  # no leading or repeated blank lines
        out.append(line)
    return "\n".join(out).strip("\n")


# --- HTML to text -------------------------------------------------------------------------

BLOCKS = {"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt",
          "dd", "address", "center", "form"}
SKIPPED = {"script", "style", "head", "title", "template", "noscript"}


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0      # blockquote nesting: those lines are quoted with '> '
        self.skipping = 0
        self.pre = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def flush(self, blank: bool = False) -> None:
        text = "".join(self.current)
        text = text if self.pre else re.sub(r"\s+", " ", text).strip()
        if text:
            for line in text.split("\n") if self.pre else [text]:
                self.lines.append(("> " * self.depth + line).rstrip())
        if blank and self.lines and self.lines[-1].replace(">", "").strip():
            self.lines.append(("> " * self.depth).rstrip())
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.flush(blank=not self.current)
        elif tag in BLOCKS:
            self.flush()
            if tag == "blockquote":
                self.depth += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")
            elif tag == "hr":
                self.lines.append("> " * self.depth + "-" * 20)
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []
        elif tag in ("td", "th") and self.current:
            self.current.append("  ")

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in BLOCKS:
            self.flush(blank=tag in ("p", "table", "blockquote", "ul", "ol"))
            if tag == "blockquote":
                self.depth = max(self.depth - 1, 0)
            elif tag == "pre":
                self.pre = max(self.pre - 1, 0)
        elif tag == "a" and self.href:
            shown = "".join(self.link_text).strip()
            if self.href.startswith(("http://", "https://")) and shown and \
                    shown != self.href and self.href not in shown:
                self.current.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data):
        if self.skipping:
            return
        self.current.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(html: str) -> str:
    """HTML mail as readable text: paragraphs and line breaks kept, lists as '- ',
    blockquotes as '> ' lines, scripts and styles dropped, entities decoded."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - broken markup: keep what was read so far
        pass
    parser.flush()
    return _tidy("\n".join(parser.lines))


# --- quoted earlier messages --------------------------------------------------------------

_ATTRIBUTION = [
    re.compile(r"^\s*On\b.{0,400}\bwrote\s*:\s*$", re.I),
    re.compile(r"^\s*在.{0,400}(写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*-{2,}\s*(Original Message|Original|原始邮件|原始郵件|原邮件)\s*-{2,}\s*$",
               re.I),
    re.compile(r"^\s*-{2,}\s*(Reply message|回复的原邮件)\s*-{2,}\s*$", re.I),
]
_FROM = re.compile(r"^\s*\**\s*(From|发件人|寄件者|發件人)\s*\**\s*[:：]", re.I)
_SENT = re.compile(r"^\s*\**\s*(Sent|Date|发送时间|寄件日期|日期|時間|时间)\s*\**\s*[:：]",
                   re.I)
_RULE = re.compile(r"^\s*(_{8,}|-{8,})\s*$")


def cut_quoted(text: str) -> str:
    """The new part of a reply: the earlier message that mail clients quote below it
    ("On ... wrote:", "在 ... 写道：", "-----Original Message-----", "-----原始邮件-----",
    an Outlook "From:/Sent:" block) is cut, and so are '>' lines. When nothing would be
    left, the text is kept whole."""
    lines = text.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        pair = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if any(p.match(line) for p in _ATTRIBUTION) or (
                re.match(r"^\s*On\b", line, re.I) and _ATTRIBUTION[0].match(pair)):
            cut = i
            break
        if _FROM.match(line) and any(_SENT.match(nxt) for nxt in lines[i + 1:i + 5]):
            cut = i - 1 if i > 0 and _RULE.match(lines[i - 1]) else i
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    result = _tidy("\n".join(kept))
    return result if result.strip() else _tidy(text)


# --- automatic mail -----------------------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ _-]?(reply|response|answer)\b|autoreply\b|auto:\s|out of (the )?office"
    r"|ooo\b|abwesenheit|r[ée]ponse automatique|respuesta autom[aá]tica|自动回复|自動回覆"
    r"|自動回復|自动答复|休假自动|vacation reply)", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|mail delivery failed"
    r"|returned mail|delivery failure|failure notice|系统退信|退信|邮件投递失败)", re.I)


def automatic(mail: Inbound) -> str | None:
    """Why the message was sent by a machine (an auto-reply, a bounce, a list), or None.
    The desk's own loop markers are checked by the caller."""
    auto = mail.header("auto-submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"an automatic message (Auto-Submitted: {auto})"
    precedence = mail.header("precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"bulk mail (Precedence: {precedence})"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Auto-Reply"):
        if mail.has(name):
            return f"an auto-reply ({name} header)"
    if mail.has("return-path") and mail.header("return-path").strip() in ("<>", ""):
        return "a bounce (empty Return-Path)"
    if mail.content_type == "multipart/report":
        return "a delivery status report (multipart/report)"
    local = mail.sender.partition("@")[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return f"a bounce (from {mail.sender})"
    if _BOUNCE_SUBJECT.match(mail.subject):
        return f"a bounce (subject {mail.subject[:60]!r})"
    if _AUTO_SUBJECT.match(mail.subject):
        return f"an out-of-office reply (subject {mail.subject[:60]!r})"
    return None
