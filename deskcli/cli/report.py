"""`report summary|sla|agents|fields|trend`: what the desk has learned, for one desk or a
group of desks (brands)."""

import functools
import os
from pathlib import Path

import click

from deskcli import output
from deskcli.errors import Invalid
from deskcli.output import say, write

FORMATS = ("table", "md", "html", "csv", "json")

COMMON_HELP = """
    Every report covers the period [--since, --until): by default the 30 days up to now;
    dates are in the desk's time zone, and a date given to --until means the end of that
    day. --type and --dept narrow the tickets (a ticket's department is its owner's, or
    its assignee's while nobody has accepted it). Reports need the report.view permission
    (managers, viewers, admins) and only read the desk.

    Formats: table (fits the terminal), md, html (one self-contained file with charts),
    csv (the main table, or --section; durations in seconds, shares as fractions, cells
    safe for spreadsheets) and json (an object: since, until, desks, filters, rows,
    totals, every other section by its key, notes). --template FILE renders through your
    own Jinja template (sandboxed; autoescaped when the file name ends in .html or with
    --format html); its context is `report`, shaped like the json.

    The group view: --db PATH and --desk NAME (both repeatable; --desk all = every desk
    in your config and data folder) report across several desks, with a desk column,
    per-desk totals and totals over all of them (medians pooled, not averaged).

"""


def with_common_help(func):
    func.__doc__ = func.__doc__.replace("    {common}\n", COMMON_HELP)
    return func


