"""`ticket list` and `ticket show`: the everyday read path, kept light (click + sqlite3)."""

import click

from deskcli.cli.common import chosen, emit_object, emit_rows, format_options, pass_desk, whole
from deskcli.output import say, terminal_width, width, wrap

LIST_COLUMNS = ["id", "status", "priority", "type", "title", "customer", "assignee", "owner",
                "due", "created"]


def list_options(func):
    """The filters of `ticket list` (also used by saved views)."""
    options = [
        click.option("--status", multiple=True, metavar="S[,S]",
                     help="Statuses (awaiting_approval new assigned in_progress waiting "
                          "resolved closed, or 'open').", ),
        click.option("--type", "types", multiple=True, metavar="KEY[,KEY]",
                     help="Ticket types."),
        click.option("--assignee", metavar="LOGIN|@me|none", help="Who must accept."),
        click.option("--owner", metavar="LOGIN|@me|none", help="Who accepted (接单人)."),
        click.option("--handler", metavar="LOGIN|@me|none", help="Who works on it now."),
        click.option("--customer", metavar="KEY", help="The customer."),
        click.option("--cc", metavar="LOGIN|@me", help="CC'd to (directly or as dept head)."),
        click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
                     help="A custom field's value. Repeatable."),
        click.option("--since", help="Created at or after (2026-11-01, 7d, yesterday ...)."),
        click.option("--until", help="Created before the end of (a date) or at."),
        click.option("--updated-since", help="Updated at or after."),
        click.option("--updated-until", help="Updated before."),
        click.option("--overdue", is_flag=True, help="Past the accept or resolve due time."),
        click.option("--search", metavar="TEXT", help="Words in the title or body "
                                                      "(Chinese and English)."),
        click.option("--sort", default="-id", show_default=True,
                     help="id, created, updated, priority, status or due; prefix - for "
                          "descending."),
        click.option("--after", metavar="CURSOR", help="Continue after this page cursor "
                                                       "(printed on stderr)."),
        click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
                     help="At most this many (0: no limit)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def filters_from(kw) -> "object":
    from deskcli.tickets.opening import ListFilters
    from deskcli.types.fields import parse_assignments

    return ListFilters(
        status=list(kw.get("status") or ()), type=list(kw.get("types") or ()),
        assignee=kw.get("assignee"), owner=kw.get("owner"), handler=kw.get("handler"),
        customer=kw.get("customer"), cc=kw.get("cc"),
        fields=parse_assignments(kw.get("fields") or ()),
        created_since=kw.get("since"), created_until=kw.get("until"),
        updated_since=kw.get("updated_since"), updated_until=kw.get("updated_until"),
        overdue=bool(kw.get("overdue")), search=kw.get("search"),
        sort=kw.get("sort") or "-id", after=kw.get("after"),
        limit=kw.get("limit") or None)


@click.command("list")
@list_options
@click.option("--view", "view_name", metavar="NAME",
              help="Start from a saved view; options given here override it.")
@format_options
@pass_desk
def list_cmd(desk, fmt, as_json, view_name, **kw):
    """List tickets, newest first, 50 at a time (the next page's cursor is printed on
    stderr). An empty list is not an error.

    \b
    Examples:
      deskcli ticket list --status open --assignee @me
      deskcli ticket list --status new,assigned --type app-crash --overdue
      deskcli ticket list --field phone_model="iPhone 15" --since 30d --json
      deskcli ticket list --search 登录失败 --format csv > login-problems.csv
      deskcli ticket list --sort -priority --limit 20 --after '3,1234'
      deskcli ticket list --view mine --status waiting
    """
    from deskcli.tickets.opening import list_tickets

    if view_name:
        from deskcli.tickets.views import view_get

        ctx = click.get_current_context()
        saved = view_get(desk, view_name)
        for key, value in saved.items():
            source = ctx.get_parameter_source(key)
            if key in kw and source is not click.core.ParameterSource.COMMANDLINE:
                kw[key] = tuple(value) if isinstance(value, list) else value
    filters = filters_from(kw)
    filters.details = whole(fmt, as_json)
    tickets, cursor = list_tickets(desk, filters)
    if filters.search:
        from deskcli.tickets.opening import search_index_stale

        if search_index_stale(desk):
            say("warning: the search index was built by another deskcli version and may "
                "miss tickets; an admin can rebuild it: deskcli db reindex")
    emit_tickets(desk, tickets, fmt, as_json)
    if cursor:
        say(f"more: --after {cursor}")


def emit_tickets(desk, tickets, fmt, as_json) -> None:
    fmt = chosen(fmt, as_json)
    rows = [t.to_dict() for t in tickets]
    if fmt not in ("json", "jsonl"):
        for row in rows:
            row["due"] = (row["accept_due_at"] if row["status"] in ("new", "assigned")
                          else row["resolve_due_at"] if row["status"] == "in_progress"
                          else None)
            row["created"] = row["created_at"]
            if fmt == "table":
                row["due"] = local(desk, row["due"])
                row["created"] = local(desk, row["created_at"])
    emit_rows(rows, LIST_COLUMNS, fmt)


