"""Delivering the outbox: render each notice from its Jinja template and send it over
SMTP, into a maildir, or to stdout.

At least once, never lost, at most one duplicate per crash: a sender claims notices in a
short write transaction (compare-and-set on status and claimant), delivers them outside it,
and commits each one as sent as soon as the server has accepted it. A sender killed between
the server's acceptance and that commit leaves the one notice in flight claimed; it is sent
again (same Message-ID) when the claim is taken over, as are the notices it had claimed but
not yet sent: by the next run on the same machine once the process is gone, else after
STALE_CLAIM. A second sender running at the same time claims other notices.

What counts against a notice: a temporary refusal of that message (SMTP 4xx) keeps it with
a later retry time (backoff), and after MAX_ATTEMPTS it is 'dead' until `deskcli outbox
retry`; a permanent refusal (SMTP 5xx for the message or for every recipient left) makes it
'dead' at once, with the server's reply as the reason. A mail server that cannot be reached
is a failure of the run, not of the notices (RunFailed, exit 75): the claims are released
untouched, so the first run after the server is back sends everything due.
"""

import os
import secrets
import socket
from datetime import timedelta
from email.message import EmailMessage

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import DeskError, Invalid
from deskcli.mail.notices import desk_uid, thread_id
from deskcli.mail.transports import Rejected, RunFailed, Transport, refusals
from deskcli.policy import require_outbox
from deskcli.store import notices as nstore

BACKOFF = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
MAX_ATTEMPTS = 10
STALE_CLAIM = timedelta(minutes=15)
BATCH = 200


class RenderError(DeskError):
    """A template failed: the message names the template and line."""


# --- rendering ----------------------------------------------------------------------------

class Renderer:
    """Jinja templates: the desk's own folder first (templates.dir), then the shipped ones.
    Sandboxed, strict about unknown variables, HTML autoescaped."""

    def __init__(self, desk: Desk):
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        from deskcli.resources import resource

        folders = [desk.setting("templates.dir")] if desk.setting("templates.dir") else []
        folders.append(str(resource("templates")))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
            undefined=StrictUndefined, autoescape=lambda name: bool(name and
                                                                    name.endswith(".html.j2")),
            keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
        self.locale = "en"  # of the notice being rendered (see notice())
        self._add_filters(desk)

    def _add_filters(self, desk: Desk) -> None:
        """Words and times for people, in the locale of the notice being rendered."""
        from deskcli import locales

        tz = desk.tz
        self.env.filters.update(
            local=lambda stamp: locales.local_time(stamp, tz, self.locale),
            word=lambda value: locales.word(value, self.locale),
            reason=lambda text: locales.reason(text, self.locale, tz),
            actor=lambda name: locales.actor(name, self.locale))

    def exists(self, name: str) -> bool:
        from jinja2 import TemplateNotFound

        try:  # without compiling it: a syntax error is reported by render(), with its line
            self.env.loader.get_source(self.env, name)
            return True
        except TemplateNotFound:
            return False

    def render(self, name: str, context: dict) -> str:
        """Render one template; any failure raises RenderError with name and line."""
        from jinja2 import TemplateError, TemplateSyntaxError

        try:
            return self.env.get_template(name).render(**context)
        except TemplateSyntaxError as exc:
            raise RenderError(f"template {exc.name or name}, line {exc.lineno}: {exc.message}",
                              "fix the template, then `deskcli outbox retry`") from None
        except TemplateError as exc:
            raise RenderError(f"template {name}, line {_template_line(exc, name)}: {exc}",
                              "fix the template, then `deskcli outbox retry`") from None

    def notice(self, notice: dict) -> tuple[str, str, str | None]:
        """(subject, text, html or None) of a notice, in its locale (English fallback)."""
        template = notice["template"]
        for locale in (notice["locale"], "en"):
            name = f"notices/{locale}/{template}.txt.j2"
            if self.exists(name):
                self.locale = locale
                break
        else:
            raise RenderError(f"no template notices/{notice['locale']}/{template}.txt.j2",
                              "restore the shipped templates or add it to templates.dir")
        text = self.render(name, notice["context"])
        first, _, body = text.partition("\n")
        if not first.lower().startswith("subject:"):
            raise RenderError(f"template {name}, line 1: must start with 'Subject: ...'")
        html_name = name.replace(".txt.j2", ".html.j2")
        html = self.render(html_name, notice["context"]) if self.exists(html_name) else None
        return first[len("subject:"):].strip(), body.lstrip("\n"), html