def report_options(func):
    options = [
        click.option("--since", metavar="WHEN",
                     help="Start of the period (2026-11-01, 30d, -2w, yesterday ...)."),
        click.option("--until", metavar="WHEN",
                     help="End of the period (default: now; a date means its end)."),
        click.option("--type", "types", multiple=True, metavar="KEY[,KEY]",
                     help="Only these ticket types. Repeatable."),
        click.option("--dept", metavar="KEY", help="Only this department's tickets."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="Output format."),
        click.option("--json", "as_json", is_flag=True, help="Shorthand for --format json."),
        click.option("--output", "-o", "output_file", metavar="FILE",
                     help="Write the report to FILE instead of stdout (created 0600, "
                          "replaced if it exists; never through a symbolic link)."),
        click.option("--template", metavar="FILE",
                     help="Render through your own Jinja template."),
        click.option("--section", metavar="KEY",
                     help="Only this section (table), or this table instead of the main one "
                          "(csv), e.g. by_dept, breaches, by_desk."),
        click.option("--db", "dbs", multiple=True, metavar="PATH",
                     help="A desk file to include (group view). Repeatable."),
        click.option("--desk", "desks", multiple=True, metavar="NAME|all",
                     help="A named desk to include, or all known desks. Repeatable."),
        click.option("--mail-to", "mail_to", multiple=True, metavar="ADDR",
                     help="Put the report (Markdown text + HTML) in the outbox for ADDR "
                          "instead of printing it. Repeatable."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group()
def report():
    """Reports: summary, SLA, agents, custom fields, trend — one desk or a group.

    \b
    Examples:
      deskcli report summary
      deskcli report sla --since 2026-11-01 --until 2026-11-30 \\
          --format html -o sla.html
      deskcli report agents --dept support --since 7d
      deskcli report fields --type app-crash --by phone_model --by app_version
      deskcli report trend --by week --desk all
    """


def run(build):
    """Open the desks, build the report, render and deliver it; closes the desks."""

    @functools.wraps(build)
    def command(since, until, types, dept, fmt, as_json, output_file, template, section,
                dbs, desks, mail_to, **extra):
        from deskcli.config import resolve_login
        from deskcli.reports import queries as reports
        from deskcli.reports.output import render

        app = click.get_current_context().obj
        enqueue = mail_function() if mail_to else None
        login, source = resolve_login(app.as_login)
        sources = reports.open_desks(desk_specs(app, dbs, desks), login, source)
        try:
            filters = reports.Filters(
                types=[k.strip() for item in types for k in item.split(",") if k.strip()],
                dept=dept)
            result = build(sources, filters, since=since, until=until, **extra)
            fmt = "json" if as_json else fmt
            if mail_to:
                deliver(app, sources, result, mail_to, enqueue, login, source)
            if output_file or not mail_to:
                text = render(result, fmt, template=template, section=section,
                              width=None if output_file else output.terminal_width())
                emit(text, output_file)
        finally:
            reports.close_desks(sources)

    return command


def desk_specs(app, dbs, desks) -> list[tuple[str, str]]:
    """(label, location) of every desk the report covers, in the order given; without
    --db or --desk, the desk of the root options ($DESKCLI_DB, ...). A location is a
    file's path or a PostgreSQL URL."""
    from deskcli.config import desk_path, known_desks
    from deskcli.store import exists, is_url
    from deskcli.store import label as desk_label

    specs = [(desk_label(db), os.path.expanduser(db)) for db in dbs]  # (a URL stays as is)
    for name in desks:
        if name == "all":
            found = [(n, p) for n, p in known_desks().items() if exists(p)]
            if not found:
                raise Invalid("no desks are known for --desk all",
                              "name them with `deskcli config set desks.NAME PATH`, or keep "
                              "them as NAME.db in $XDG_DATA_HOME/deskcli")
            specs += found
        else:
            specs.append((name, desk_path(name)))
    if not specs:
        path = app.db_path()
        specs.append((app.desk_option or desk_label(path), path))
    unique, labels, seen = [], set(), set()
    for label, path in specs:
        key = path if is_url(path) else str(Path(path).resolve())
        if key in seen:
            continue
        seen.add(key)
        base, n = label, 1
        while label in labels:
            n += 1
            label = f"{base}#{n}"
        labels.add(label)
        unique.append((label, path))
    return unique


def emit(text: str, output_file: str | None) -> None:
    if not output_file or output_file == "-":
        write(text)
        return
    from deskcli.private_file import write_private

    write_private(output_file, text)
    say(f"Wrote {output_file}")


def mail_function():
    """Put reports in the desk's outbox (deskcli.mail.notices)."""
    from deskcli.mail.notices import enqueue_report

    return enqueue_report


def deliver(app, sources, result, addresses, enqueue, login, source) -> None:
    """Queue the report for each address in the outbox of the root desk (the first desk
    of the report when there is none)."""
    from deskcli.desk import Desk
    from deskcli.reports.locale import for_people
    from deskcli.reports.output import desks_text, period_text, render

    shown = for_people(result)
    subject = f"{shown.title} · {desks_text(shown)} · {period_text(shown)}"
    text, html = render(result, "md"), render(result, "html", mail=True)
    from deskcli.store import exists

    path = app.db_path()
    desk = Desk.open(path if exists(path) else sources[0].path, login, source)
    try:
        for address in addresses:
            enqueue(desk, to=address, subject=subject, text=text, html=html)
            say(f"Queued the {result.name} report for {address}; "
                "`deskcli outbox send` delivers it")
    finally:
        desk.close()


def _period(sources, since, until):
    from deskcli.reports.queries import period

    return period(sources[0].desk, since, until)


@report.command()
@report_options
@run
@with_common_help
def summary(sources, filters, since, until):
    """Tickets opened, resolved, closed; backlog, overdue.

    By type: tickets opened, accepted, resolved, closed and reopened in the period, and
    the backlog (with how much of it is overdue) at its end; and the tickets opened in the
    period by their status now.

    Counts are of tickets: one resolved twice in the period counts once; closed includes
    rejected and merged tickets. Overdue follows `ticket list --overdue`: not accepted by
    the accept due time, or in progress past the resolve due time.
    {common}
    \b
    Examples:
      deskcli report summary
      deskcli report summary --since 2026-11-01 --until 2026-11-30 \\
          --type app-crash
      deskcli report summary --since 7d --format md > weekly.md
      deskcli report summary --desk all --format html -o group.html
      deskcli report summary --db brand-a.db --db brand-b.db --json
      deskcli report summary --since 7d --mail-to boss@example.com
    """
    from deskcli.reports.queries import summary as build

    return build(sources, _period(sources, since, until), filters)


@report.command()
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the worst breaches to list.")
@report_options
@run
@with_common_help
def sla(sources, filters, since, until, worst):
    """SLA compliance, times to accept and resolve, breaches.

    The share of tickets accepted and resolved within their SLA, by type and by
    department; median and 90th-percentile times to accept and to resolve; the worst
    breaches.

    A ticket counts when it was accepted (resolved) in the period, or when its accept
    (resolve) due time passed in the period and it is still waiting (a breach). Times run
    from opening (or approval) and leave out time waiting on the customer; they are
    wall-clock time unless the desk has business hours. Medians interpolate between the
    middle values; the 90th percentile likewise.
    {common}
    \b
    Examples:
      deskcli report sla
      deskcli report sla --since 2026-10-01 --until 2026-12-31 --dept support
      deskcli report sla --section breaches --format csv > breaches.csv
      deskcli report sla --desk all --format html -o sla.html
    """
    from deskcli.reports.queries import sla as build

    return build(sources, _period(sources, since, until), filters, worst=worst)


@report.command()
@report_options
@run
@with_common_help
def agents(sources, filters, since, until):
    """How each person performs: counts, times, ratings.

    For each person: tickets accepted, resolved, reopened (that they had resolved),
    transferred away, nudges received, escalations to their manager about them (from
    `remind run`), median time to accept (from being
    offered the ticket) and to resolve (from accepting it, without waiting time), and the
    average satisfaction rating (1-5) of their tickets rated in the period.

    --dept keeps the people of that department; --type counts only those tickets.
    {common}
    \b
    Examples:
      deskcli report agents
      deskcli report agents --dept support --since 2026-11-01 --until 2026-11-30
      deskcli report agents --since 7d --format csv > agents.csv
    """
    from deskcli.reports.queries import agents as build

    return build(sources, _period(sources, since, until), filters)


@report.command()
@click.option("--by", "by", multiple=True, required=True, metavar="FIELD",
              help="A custom field to break down by (repeat for FIELD2 ...).")
@click.option("--limit", type=click.IntRange(min=0), default=30, show_default=True,
              help="Show this many value rows; the rest are summed as (other). 0: all.")
@report_options
@run
@with_common_help
def fields(sources, filters, since, until, by, limit):
    """A type's tickets by custom field vs the last period.

    Tickets of one type (--type, required) opened in the period, broken down by custom
    fields (e.g. app crashes by phone model and app version): count, share of the period's
    tickets of that type, and the change against the previous period of the same length,
    so a run of crashes on one model stands out. Rows are sorted by count.
    {common}
    \b
    Examples:
      deskcli report fields --type app-crash --by phone_model
      deskcli report fields --type app-crash --by phone_model \\
          --by app_version --since 7d
      deskcli report fields --type refund --by reason --desk all \\
          --format html -o refunds.html
    """
    from deskcli.reports.queries import fields as build

    if len(by) > 3:
        raise Invalid("break down by at most 3 fields", "e.g. --by phone_model --by os")
    return build(sources, _period(sources, since, until), filters, list(by), limit=limit)


@report.command()
@click.option("--by", "by", type=click.Choice(["day", "week", "month"]), default="day",
              show_default=True, help="Bucket size.")
@report_options
@run
@with_common_help
def trend(sources, filters, since, until, by):
    """Tickets opened and resolved per day, week or month.

    Buckets are days, weeks (from Monday) or months in the desk's time zone. Without
    --since: the last 30 days, 13 weeks or 12 months, whole buckets. A ticket resolved on
    two days counts on each.
    {common}
    \b
    Examples:
      deskcli report trend
      deskcli report trend --by week --type app-crash
      deskcli report trend --by month --desk all --format html -o trend.html
      deskcli report trend --since 2026-11-01 --json
    """
    from deskcli.reports.queries import trend as build
    from deskcli.reports.queries import trend_period

    return build(sources, trend_period(sources[0].desk, since, until, by), filters, by=by)
