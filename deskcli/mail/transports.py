"""Where `outbox send` delivers: an SMTP server, a maildir, or stdout.

Failures are sorted here, once, into what they mean for the send loop:
- Rejected: the server refused this one message (4xx temporary, 5xx permanent);
- Unreachable: the server is down, unreachable, or dropped the connection (the run stops,
  exit 75, nothing is counted against the notices);
- RunFailed: the run cannot deliver anything for a reason a person must fix (the server
  refuses our login or sender address, the maildir cannot be written).
Every message is one readable line, never a Python exception's repr.
"""

import os
from email.message import EmailMessage

from deskcli.desk import Desk
from deskcli.errors import DeskError, Invalid

TIMEOUT = 30  # seconds for connecting and for each SMTP reply


class RunFailed(DeskError):
    """The run cannot deliver anything (the maildir cannot be written, the server refuses
    our login or sender address): nothing is counted against the notices."""


class Unreachable(RunFailed):
    """The mail server is down, unreachable or dropped the connection: try again later
    (exit 75, like a busy desk)."""

    exit_code = 75


class Rejected(Exception):
    """The server refused this message: `permanent` for a 5xx reply."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent

    @classmethod
    def of(cls, code: int, answer) -> "Rejected":
        if 500 <= code < 600:
            return cls(f"rejected by the mail server: {reply(code, answer)}", True)
        return cls(f"deferred by the mail server: {reply(code, answer)}", False)


class Transport:
    def __init__(self, desk: Desk, via: str, out=None):
        self.desk = desk
        self.via = via
        self.out = out
        self.smtp = None
        self.where = via

    def open(self) -> None:
        if self.via.startswith(("smtp://", "smtps://")):
            self.smtp = _connect(self.desk, self.via)
            self.where = _server(self.via)
        elif self.via.startswith("maildir:"):
            self.maildir = _maildir(os.path.expanduser(self.via[len("maildir:"):]))
        elif self.via != "stdout":
            raise Invalid(f"cannot deliver via {self.via!r}",
                          "use smtp://HOST:PORT, smtps://HOST:PORT, maildir:DIR or stdout")

    def deliver(self, msg: EmailMessage, envelope: list[str]) -> dict:
        """Send to the envelope recipients; returns those the server refused
        ({address: (code, reply)}: some or all of them). Raises Rejected when it refused
        the message itself, Unreachable when the connection is gone."""
        if self.smtp is not None:
            return self._smtp(msg, envelope)
        if self.via.startswith("maildir:"):
            try:
                self.maildir.add(msg)
            except OSError as exc:
                raise RunFailed(f"cannot write to the maildir {self.via[8:]}: {_reason(exc)}",
                                "nothing was counted against the notices") from None
        else:
            self.out(msg.as_string() + "\n")
        return {}

    def _smtp(self, msg: EmailMessage, envelope: list[str]) -> dict:
        import smtplib

        try:
            return self.smtp.send_message(msg, to_addrs=envelope)
        except smtplib.SMTPRecipientsRefused as exc:  # all of them: the same as some
            closing = [reply for reply in exc.recipients.values() if reply[0] == 421]
            if closing:  # smtplib has hung up
                raise self._gone(smtplib.SMTPResponseException(*closing[0])) from None
            return exc.recipients
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code == 421:
                raise self._gone(exc) from None
            if 500 <= exc.smtp_code < 600 and exc.smtp_code != 552:  # 552: this one's size
                raise RunFailed(
                    f"the mail server {self.where} refuses the sender address {exc.sender}: "
                    f"{exc.smtp_code} {text(exc.smtp_error)}",
                    "fix mail.from (deskcli config set mail.from ...); nothing was counted "
                    "against the notices") from None
            raise Rejected.of(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError as exc:  # a non-ASCII address, no SMTPUTF8
            raise Rejected(f"rejected: {exc}", True) from None
        except smtplib.SMTPResponseException as exc:  # the message itself (DATA)
            if exc.smtp_code == 421:
                raise self._gone(exc) from None
            raise Rejected.of(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, reset, timed out
            raise self._gone(exc) from None

    def _gone(self, exc: Exception) -> Unreachable:
        self.smtp = None  # nothing more to say to it (no QUIT)
        return Unreachable(f"lost the connection to the mail server {self.where}: "
                           f"{_reason(exc)}; the notices not yet accepted stay due "
                           "for the next run")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except OSError:
                pass


def refusals(refused: dict) -> str:
    """'rejected by the mail server: 550 5.1.1 <x@y>: user unknown' for the recipients
    refused for good (5xx), 'deferred by the mail server: ...' for those to try again later
    (4xx); the address is named when the reply does not name it."""
    groups: dict[bool, list[str]] = {True: [], False: []}
    for address, (code, answer) in sorted(refused.items()):
        line = reply(code, answer)
        groups[500 <= code < 600].append(
            line if address.lower() in line.lower() else f"{address}: {line}")
    return "; ".join(f"{'rejected' if permanent else 'deferred'} by the mail server: "
                     f"{'; '.join(lines)}" for permanent, lines in groups.items() if lines)


def reply(code: int, answer) -> str:
    return f"{code} {' '.join(text(answer).split())}".strip()


def text(answer) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _server(via: str) -> str:
    from urllib.parse import urlparse

    url = urlparse(via)
    return f"{url.hostname}:{url.port or (465 if url.scheme == 'smtps' else 25)}"


def _reason(exc: BaseException) -> str:
    """What went wrong, in words: never a Python exception's repr."""
    import smtplib
    import socket
    import ssl

    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, socket.gaierror):
        return "no such host (DNS lookup failed)"
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the mail server running?)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _connect(desk: Desk, via: str):
    import smtplib
    import ssl
    from urllib.parse import urlparse

    url = urlparse(via)
    secure = url.scheme == "smtps"
    port = url.port or (465 if secure else 25)
    where = f"{url.hostname}:{port}"
    try:
        if secure:
            smtp = smtplib.SMTP_SSL(url.hostname, port, timeout=TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(url.hostname, port, timeout=TIMEOUT)
            smtp.ehlo()
            mode = desk.setting("smtp.starttls") or "auto"
            if mode == "yes" or (mode == "auto" and smtp.has_extn("starttls")):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        user = desk.setting("smtp.user")
        if user:
            smtp.login(user, _password(desk))
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        raise RunFailed(f"the mail server {where} refuses the login of {user}: "
                        f"{reply(exc.smtp_code, exc.smtp_error)}",
                        "check smtp.user and smtp.password-file; nothing was counted "
                        "against the notices") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise RunFailed(f"the mail server {where}: {exc}",
                        "set smtp.starttls to auto or no, or use smtps://") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise Unreachable(f"cannot reach the mail server {where}: {_reason(exc)}; nothing "
                          "was sent, the notices stay due for the next run") from None


def _maildir(path: str):
    """A maildir, its cur/new/tmp created as maildir does (in a missing or empty folder)."""
    import mailbox

    if os.path.exists(path) and not os.path.isdir(path):
        raise RunFailed(f"cannot use the maildir {path}: it is a file, not a folder",
                        "give a folder; nothing was counted against the notices")
    try:
        for sub in ("", "tmp", "new", "cur"):
            os.makedirs(os.path.join(path, sub), mode=0o700, exist_ok=True)
        return mailbox.Maildir(path, create=False)
    except OSError as exc:
        raise RunFailed(f"cannot use the maildir {path}: {_reason(exc)}",
                        "give a folder the desk's user may write; nothing was counted "
                        "against the notices") from None


def _password(desk: Desk) -> str:
    path = desk.setting("smtp.password-file")
    if not path:
        raise Invalid("smtp.user is set but smtp.password-file is not",
                      "deskcli config set smtp.password-file /path/to/file")
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise Invalid(f"cannot read the SMTP password file {path}: {exc.strerror}") from None