def _template_line(exc: Exception, name: str) -> int | str:
    """The template line where a render error happened, from the traceback Jinja rewrote
    to point into the template."""
    tb = exc.__traceback__
    line: int | str = "?"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(name.split("/")[-1]) or filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# --- building messages --------------------------------------------------------------------

def build(desk: Desk, notice: dict, subject: str, text: str, html: str | None) -> EmailMessage:
    """An RFC 5322 message: UTF-8, encoded Chinese subject and names, Message-ID, and
    In-Reply-To/References threading every notice of a ticket together."""
    from email.headerregistry import Address
    from email.utils import format_datetime

    sender = desk.setting("mail.from")
    if not sender:
        raise Invalid("the desk has no From address for notices",
                      "set one: deskcli config set mail.from 'Help desk <desk@example.com>'")
    msg = EmailMessage()
    tag = f"[{desk.setting('mail.tag') or 'desk'} #{notice['ticket_id']}]" \
        if notice["ticket_id"] else ""
    answered = notice["context"].get("mail_subject")  # what the customer wrote
    # to the customer about mail of theirs: their own subject, as a mail client answers
    # it, for Gmail and Outlook group a conversation by its subject
    msg["Subject"] = f"Re: {answered}" if answered else f"{tag} {subject}".strip()
    # Parsing a header through the email package's registry costs about 0.3 ms; the From
    # header is the same for every notice, so it is parsed once and reused, and the plain
    # ASCII headers below are stored as they are (set_raw).
    cached = getattr(desk, "_from_header", None)
    if cached is None or cached[0] != sender:
        probe = EmailMessage()
        probe["From"] = _address(sender, desk.setting("desk.name"))
        cached = desk._from_header = (sender, probe["From"])
    msg["From"] = cached[1]
    msg["To"] = [Address(p["name"], addr_spec=p["email"]) for p in notice["recipients"]["to"]]
    if notice["recipients"].get("cc"):
        msg["Cc"] = [Address(p["name"], addr_spec=p["email"])
                     for p in notice["recipients"]["cc"]]
    msg.set_raw("Date", format_datetime(clock.now()))
    msg.set_raw("Message-ID", notice["message_id"])
    if notice["ticket_id"]:
        # under the customer's last mail, when the ticket came by mail (their ids, oldest
        # first, after the ticket's own root: RFC 5322 puts the parent last)
        root = thread_id(desk, notice["ticket_id"])
        theirs = notice["context"].get("mail_thread") or []
        msg.set_raw("In-Reply-To", theirs[-1] if theirs else root)
        msg.set_raw("References", " ".join([root, *theirs]))
        msg.set_raw("X-Deskcli-Ticket", str(notice["ticket_id"]))
    msg.set_raw("X-Loop", f"deskcli-{desk_uid(desk)}")
    if notice["template"] != "reply":  # a reply is written by a person
        msg.set_raw("Auto-Submitted", "auto-generated")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _address(text: str, fallback_name: str | None):
    from email.headerregistry import Address
    from email.utils import parseaddr

    name, email = parseaddr(text)
    if "@" not in email:
        raise Invalid(f"mail.from {text!r} is not an e-mail address",
                      "set it like: deskcli config set mail.from 'Help desk <desk@example.com>'")
    return Address(name or fallback_name or "", addr_spec=email)


# --- the send loop ------------------------------------------------------------------------

