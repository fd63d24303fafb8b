"""`remind run`, `schedule add|list|remove`, `holiday add|list|remove`."""

import click

from deskcli.cli.common import emit_rows, format_options, pass_desk, read_text
from deskcli.output import say


@click.group()
def remind():
    """Reminders (催单) for cron: chase overdue work, escalate, auto-close, open scheduled
    tickets.

    \b
    Examples:
      deskcli remind run -v
      deskcli remind run --dry-run
      deskcli --as cron remind crontab | crontab -
    In a crontab (cron's PATH is /usr/bin:/bin: give deskcli's full path):
      * * * * *  /opt/deskcli/bin/deskcli --db /srv/a.db --as cron remind run
      * * * * *  /opt/deskcli/bin/deskcli --db /srv/a.db --as cron outbox send
    """


@remind.command("run")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Say what was done even when all is well.")
@pass_desk
def remind_run(desk, dry_run, as_json, verbose):
    """Do what is due now (or at $DESKCLI_NOW): nudge whoever must act on tickets not
    accepted or not resolved in time (time waiting on the customer does not count; with
    business hours only working time counts), repeat every nudge-every, escalate to the
    manager after escalate-after nudges (manual ones count) and further up the chain,
    auto-close tickets waiting or resolved for longer than the desk allows
    (autoclose.waiting, autoclose.resolved), and open tickets due from schedules.

    Safe to run twice, or twice at once: nothing is done twice. Silent when all is well
    (cron mails only real problems) unless -v; exits 1 when something failed.
    Run it as a user with the ticket.manage permission (a manager or admin).

    \b
    Examples:
      deskcli remind run
      deskcli remind run --dry-run -v
      DESKCLI_NOW=2026-12-01T09:00:00Z deskcli remind run --json
      * * * * *  /opt/deskcli/bin/deskcli --db /srv/a.db --as cron remind run
    """
    import json

    from deskcli.reminders.run import run

    summary = run(desk, dry_run)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    elif verbose or dry_run:
        from deskcli.locales import reason

        prefix = "would have " if dry_run else ""
        for action in summary["actions"]:  # times for people: in the desk's zone, named
            to = f" → {action['to']}" if action["to"] else ""
            why = reason(action["reason"], "en", desk.tz)
            say(f"#{action['ticket']}: {prefix}{action['action']}{to} ({why})")
        say(f"{prefix}nudged {summary['nudged']}, escalated {summary['escalated']}, "
            f"closed {summary['closed']}, opened {summary['opened']}")
    for error in summary["errors"]:
        say(f"Error: {error}")
    if summary["errors"]:
        raise SystemExit(1)


@remind.command("crontab")
@click.option("--user", "login", metavar="LOGIN",
              help="The identity cron acts as (default: who you act as; it needs the "
                   "ticket.manage permission).")
@click.option("--log", metavar="FILE",
              help="Append the commands' output to FILE (default: NAME.cron.log next to "
                   "the desk file, or in deskcli's data folder for a PostgreSQL desk; "
                   "none with --mailto).")
@click.option("--mailto", metavar="ADDRESS",
              help="Let cron mail the output to ADDRESS (a MAILTO= line) instead of "
                   "logging it; '' mails nobody.")
@click.pass_obj
def remind_crontab(app, login, log, mailto):
    """Print the crontab that runs this desk's reminders and delivers its notices every
    minute, for this installation: the deskcli program and the desk by absolute paths
    (cron's PATH is /usr/bin:/bin and it reads no shell profile), the identity with --as.
    Both commands are silent when all is well, so the log (or cron's mail) holds only
    problems. Install it as the user that may write the desk.

    \b
    Examples:
      deskcli --as desk-cron remind crontab
      deskcli --as cron remind crontab | crontab -      # replaces your crontab
      deskcli --db /srv/desks/brand-a.db --as desk-cron remind crontab \\
          --mailto ops@school.example
    """
    import os

    from deskcli.reminders.crontab import crontab

    desk = app.desk()
    if log is None and mailto is None:
        from deskcli.config import data_dir
        from deskcli.store import is_url

        if is_url(desk.store.path):  # (cron's `>>` needs the folder)
            os.makedirs(data_dir(), mode=0o700, exist_ok=True)
            log = os.path.join(data_dir(), f"{desk.store.stem}.cron.log")
        else:
            log = os.path.splitext(os.path.abspath(desk.store.path))[0] + ".cron.log"
    click.echo(crontab(desk, login=login or desk.login, log=log, mailto=mailto), nl=False)
    if not desk.setting("outbox.via"):
        say("note: outbox.via is not set, so `outbox send` fails until it is: "
            "deskcli config set outbox.via smtp://127.0.0.1:25")


@click.group()
def schedule():
    """Schedules: tickets opened automatically for standard tasks (monthly parent
    meeting, stage tests, renewals), by `remind run`.

    \b
    Examples:
      deskcli schedule add parent-meeting --type meeting \\
          --title "Parent meeting {month}" \\
          --every "monthly 1 09:00" --field centre=SH01
      deskcli schedule add weekly-check --type inspection \\
          --title "Safety check {week}" \\
          --every "weekly mon"
      deskcli schedule list
    """


@schedule.command("add")
@click.argument("key")
@click.option("--type", "type_key", required=True, metavar="KEY", help="The ticket type.")
@click.option("--title", required=True,
              help="Title; may use {date}, {month}, {year}, {week}.")
@click.option("--every", required=True, metavar="WHEN",
              help="daily [HH:MM] | weekly DAY [HH:MM] | monthly [DAY|last] [HH:MM] | hourly "
                   "| a cron line 'M H DOM MON DOW'.")
