"""`ticket open`, `ticket import`, `ticket export`."""

import sys

import click

from deskcli.cli.common import emit_written, json_option, pass_desk, read_text, took_input_from
from deskcli.models import PRIORITIES


@click.command("open")
@click.option("--type", "type_key", required=True, metavar="KEY", help="The ticket type.")
@click.option("--title", required=True, help="A one-line summary.")
@click.option("-m", "--body", "--message", "body", metavar="TEXT",
              help="The description ('-' reads stdin).")
@click.option("--body-file", metavar="FILE|-", help="Read the description from a file.")
@click.option("--customer", metavar="KEY", help="The customer it is for.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A custom field value. Repeatable.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Override the type's default.")
@click.option("--cc", multiple=True, metavar="LOGIN|dept:KEY",
              help="Also keep these informed (besides the type's CC list). Repeatable.")
@click.option("--source", metavar="WORD",
              help="How the request came in: phone, email, web, walk-in, chat ...")
@click.option("--external-id", metavar="ID", help="Another system's id (must be unique).")
@click.option("--suggest/--no-suggest", default=None,
              help="Suggest FAQ entries and similar solved tickets (default: with --json, "
                   "and on a terminal).")
@json_option
@pass_desk
def open_cmd(desk, type_key, title, body, body_file, customer, fields, priority, cc, source,
             external_id, suggest, as_json):
    """Open a ticket (发起). Fields are validated (every problem is named, nothing is
    written), the type's routing rule picks the assignee, the CC list is copied and SLA
    due times are set. Prints the new ticket's id. Up to three FAQ entries and similar
    solved tickets are suggested, so the opener may solve it alone: on stderr on a
    terminal, and as `suggestions` in --json.

    \b
    Examples:
      deskcli ticket open --type it --title "Projector broken" \\
          -m "Room 204, no signal"
      deskcli ticket open --type app-crash --title "App closes at login" \\
          --customer C1001 --field phone_model="iPhone 15" --field os=iOS \\
          --field app_version=3.2.1 --source phone --priority urgent
      echo "details..." | \\
          deskcli ticket open --type it --title "VPN down" --body-file -
      deskcli --as sales ticket open --type renewal --customer C1001 \\
          --title "Renewal" --json
    """
    from deskcli.tickets.opening import OpenRequest, open_ticket
    from deskcli.types.fields import parse_assignments

    text = read_text(body, body_file, what="description") or ""
    request = OpenRequest(type=type_key, title=title, body=text, customer=customer,
                          fields=parse_assignments(fields), priority=priority, cc=list(cc),
                          source=source, external_id=external_id)
    ticket = open_ticket(desk, request)
    where = (f"assigned to {ticket.assignee}" if ticket.assignee else
             "waiting for approval" if ticket.status == "awaiting_approval" else
             "in the assignment queue")
    data = ticket.to_dict()
    if suggest or (suggest is None and (as_json or sys.stderr.isatty())):
        data["suggestions"] = _suggestions(desk, ticket)
    emit_written(data, as_json, message=f"Opened #{ticket.id} ({where}).")
    if data.get("suggestions") and not as_json:
        from deskcli.cli.faq.advice import human_suggestions
        from deskcli.output import say

        lines = human_suggestions(data["suggestions"], indent="  ")
        if lines:
            say("Maybe already answered:\n" + lines)


def _suggestions(desk, ticket) -> dict:
    """FAQ entries and similar solved tickets; the ticket is open whatever happens here."""
    import sqlite3

    from deskcli.errors import DeskError
    from deskcli.faq.search import for_ticket

    try:
        return for_ticket(desk, ticket)
    except (DeskError, sqlite3.Error) as exc:
        from deskcli.output import say

        say(f"(no suggestions: {getattr(exc, 'message', exc)})")
        return {"faq": [], "tickets": []}


@click.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig", errors="surrogateescape"),
                default="-")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_desk
