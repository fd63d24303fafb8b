"""`queue list`, `cc list`, `dashboard`, and saved views (`view add|list|remove`)."""

import click

from deskcli import output
from deskcli.cli.common import emit_object, emit_rows, format_options, pass_desk, whole
from deskcli.cli.ticket.view import emit_tickets, list_options, local
from deskcli.output import say


@click.group()
def queue():
    """The assignment queue (分配工单).

    \b
    Examples:
      deskcli queue list
      deskcli queue list --json
    """


@queue.command("list")
@click.option("--limit", type=click.IntRange(min=0), default=100, show_default=True,
              help="At most this many (0: all).")
@format_options
@pass_desk
def queue_list(desk, limit, fmt, as_json):
    """Tickets nobody is expected to accept (no routing rule chose anyone, declined,
    reopened without an owner), and open tickets whose assignee or owner has left — oldest
    first, each with the reason. Dispatch them with `ticket assign` or `ticket accept`.

    \b
    Examples:
      deskcli queue list
      deskcli queue list --format plain | cut -f1 | \\
          deskcli ticket assign - --to bob --yes
    """
    from deskcli.tickets.views import queue as listing

    tickets = listing(desk, limit or None, details=whole(fmt, as_json))
    rows = [t.to_dict() for t in tickets]
    if fmt in ("json", "jsonl") or as_json:
        emit_rows(rows, [], fmt, as_json)
        return
    for row in rows:
        row["created"] = local(desk, row["created_at"]) if fmt == "table" else row["created_at"]
    emit_rows(rows, ["id", "status", "priority", "type", "title", "customer", "created",
                     "queue_reason"], fmt, headers={"queue_reason": "REASON"})


@click.group("cc")
def cc_group():
    """Tickets CC'd to you (抄送我的).

    \b
    Examples:
      deskcli cc list
      deskcli cc list --all --json
    """


@cc_group.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include resolved and closed.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many (0: all).")
@format_options
@pass_desk
def cc_list(desk, include_closed, limit, fmt, as_json):
    """Open tickets CC'd to you, directly or as the head of a CC'd department.

    \b
    Examples:
      deskcli cc list
      deskcli --as zhao cc list --all --format csv
    """
    from deskcli.tickets.views import cc_list as listing

    tickets, cursor = listing(desk, include_closed, limit or None, details=whole(fmt, as_json))
    emit_tickets(desk, tickets, fmt, as_json)
    if cursor:
        say(f"more: deskcli ticket list --cc @me --after {cursor}")


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Tickets shown per section.")
@format_options
@pass_desk
def dashboard(desk, limit, fmt, as_json):
    """My dashboard (我的Dashboard): to approve, to accept, in progress as owner, handling
    for others, CC'd to me, overdue, nudged — with counts.

    \b
    Examples:
      deskcli dashboard
      deskcli --as bob dashboard --json | jq .counts
    """
    from deskcli.tickets.views import SECTIONS
    from deskcli.tickets.views import dashboard as board

    data = board(desk, limit, details=whole(fmt, as_json))
    if fmt in ("json", "jsonl") or as_json:
        emit_object(data, fmt, as_json)
        return
    titles = {"to_approve": "To approve", "to_accept": "To accept (待接单)",
              "in_progress": "In progress (我的)", "handling": "Handling for others",
              "cc": "CC'd to me (抄送我的)", "overdue": "Overdue", "nudged": "Nudged (催单)"}
    counts = data["counts"]
    shown = {name: f"{n}+" if name in data["capped"] else str(n) for name, n in counts.items()}
    summary = "  ".join(f"{name}: {shown[name]}" for name in (*SECTIONS, "queue")
                        if name in counts)
    room = output.terminal_width() or 10**6  # a narrow terminal: lines wrap, indented
    click.echo("\n".join(output.wrap(f"{data['user']} — {summary}", room, "  ")))
    for name in SECTIONS:
        if not data[name]:
            continue
        more = counts[name] - len(data[name])
        click.echo(f"\n{titles[name]} ({shown[name]})")
        for t in data[name]:
            who = t["owner"] or t["assignee"] or "-"
            due = t["accept_due_at"] if t["status"] in ("new", "assigned") else \
                t["resolve_due_at"]
            due_text = f"  due {local(desk, due)}" if due else ""
            nudges = f"  催{t['nudges']}" if t["nudges"] else ""
            line = (f"  #{t['id']:<6} {t['status']:<11} {t['priority']:<6} "
                    f"{t['title'][:48]}  ({who}){due_text}{nudges}")
            click.echo("\n".join(output.wrap(line, room, "      ")))
        if more > 0:
            click.echo(f"  ... and {more} more")


@click.group()
def view():
    """Saved views: `ticket list` filters under a name, personal to you.

    \b
    Examples:
      deskcli view add mine --status open --assignee @me --sort -priority
      deskcli ticket list --view mine
      deskcli view list
      deskcli view remove mine
    """


@view.command("add")
@click.argument("name")
@list_options
@pass_desk
def view_add(desk, name, **filters):
    """Save `ticket list` filters as NAME (replacing a view of that name).

    \b
    Examples:
      deskcli view add crashes-ios --type app-crash --field os=iOS --status open
      deskcli view add overdue-support --overdue --sort due
    """
    from deskcli.tickets.views import view_add as add

    defaults = {"sort": "-id", "limit": 50}
    kept = {k: v for k, v in filters.items() if defaults.get(k) != v}
    click.echo(add(desk, name, kept)["name"])


@view.command("list")
@format_options
@pass_desk
def view_list(desk, fmt, as_json):
    """List your saved views.

    \b
    Example:
      deskcli view list --json
    """
    from deskcli.tickets.views import view_list as listing

    emit_rows(listing(desk), ["name", "filters"], fmt, as_json)


@view.command("remove")
@click.argument("name")
@pass_desk
def view_remove(desk, name):
    """Remove a saved view.

    \b
    Example:
      deskcli view remove mine
    """
    from deskcli.tickets.views import view_remove as remove

    click.echo(remove(desk, name)["name"])
