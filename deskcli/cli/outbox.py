"""`deskcli outbox list|send|show|retry`: notices waiting for delivery."""

import click

from deskcli.cli.common import emit_rows, format_options, pass_desk
from deskcli.output import say, write

STATUSES = ("pending", "sending", "sent", "failed", "dead")


@click.group()
def outbox():
    """Notices (e-mail) waiting for delivery. Every change that concerns someone writes a
    notice here in the same transaction; `outbox send` (from cron) delivers them.
    Every outbox command needs the permission outbox.send (admins; give it to a cron
    identity with a role: `deskcli role add cron --permissions outbox.send`).

    \b
    Examples:
      deskcli config set mail.from 'Help desk <desk@school.example>'
      deskcli config set outbox.via smtp://127.0.0.1:25
      deskcli outbox list --status failed
      deskcli outbox send
    """


@outbox.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only these statuses (default: all). Repeatable.")
@click.option("--ticket", "ticket_id", type=int, help="Only notices about this ticket.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many, newest first (0: all).")
@format_options
@pass_desk
def outbox_list(desk, statuses, ticket_id, limit, fmt, as_json):
    """List notices with their status, attempts and last error.

    \b
    Examples:
      deskcli outbox list
      deskcli outbox list --status failed --status dead --json
      deskcli outbox list --ticket 42
    """
    from deskcli.mail.outbox import listing

    rows = listing(desk, list(statuses), limit or None, ticket_id)
    emit_rows(rows, ["id", "status", "ticket", "template", "to", "attempts", "last_error"],
              fmt, as_json)


@outbox.command("send")
@click.option("--via", metavar="URL",
              help="smtp://HOST:PORT, smtps://HOST:PORT, maildir:DIR or stdout "
                   "(default: the desk setting outbox.via).")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Say what was sent even when all is well.")
@pass_desk
def outbox_send(desk, via, limit, as_json, verbose):
    """Deliver due notices. Safe to run from cron and to overlap: each notice is marked
    sent as soon as the server accepts it (a crash may resend that one notice). A message
    the server defers (4xx) is retried later with backoff; one it rejects (5xx) is not
    retried, and is reported by this run only. Silent when all is well (unless -v);
    exits 1 when some failed, 75 when the mail server cannot be reached (then nothing is
    counted against the notices: the next run sends everything due).

    \b
    Examples:
      deskcli outbox send
      deskcli outbox send --via maildir:/var/mail/desk-test
      deskcli outbox send --via stdout --limit 1
      */5 * * * *  deskcli --db /srv/desk.db --as desk-cron outbox send
    """
    import json

    from deskcli.mail.outbox import send

    result = send(desk, via, limit, out=write)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    elif verbose or result["failed"]:
        say(f"sent {result['sent']}, failed {result['failed']}")
    for failure in result["failures"]:
        retry = f"; retry at {failure['retry_at']}" if failure["retry_at"] else \
            f"; not retried (deskcli outbox retry {failure['id']})" if failure["permanent"] \
            else "; given up (deskcli outbox retry)"
        say(f"notice {failure['id']}: {failure['error']}{retry}")
    if result["failed"]:
        raise SystemExit(1)


@outbox.command("show")
@click.argument("notice_id", type=int)
@pass_desk
def outbox_show(desk, notice_id):
    """Print a notice as it would be sent now (rendered, not delivered).

    \b
    Example:
      deskcli outbox show 17
    """
    from deskcli.mail.outbox import preview

    click.echo(preview(desk, notice_id))


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@pass_desk
def outbox_retry(desk, ids):
    """Make failed (or given-up) notices due again now, e.g. after fixing the mail server
    or a template.

    \b
    Examples:
      deskcli outbox retry
      deskcli outbox retry 17 18
    """
    from deskcli.mail.outbox import retry

    click.echo(retry(desk, list(ids) or None))