def import_cmd(desk, source, as_json):
    """Open many tickets from JSON lines (FILE or - for stdin), one object per line with
    the keys type, title, body, customer, fields (an object), priority, cc (a list),
    source and external_id (the other keys of a `ticket list --format jsonl` line, such
    as id, status and created_at, are ignored). Validated and routed like `open`; all or
    nothing (a bad line is named by its number and nothing is written); lines whose
    external_id is already on the desk are skipped, so re-importing is safe. An import
    that adds at least as many tickets as the desk held (and 20,000 or more) drops the
    ticket and event indexes and builds them again at the end: much faster than keeping
    them up to date line by line; from a file, whose size tells about how many tickets
    are coming, that is decided after its first 5,000 lines. An input of more than 1,000
    lines is read and checked (JSON, fields, words for search) by a second process while
    this one routes and writes in input order; killing either leaves the desk as it was.

    \b
    Examples:
      deskcli ticket import tickets.jsonl
      other-system --dump | deskcli ticket import - --json
      deskcli --db a.db ticket export | deskcli --db b.db ticket import -
    """
    from deskcli.tickets.bulk import import_tickets

    took_input_from(source)
    progress = None
    if sys.stderr.isatty():
        total = _size(source)
        state = {"shown": 0}

        def progress(lines, stage=None):
            done = _position(source) if total else 0
            share = f" ({100 * done // total}%)" if total else ""
            if stage:
                click.echo(f"\rimporting: {lines} lines read{share}, {stage} ...", err=True,
                           nl=False)
            elif lines - state["shown"] >= 5000 or done == total:
                state["shown"] = lines
                click.echo(f"\rimporting: {lines} lines read{share}", err=True, nl=False)

    counts = import_tickets(desk, source, progress, expected=_expected_lines(source))
    if progress:
        click.echo("", err=True)
    if as_json:
        click.echo(__import__("json").dumps(counts))
    else:
        click.echo(f"imported {counts['imported']}, skipped {counts['skipped']} "
                   "(already on the desk)")
    if counts["ignored_keys"]:
        from deskcli.output import say

        keys = counts["ignored_keys"]
        shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        say(f"ignored what the desk keeps ({shown}): the tickets were opened anew; "
            "`ticket export` moves tickets between desks")


def _position(handle) -> int:
    """Bytes read so far. A text file refuses tell() while it is being iterated
    ("telling position disabled by next() call"), so ask the binary buffer under it."""
    try:
        return getattr(handle, "buffer", handle).tell()
    except (OSError, ValueError):
        return 0


def _expected_lines(handle) -> int | None:
    """About how many lines a file holds: its size over the mean length of the lines in
    its first 64 KiB (read without moving the file's position). None for a pipe."""
    size = _size(handle)
    if not size:
        return None
    import os

    try:
        head = os.pread(handle.fileno(), 65536, 0)
    except (OSError, ValueError, AttributeError):
        return None
    return size * max(head.count(b"\n"), 1) // max(len(head), 1)


def _size(handle) -> int:
    try:
        if handle.seekable():
            import os

            return os.fstat(handle.fileno()).st_size
    except (OSError, ValueError):
        pass
    return 0


@click.command("export")
@click.option("--status", multiple=True, help="Only these statuses (comma-separated).")
@click.option("--type", "types", multiple=True, help="Only these types.")
@click.option("--since", help="Created since (2026-11-01, 30d, ...).")
@click.option("--until", help="Created until.")
@click.option("-o", "--output", "target", metavar="FILE", default="-",
              help="Write to FILE instead of stdout (created 0600, replaced if it exists; "
                   "never through a symbolic link).")
@pass_desk
def export_cmd(desk, status, types, since, until, target):
    """Write tickets as JSON lines that `ticket import` accepts (oldest first).

    \b
    Examples:
      deskcli ticket export > all.jsonl
      deskcli ticket export --type renewal --since 30d -o renewals.jsonl
    """
    import json

    from deskcli.tickets.bulk import export_tickets
    from deskcli.tickets.opening import ListFilters

    filters = ListFilters(status=list(status), type=list(types), created_since=since,
                          created_until=until, limit=None)
    from deskcli.private_file import private_file

    records = export_tickets(desk, filters)
    with (click.open_file("-", "w", encoding="utf-8") if target == "-"
          else private_file(target)) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