@click.option("-m", "--body", "body", metavar="TEXT", help="The description.")
@click.option("--body-file", metavar="FILE|-", help="Read the description from a file.")
@click.option("--customer", metavar="KEY", help="The customer.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="Field values.")
@click.option("--cc", multiple=True, metavar="LOGIN|dept:KEY", help="Also CC these.")
@click.option("--priority", type=click.Choice(["low", "normal", "high", "urgent"]))
@click.option("--start", metavar="WHEN", help="First run at or after this date (default: now).")
@format_options
@pass_desk
def schedule_add(desk, key, type_key, title, every, body, body_file, customer, fields, cc,
                 priority, start, fmt, as_json):
    """Add a schedule. Times are in the desk's time zone.

    \b
    Examples:
      deskcli schedule add stage-test --type stage-test \\
          --title "Stage test {month}" \\
          --every "monthly last 10:00"
      deskcli schedule add renewals --type renewal \\
          --title "Renewal calls {week}" \\
          --every "0 9 * * mon,thu" --start 2026-12-01
    """
    from deskcli.reminders.schedules import schedule_add as add
    from deskcli.reminders.schedules import schedule_dict
    from deskcli.types.fields import parse_assignments

    text = read_text(body, body_file, what="description") or ""
    item = add(desk, key, type_key=type_key, title=title, every=every, body=text,
               customer=customer, fields=parse_assignments(fields), cc=list(cc),
               priority=priority, start=start)
    if as_json or fmt in ("json", "jsonl"):
        from deskcli.cli.common import emit_object

        emit_object(schedule_dict(item), fmt, as_json)
    else:
        click.echo(item["key"])
        say(f"first run: {item['next_run_at']} (UTC); `deskcli remind run` opens it")


@schedule.command("list")
@format_options
@pass_desk
def schedule_list(desk, fmt, as_json):
    """List schedules with their next run.

    \b
    Example:
      deskcli schedule list --json
    """
    from deskcli.reminders.schedules import schedule_dict
    from deskcli.reminders.schedules import schedule_list as listing

    rows = [schedule_dict(item) for item in listing(desk)]
    emit_rows(rows, ["key", "type", "title", "every", "next_run_at", "last_run_at"], fmt,
              as_json)


@schedule.command("remove")
@click.argument("key")
@pass_desk
def schedule_remove(desk, key):
    """Remove a schedule (tickets it opened stay).

    \b
    Example:
      deskcli schedule remove parent-meeting
    """
    from deskcli.reminders.schedules import schedule_remove as remove

    click.echo(remove(desk, key)["key"])


@click.group()
def holiday():
    """Holidays: days the SLA clocks do not count when the desk has business hours
    (`deskcli config set business-hours "Mon-Fri 09:00-18:00"`), and make-up working
    days (调休) that they count whatever their weekday.

    \b
    Examples:
      deskcli holiday add 2026-10-01..2026-10-07 --name 国庆节
      deskcli holiday add 2026-09-20,2026-10-10 --workday --name 国庆节调休
      deskcli holiday import --cn 2026
      deskcli holiday list
      deskcli holiday remove 2026-10-07
    """


@holiday.command("add")
@click.argument("days")
@click.option("--name", help="What the holiday is.")
@click.option("--workday", is_flag=True,
              help="Make-up working days (调休): worked with the hours of the week's first "
                   "working day (Monday's), even on a weekend.")
@pass_desk
def holiday_add(desk, days, name, workday):
    """Add a day, a range (A..B) or several (comma-separated): days off, or with
    --workday make-up working days. Either replaces what the desk had for those days.

    \b
    Examples:
      deskcli holiday add 2026-10-01..2026-10-07 --name "National Day"
      deskcli holiday add 2027-01-01,2027-02-16..2027-02-22
      deskcli holiday add 2026-10-10 --workday --name 国庆节调休
    """
    from deskcli.reminders.schedules import holiday_add as add

    added = add(desk, days, name, workday)
    click.echo(len(added))


@holiday.command("import")
@click.option("--cn", "year", type=int, required=True, metavar="YEAR",
              help="China's official calendar of YEAR: days off and make-up working days.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_desk
def holiday_import(desk, year, as_json):
    """Import a year's official public holidays and make-up working days (调休), as the
    State Council publishes them, from the chinesecalendar package (install it with
    `pip install 'deskcli[cn]'`). Replaces what the desk had for those days and keeps
    its other days (a company's own days off). Run it again after upgrading the package
    when a new year is published.

    \b
    Examples:
      deskcli holiday import --cn 2026
      deskcli holiday list --json | jq -r '.[] | select(.kind=="workday").day'
    """
    from deskcli.reminders.schedules import holiday_import_cn

    counts = holiday_import_cn(desk, year)
    if as_json:
        from deskcli.cli.common import emit_object

        emit_object(counts, "json")
    else:
        click.echo(f"{counts['holidays']} holidays, {counts['workdays']} working days")


@holiday.command("list")
@format_options
@pass_desk
def holiday_list(desk, fmt, as_json):
    """List holidays and make-up working days (kind: holiday or workday).

    \b
    Example:
      deskcli holiday list
    """
    from deskcli.reminders.schedules import holiday_list as listing

    emit_rows(listing(desk), ["day", "kind", "name"], fmt, as_json)


@holiday.command("remove")
@click.argument("days")
@pass_desk
def holiday_remove(desk, days):
    """Remove a day or a range (holidays and make-up working days alike).

    \b
    Example:
      deskcli holiday remove 2026-10-07
    """
    from deskcli.reminders.schedules import holiday_remove as remove

    click.echo(len(remove(desk, days)))
