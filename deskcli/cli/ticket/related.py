"""`ticket related`: what answered tickets like this one before."""

import click

from deskcli.cli.common import chosen, emit_object, emit_rows, format_options, pass_desk
from deskcli.output import write


@click.command("related")
@click.argument("ticket_id", type=int)
@click.option("--limit", type=click.IntRange(min=1, max=50), default=5, show_default=True,
              help="At most this many FAQ entries and tickets.")
@format_options
@pass_desk
def related_cmd(desk, ticket_id, limit, fmt, as_json):
    """FAQ entries and similar solved tickets for a ticket, with how those were resolved
    (the resolution and the FAQ entries their replies cited): the desk's history, kept
    when the people who handled it leave. Entries that already answered this ticket come
    first.

    \b
    Examples:
      deskcli ticket related 42
      deskcli ticket related 42 --limit 10 --json
    """
    from deskcli.faq.search import related

    result = related(desk, ticket_id, limit)
    fmt = chosen(fmt, as_json)
    if fmt == "json":
        emit_object(result, "json")
        return
    rows = [{"kind": "faq", "ref": e["key"], "title": e["question"], "status": None,
             "how": "; ".join(e["reasons"])} for e in result["faq"]]
    rows += [{"kind": "ticket", "ref": f"#{t['id']}", "title": t["title"],
              "status": t["status"],
              "how": (t["resolution"] or "") + (f" (FAQ {', '.join(t['faq'])})"
                                                  if t["faq"] else "")}
             for t in result["tickets"]]
    if fmt in ("table", "plain") and not rows:
        write(f"nothing related to #{ticket_id} found\n")
        return
    emit_rows(rows, ["kind", "ref", "title", "status", "how"], fmt)
