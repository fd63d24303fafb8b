"""`deskcli mail ingest`: e-mail into the desk, from an MTA pipe or a saved message."""

import click

from deskcli.output import say, to_json, write


@click.group()
def mail():
    """E-mail into the desk: a reply to a notice becomes a message on its ticket, any
    other mail opens a ticket. Point the desk's mail address at `mail ingest` (see
    `deskcli mail ingest --help` for Postfix, .forward and procmail).

    \b
    Examples:
      deskcli access add mail-in --name "Mail in" --types email
      deskcli config set mail.type email
      deskcli --as mail-in mail ingest message.eml
      runuser -u desk -- deskcli --db /srv/desks/a.db --as mail-in mail check
    """


@mail.command("ingest")
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def mail_ingest(app, source, as_json):
    """Read one e-mail (a file, or standard input from an MTA) and file it.

    A message about a ticket -- its subject carries the ticket's tag [desk #42] (the desk
    setting mail.tag), or its In-Reply-To/References name one of the ticket's notices --
    from the ticket's customer or one of its contacts (`ticket contact`) becomes a
    customer message on it: a waiting ticket goes back to in_progress (its resolve clock
    resumes), a resolved one is reopened, and mail about a closed ticket opens a new
    ticket related to it. Mail from an active colleague's address becomes an internal
    note by them (replies to the customer are written with `ticket reply`). A tag is no
    key: from anyone else, the message opens a new ticket for its sender, and the ledger
    says which ticket it named and why it was not threaded (--json: not_threaded).
    Quoted earlier messages are cut from replies.

    Any other message opens a ticket of the type mail.type (source email; required
    fields may stay empty until it is resolved) for the customer with the From address.
    An unknown address becomes a new customer keyed by the address with '@' written as
    '_' (zw@example.com becomes zw_example.com; a taken key gets -2, -3 ...). Cc'd
    colleagues are put on the CC list; other Cc addresses are never added as recipients:
    the timeline names them (mail_cc) and staff add the right ones with `ticket contact`.
    Attachments are kept up to attachments.max-size (larger ones are named on standard
    error and in the timeline).

    Ignored, with the reason on standard error: auto-replies (Auto-Submitted,
    X-Autoreply, out-of-office subjects such as 自动回复), bulk and list mail (Precedence),
    bounces (an empty Return-Path, delivery reports), mail loops (this desk's X-Loop or
    its own mail.from address), a sender's mail beyond mail.max-per-hour, and MIME
    nested too deeply to read (parts below 30 levels are not read anyway). The same
    Message-ID is filed once, so an MTA retry is safe.

    Prints the ticket's id (--json: everything that was done). Exit status for an MTA
    (which bounces the mail on any other status): 0 when filed or deliberately ignored,
    an empty message too (nothing is written for it); 75 (EX_TEMPFAIL: the MTA keeps the
    message and retries) when the desk is busy, mail.type is not set, or anything else on
    the desk's side fails (no desk, unknown --as identity, type not granted). Only a FILE
    argument that cannot be read exits 2 (an MTA never passes one). Never a traceback.

    Run it as an access client granted the mail type (set up once):

    \b
      deskcli access add mail-in --name "Mail in" --types email
      deskcli config set mail.type email
      deskcli config set mail.from 'Help desk <desk@school.example>'

    \b
    Postfix, in /etc/aliases (then run newaliases; Postfix runs the command as
    the owner of the alias database, or as nobody when root owns it: that user
    must be able to write the desk and its folder):
      desk: "|/usr/local/bin/deskcli --db /srv/desk.db --as mail-in mail ingest"
    or as a pipe transport in master.cf:
      deskcli unix - n n - 10 pipe flags=Rq user=desk
        argv=/usr/local/bin/deskcli --db /srv/desk.db --as mail-in mail ingest

    \b
    A .forward file in the desk account's home folder:
      "|/usr/local/bin/deskcli --db /srv/desk.db --as mail-in mail ingest"
    or procmail (.procmailrc; with the w flag, a failure leaves the message in
    the mailbox):
      :0 w
      | /usr/local/bin/deskcli --db /srv/desk.db --as mail-in mail ingest

    \b
    Examples:
      deskcli --as mail-in mail ingest message.eml
      deskcli --as mail-in mail ingest - < message.eml
      deskcli --as mail-in mail ingest --json message.eml
    """
    from deskcli.errors import DeskError
    from deskcli.mail.ingest import Ingested, TryLater, ingest

    raw = _read(source)
    try:
        result = ingest(app.desk(), raw) if raw.strip() else \
            Ingested("ignored", reason="the message is empty: nothing was filed")
    except TryLater:
        raise
    except DeskError as exc:  # the desk is not ready for mail: keep it at the MTA
        raise TryLater(f"cannot file the message now: {exc.message}",
                       (exc.hint + "; " if exc.hint else "") + "the MTA will retry it") \
            from exc
    except Exception as exc:  # noqa: BLE001 - an MTA must get 75, never a traceback
        raise TryLater(f"cannot file the message now ({type(exc).__name__}: {exc})",
                       "the MTA will retry it; DESKCLI_DEBUG=1 shows the traceback") from exc
    if as_json:
        write(to_json(result.to_dict()) + "\n")
    elif result.ticket is not None:
        write(f"{result.ticket}\n")
    if result.action in ("ignored", "duplicate"):
        say(f"{result.action}: {result.reason}")
    else:
        customer = f" for customer {result.customer}" + (" (new)" if result.customer_created
                                                          else "") if result.customer else ""
        done, _, why = (result.reason or "").partition("; ")
        say(f"{done}{customer}")
        if why:  # not threaded into the ticket it named, and why
            say(why)
    for item in result.skipped:
        say(f"not kept: {item['name']} ({item['size']:,} bytes): {item['reason']}")
    if result.charset_guesses:
        from deskcli.mail.ingest import guessed

        say(f"{guessed(result.charset_guesses)} (the desk setting mail.charsets)")


@mail.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_obj
def mail_check(app, as_json):
    """Check, as the user your MTA runs `mail ingest` as, that mail can be filed: the
    desk's folder can be entered and written, the desk and its -wal and -shm files read
    and written (and new ones get the right group), the desk opens and takes a write,
    mail.type names an active type, and the identity mail is filed as may open it. A desk
    on PostgreSQL has no files to check: its open and write checks show whether the
    user's database role may connect, read and write.

    One line per check: ok, warn (works, but fragile) or FAIL with the fix. Exits 1 when
    a check failed, 0 otherwise.

    \b
    Examples:
      runuser -u desk -- deskcli --db /srv/desks/a.db --as mail-in mail check
      deskcli --as mail-in mail check --json
    """
    from deskcli.config import resolve_login
    from deskcli.mail.check import mail_checks

    login, source = resolve_login(app.as_login)
    checks = mail_checks(app.db_path(), login, source)
    if as_json:
        write(to_json([check.to_dict() for check in checks]) + "\n")
    else:
        for check in checks:
            state = "FAIL" if check.state == "fail" else check.state
            write(f"{state:<4}  {check.what:<9} {check.detail}\n")
            if check.fix:
                write(f"{'':<4}  {'':<9} fix: {check.fix}\n")
    if any(check.state == "fail" for check in checks):
        raise SystemExit(1)


def _read(source: str) -> bytes:
    from deskcli.errors import Invalid

    if source == "-":
        import sys

        from deskcli.cli.common import took_input

        took_input()
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Invalid(f"cannot read {source}: {exc.strerror}") from None