def send(desk: Desk, via: str | None = None, limit: int | None = None, out=None) -> dict:
    """Deliver due notices; returns counts and the failures (id, error, retry_at)."""
    require_outbox(desk.actor, "send the outbox")
    via = via or desk.setting("outbox.via")
    if not via:
        raise Invalid("no way to deliver notices is set",
                      "pass --via smtp://HOST:PORT (or maildir:DIR, stdout), or set "
                      "it once: deskcli config set outbox.via smtp://127.0.0.1:25")
    if not desk.setting("mail.from"):  # a setup problem: refuse before touching a notice
        raise DeskError("the desk has no From address for notices",
                      "set one: deskcli config set mail.from 'Help desk <desk@example.com>'")
    # The failures also say whether they are permanent. Unreachable (exit 75) or RunFailed
    # end the run; the notices not yet accepted are released as they were, uncounted.
    worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    renderer = Renderer(desk)
    transport = Transport(desk, via, out)
    result = {"sent": 0, "failed": 0, "failures": []}
    opened = False
    try:
        while limit is None or result["sent"] + result["failed"] < limit:
            now = clock.now()
            with desk.store.write():
                dead = [w for w in nstore.claimants(desk.store) if _dead_here(w)]
                batch = nstore.claim(desk.store, worker, clock.stamp(now),
                                     clock.stamp(now - STALE_CLAIM),
                                     BATCH if limit is None else
                                     min(BATCH, limit - result["sent"] - result["failed"]),
                                     dead)
            if not batch:
                break
            done = 0
            try:
                if not opened:
                    transport.open()
                    opened = True
                for notice in batch:
                    _deliver_one(desk, renderer, transport, notice, worker, result)
                    done += 1
            except BaseException:  # the run ends (server gone, bad --via, Ctrl-C, ...):
                # give back what is not done, the notice in flight too (the server may or
                # may not have taken it: at least once)
                _release(desk, batch[done:], worker)
                raise
    finally:
        transport.close()
    return result


def _deliver_one(desk, renderer, transport, notice, worker, result) -> None:
    """Deliver one notice and commit the outcome at once: sent, partly sent, or failed."""
    subject = None
    recipients = notice["recipients"]
    # after a partial failure, only the recipients still owed the notice are sent to
    delivered = {e.lower() for e in recipients.get("delivered", [])}
    rejected = {e.lower() for e in recipients.get("rejected", [])}
    envelope = [p["email"] for p in recipients["to"] + recipients.get("cc", [])
                if p["email"].lower() not in delivered | rejected]
    try:
        subject, text, html = renderer.notice(notice)
        msg = build(desk, notice, subject, text, html)
        refused = transport.deliver(msg, envelope) if envelope else {}
    except RunFailed:
        raise
    except Rejected as exc:
        _failed(desk, notice, worker, result, exc.reason, subject, exc.permanent)
        return
    except DeskError as exc:  # a template, the From address: fixed by a person, retried
        _failed(desk, notice, worker, result, str(exc), subject, False)
        return
    except ValueError as exc:  # the email package refuses an address: it always will
        bad = [p["email"] for p in recipients["to"] + recipients.get("cc", [])
               if not p["email"].isascii()]
        reason = f"cannot address {', '.join(bad)}: non-ASCII addresses are not supported" \
            if bad else f"cannot build the message: {str(exc).rstrip(')')}"
        _failed(desk, notice, worker, result, reason, subject, True)
        return
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the notice
        _failed(desk, notice, worker, result, f"{type(exc).__name__}: {exc}", subject, False)
        return
    if refused:  # some or all recipients refused: 5xx for good, 4xx retried later
        codes = {address.lower(): code for address, (code, _) in refused.items()}
        never = {a for a, code in codes.items() if 500 <= code < 600}
        permanent = never == set(codes)
        retry_at = None if permanent else _retry_at(notice["attempts"] + 1)
        changed = {**recipients,
                   "delivered": sorted(delivered | {e.lower() for e in envelope} - set(codes)),
                   "rejected": sorted(rejected | never)}
        error = refusals(refused)
        with desk.store.write():
            nstore.mark_partly_sent(desk.store, notice["id"], worker, changed, error,
                                    retry_at, msg["Subject"])
        _report(result, notice, error, retry_at, permanent)
        return
    with desk.store.write():  # at once: a crash after this line sends nothing twice
        nstore.mark_sent(desk.store, notice["id"], worker, clock.stamp(), msg["Subject"])
    result["sent"] += 1


