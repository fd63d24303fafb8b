"""`deskcli faq recommend` and `faq gaps`, and suggestions as lines for people (also
shown by `ticket open`)."""

import click

from deskcli.cli.common import chosen, emit_object, emit_rows, format_options, pass_desk
from deskcli.output import say, write


@click.command("recommend")
@click.option("--text", required=True, metavar="TEXT", help="What the customer asks.")
@click.option("--customer", metavar="KEY", help="The customer: their history counts.")
@click.option("--type", "type_key", metavar="TYPE", help="The ticket type it would be.")
@click.option("--limit", type=click.IntRange(min=1, max=50), default=5, show_default=True,
              help="At most this many entries (and similar tickets).")
@click.option("--explain", is_flag=True,
              help="Say why each entry was found: words matched, synonyms, learned words.")
@format_options
@pass_desk
def recommend_cmd(desk, text, customer, type_key, limit, explain, fmt, as_json):
    """Recommend FAQ entries for a question, ranked by the text, by which entries solved
    similar tickets before (replies with --faq teach it), and by the customer's own
    history; with similar solved tickets and how they were resolved.

    \b
    Examples:
      deskcli faq recommend --customer C1001 --text "孩子的账号登录不了"
      deskcli faq recommend --text "refund not received" --type refund --json
      deskcli faq recommend --text "孩子生病这周上不了课" --explain
    """
    from deskcli.faq.search import faq_recommend

    result = faq_recommend(desk, text, customer=customer, type_key=type_key, limit=limit,
                           explain=explain)
    fmt = chosen(fmt, as_json)
    if fmt == "json":
        emit_object(result, "json")
    elif fmt in ("table", "plain"):
        write(human_suggestions(result) or "nothing similar found\n")
    else:
        emit_rows(result["faq"], ["key", "score", "question", "reasons"]
                  + (["why"] if explain else []), fmt)


def human_suggestions(s: dict, indent: str = "") -> str:
    """FAQ entries and similar tickets as lines for people (also `ticket open`)."""
    lines = []
    for e in s.get("faq", ()):
        why = f"  [{'; '.join(e['reasons'])}]" if e.get("reasons") else ""
        lines.append(f"{indent}FAQ {e['key']}  {e['question']}{why}")
        if e.get("why"):
            from deskcli.faq.explain import describe

            lines.append(f"{indent}    why: {describe(e['why'])}")
    for t in s.get("tickets", ()):
        how = t.get("resolution") or "-"
        cited = f" (FAQ {', '.join(t['faq'])})" if t.get("faq") else ""
        lines.append(f"{indent}#{t['id']} [{t['status']}] {t['title']}  → {how}{cited}")
    return "".join(line + "\n" for line in lines)


@click.command("gaps")
@click.option("--since", default="30d", show_default=True,
              help="Tickets created since (30d, 2026-11-01, ...).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most this many topics.")
@click.option("--min-tickets", type=click.IntRange(min=1), default=2, show_default=True,
              help="Only topics asked about in at least this many tickets.")
@format_options
@pass_desk
def gaps_cmd(desk, since, limit, min_tickets, fmt, as_json):
    """The topics recent tickets ask about most that no FAQ entry answers (none has the
    topic in its question or keywords), with counts and example tickets, so the FAQ can
    be kept current. Tickets answered with `ticket reply --faq` do not count.

    \b
    Examples:
      deskcli faq gaps
      deskcli faq gaps --since 7d --limit 10 --json
    """
    from deskcli.faq.search import faq_gaps

    result = faq_gaps(desk, since=since, limit=limit, min_tickets=min_tickets)
    fmt = chosen(fmt, as_json)
    if fmt == "json":
        emit_object(result, "json")
        return
    rows = [{**g, "examples": [f"#{x['id']}" for x in g["examples"]],
             "example": g["examples"][0]["title"] if g["examples"] else None}
            for g in result["gaps"]]
    if rows or fmt not in ("table", "plain"):
        emit_rows(rows, ["topic", "tickets", "faq_mentions", "examples", "example"], fmt)
    if fmt in ("table", "plain"):
        found = "" if rows else "no gaps: every frequent topic has an FAQ entry. "
        say(f"{found}{result['read']} of {result['tickets']} tickets since {result['since']} "
            f"read; {result['answered_by_faq']} answered with an FAQ")