def local(desk, stamp: str | None) -> str | None:
    """A stored UTC time as 'YYYY-MM-DD HH:MM' in the desk's time zone, for people."""
    if not stamp:
        return None
    from deskcli.clock import local_minutes

    return local_minutes(stamp, desk.tz)


@click.command("show")
@click.argument("ticket_id", type=int)
@click.option("--public", is_flag=True, help="Only what the customer sees (no internal "
                                             "notes).")
@format_options
@pass_desk
def show_cmd(desk, ticket_id, public, fmt, as_json):
    """Show a ticket: fields, CC, checklist, and the whole timeline of events.

    \b
    Examples:
      deskcli ticket show 42
      deskcli ticket show 42 --json | jq '.events[] | select(.kind == "reply")'
      deskcli ticket show 42 --public
    """
    from deskcli.tickets.opening import show_ticket

    ticket = show_ticket(desk, ticket_id, internal=not public)
    emit_object(ticket.to_dict(), fmt, as_json, human=lambda t: human(desk, t))


def _fit(line: str, room: int) -> list[str]:
    """A line of items ('status: new   priority: high') in lines of at most `room`
    columns, broken between items; an item that is still too long wraps."""
    out: list[str] = []
    for item in line.split("   "):
        joined = f"{out[-1]}   {item}" if out else item
        if out and width(joined) <= room:
            out[-1] = joined
        else:
            out += wrap(item, room, "    ")
    return out


def human(desk, t: dict) -> str:
    from deskcli.clock import zone_key

    lines = [f"#{t['id']}  {t['title']}", f"status: {t['status']}   priority: {t['priority']}"
             f"   type: {t['type']}"]
    people = [f"{k.replace('_', ' ')}: {t[k]}" for k in
              ("customer", "assignee", "owner", "handler", "opened_by", "approver") if t.get(k)]
    if people:
        lines.append("   ".join(people))
    if t.get("source"):
        lines.append(f"source: {t['source']}")
    times = [f"{label}: {local(desk, t[k])}" for label, k in
             (("created", "created_at"), ("updated", "updated_at"),
              ("accept due", "accept_due_at"), ("resolve due", "resolve_due_at"))
             if t.get(k)]
    lines.append("   ".join(times) + f"   ({zone_key(desk.tz)})")
    if t.get("merged_into"):
        lines.append(f"merged into: #{t['merged_into']}")
    if t["cc"]:
        lines.append("cc: " + ", ".join(t["cc"]))
    if t.get("contacts"):
        lines.append("contacts: " + ", ".join(t["contacts"]))
    for key in ("tags",):
        if t.get(key):
            lines.append(f"{key}: " + ", ".join(t[key]))
    if t["fields"]:
        lines.append("fields:")
        lines += [f"  {k}: {v}" for k, v in t["fields"].items()]
    if t["checklist"]:
        lines.append("checklist:")
        lines += [f"  [{'x' if s['done'] else ' '}] {s['step']}. {s['text']}"
                  + (f"  ({s['done_by']})" if s["done"] else "") for s in t["checklist"]]
    if t.get("attachments"):
        lines.append("attachments:")
        lines += [f"  {x['name']}  ({x['size']:,} bytes, {x['content_type'] or '?'})"
                  for x in t["attachments"]]
    room = terminal_width()
    if room:  # a narrow terminal: the head lines wrap between their items, not in one
        lines = [piece for line in lines for piece in _fit(line, room)]
    if t["body"]:
        lines += ["", t["body"].rstrip()]
    if t.get("resolution"):
        lines += ["", f"resolution: {t['resolution']}"]
    if t.get("events"):
        lines += ["", "timeline:"]
        for e in t["events"]:
            change = ""
            if e["from"] or e["to"]:
                change = f" {e['from'] or ''} → {e['to'] or ''}".replace("  ", " ")
            flag = "" if e["visibility"] == "public" else " [internal]"
            who = e["actor"] or (e["data"] or {}).get("from") or "desk"
            lines.append(f"  {local(desk, e['at'])}  {who}  "
                         f"{e['kind']}{change}{flag}")
            message = e["message"]
            if message and e["actor"] is None and "Z" in message:  # deskcli's UTC time
                from deskcli.locales import reason

                message = reason(message, "en", desk.tz)
            if message:
                lines += [f"      {line}" for line in message.rstrip().splitlines()]
    if room:  # the rest (text, timeline) wraps under its own indent
        lines = [piece for line in lines for piece in
                 wrap(line, room, " " * (len(line) - len(line.lstrip(" ")) + 2))]
    return "\n".join(lines) + "\n"