def _failed(desk, notice, worker, result, error: str, subject, permanent: bool) -> None:
    retry_at = None if permanent else _retry_at(notice["attempts"] + 1)
    with desk.store.write():
        nstore.mark_failed(desk.store, notice["id"], worker, error, retry_at, subject)
    _report(result, notice, error, retry_at, permanent)


def _report(result, notice, error: str, retry_at: str | None, permanent: bool) -> None:
    result["failed"] += 1
    result["failures"].append({"id": notice["id"], "error": error, "retry_at": retry_at,
                               "permanent": permanent})


def _dead_here(worker: str) -> bool:
    """A sender of this machine (host:pid:token) whose process is gone: its claims are
    taken over at once rather than after STALE_CLAIM. Elsewhere, or when the process id
    is in use again, the claim waits out STALE_CLAIM."""
    host, _, rest = worker.partition(":")
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(rest.split(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, OverflowError):  # not ours to signal, or not a pid
        return False
    return False


def _retry_at(attempts: int) -> str | None:
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    return clock.stamp(clock.now() + timedelta(seconds=delay))


def _release(desk, notices: list[dict], worker: str) -> None:
    """Give claimed notices back as they were: not attempted, still due."""
    if notices:
        with desk.store.write():
            nstore.release(desk.store, worker, [(n["id"], n["status"]) for n in notices])


# --- looking at the outbox ----------------------------------------------------------------

def listing(desk: Desk, statuses: list[str], limit: int | None,
            ticket_id: int | None = None) -> list[dict]:
    require_outbox(desk.actor, "see the outbox")
    with desk.store.read():
        rows = nstore.listing(desk.store, statuses, limit, ticket_id, _seen(desk))
    return [{"id": r["id"], "status": r["status"], "ticket": r["ticket_id"],
             "template": r["template"], "to": [p["email"] for p in r["recipients"]["to"]],
             "cc": [p["email"] for p in r["recipients"].get("cc", [])],
             "subject": r["subject"], "attempts": r["attempts"],
             "next_attempt_at": r["next_attempt_at"] if r["status"] in ("pending", "failed")
             else None, "last_error": r["last_error"], "created_at": r["created_at"],
             "sent_at": r["sent_at"], "message_id": r["message_id"]} for r in rows]


def retry(desk: Desk, ids: list[int] | None) -> int:
    require_outbox(desk.actor, "retry notices")
    with desk.store.write():
        return nstore.retry(desk.store, ids, clock.stamp())


def preview(desk: Desk, notice_id: int) -> str:
    """The notice as it would be sent now (rendered, not delivered)."""
    require_outbox(desk.actor, "see the outbox")
    with desk.store.read():
        notice = nstore.get(desk.store, notice_id, _seen(desk))
        if notice is None:
            from deskcli.errors import NotFound

            raise NotFound(f"no notice {notice_id} in the outbox", "see `deskcli outbox list`")
        subject, text, html = Renderer(desk).notice(notice)
        return readable(build(desk, notice, subject, text, html))


def _seen(desk: Desk):
    """Which notices `list` and `show` may show: those about tickets the actor can see
    (none without ticket.view), and those about no ticket."""
    return desk.visibility() if desk.actor.can("ticket.view") else "none"


def readable(msg: EmailMessage) -> str:
    """A message for people: its headers decoded (a Chinese subject or name as text, not
    =?utf-8?b?...?=) and each text part decoded (not base64), the plain text first."""
    from email import policy
    from email.parser import BytesParser

    parsed = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    skip = {"content-type", "content-transfer-encoding", "mime-version"}
    lines = [f"{name}: {value}" for name, value in parsed.items() if name.lower() not in skip]
    for part in parsed.walk():
        if part.get_content_maintype() == "text":
            lines += ["", f"--- {part.get_content_type()}", part.get_content().rstrip("\n")]
    return "\n".join(lines)
