"""`deskcli type ...`: ticket types."""

import click

from deskcli.cli.common import emit_object, emit_rows, emit_written, format_options, pass_desk
from deskcli.models import PRIORITIES


@click.group("type")
def type_group():
    """Ticket types (工单类型): custom fields, routing rule, CC list, SLA, reminders,
    approver and checklist. Types are data: add, change and disable them at any time;
    changes never rewrite existing tickets.

    \b
    Examples:
      deskcli type add app-crash --name "App crash" --priority high \\
          --field 'phone_model:text!' --field 'app_version:text!' \\
          --field 'os:choice!=iOS|Android|HarmonyOS' \\
          --route least-loaded:support --cc dept:product \\
          --accept-within 2h --resolve-within 2d \\
          --nudge-every 4h --escalate-after 2
      deskcli type update app-crash --pattern 'app_version=\\d+\\.\\d+(\\.\\d+)?' \\
          --hint 'app_version=like 3.2 or 3.2.1'
      deskcli type show app-crash --json
    """


def definition_options(func):
    options = [
        click.option("--description", help="What the type is for."),
        click.option("--priority", type=click.Choice(PRIORITIES),
                     help="Default priority of new tickets."),
        click.option("--field", "fields", multiple=True, metavar="NAME:KIND[!][=A|B...]",
                     help="A custom field (KIND: text int number date bool choice; ! = "
                          "required). Repeat for more; redefining a name replaces it."),
        click.option("--label", "labels", multiple=True, metavar="NAME=LABEL",
                     help="A field's human label."),
        click.option("--pattern", "patterns", multiple=True, metavar="NAME=REGEX",
                     help="A regular expression the field's value must match."),
        click.option("--hint", "hints", multiple=True, metavar="NAME=TEXT",
                     help="What to tell the user when the pattern does not match."),
        click.option("--route", metavar="RULE",
                     help="manual | user:LOGIN | round-robin:DEPT | least-loaded:DEPT | "
                          "consultant"),
        click.option("--cc", multiple=True, metavar="dept:KEY|user:LOGIN",
                     help="Copy every ticket to a department head or a user. Repeatable."),
        click.option("--accept-within", metavar="DURATION",
                     help="SLA: accept within this long (30m, 4h, 2d; 'none' to clear)."),
        click.option("--resolve-within", metavar="DURATION",
                     help="SLA: resolve within this long (waiting on the customer pauses)."),
        click.option("--nudge-every", metavar="DURATION",
                     help="Once overdue, nudge whoever must act this often."),
        click.option("--escalate-after", metavar="N",
                     help="Escalate to the manager after N nudges."),
        click.option("--approver", metavar="LOGIN|manager",
                     help="Tickets wait for this user's (or the opener's manager's) approval."),
        click.option("--step", "steps", multiple=True, metavar="TEXT",
                     help="A checklist step to tick before resolving. Repeatable, in order."),
        click.option("--json", "as_json", is_flag=True, help="Print the type as JSON."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _changes(**kw):
    from deskcli.types.manage import TypeChanges

    return TypeChanges(
        name=kw.get("name"), description=kw.get("description"), priority=kw.get("priority"),
        fields=list(kw.get("fields") or ()), remove_fields=list(kw.get("remove_fields") or ()),
        labels=list(kw.get("labels") or ()), patterns=list(kw.get("patterns") or ()),
        hints=list(kw.get("hints") or ()), route=kw.get("route"), cc=list(kw.get("cc") or ()),
        remove_cc=list(kw.get("remove_cc") or ()), accept_within=kw.get("accept_within"),
        resolve_within=kw.get("resolve_within"), nudge_every=kw.get("nudge_every"),
        escalate_after=kw.get("escalate_after"), approver=kw.get("approver"),
        steps=list(kw.get("steps") or ()), remove_steps=list(kw.get("remove_steps") or ()),
        clear_steps=bool(kw.get("clear_steps")), active=kw.get("active"))


@type_group.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Display name.")
@definition_options
@pass_desk
def type_add(desk, key, as_json, **kw):
    """Add a ticket type, defined in one command or built up later with `update`.

    \b
    Examples:
      deskcli type add it --name "IT problem" --route round-robin:it
      deskcli type add renewal --name "Renewal (续费)" --route consultant \\
          --field 'package:choice!=12 lessons|24 lessons|48 lessons' \\
          --accept-within 1d --step "Call the parent" --step "Send the contract"
      deskcli type add opening --name "Centre opening ceremony" --approver manager
    """
    from deskcli.types.manage import type_add as add

    ttype = add(desk, key, _changes(**kw))
    emit_written(ttype.to_dict(), as_json, key="key")


@type_group.command("update")
@click.argument("key")
@click.option("--name", help="Display name.")
@definition_options
@click.option("--remove-field", "remove_fields", multiple=True, metavar="NAME",
              help="Remove a field (existing tickets keep their values).")
@click.option("--remove-cc", multiple=True, metavar="dept:KEY|user:LOGIN",
              help="Remove an entry from the CC list.")
@click.option("--remove-step", "remove_steps", multiple=True, metavar="N|TEXT",
              help="Remove a checklist step by number (from 1) or text.")
@click.option("--clear-steps", is_flag=True, help="Remove every checklist step first.")
@click.option("--enable/--disable", "active", default=None,
              help="Enable or disable the type.")
@pass_desk
def type_update(desk, key, as_json, **kw):
    """Change a ticket type. Options not given stay as they are; list options add.

    \b
    Examples:
      deskcli type update it --field 'room:text' --cc user:carol
      deskcli type update it --accept-within none --remove-field room
      deskcli type update it --enable
    """
    from deskcli.types.manage import type_update as update

    ttype = update(desk, key, _changes(**kw))
    emit_written(ttype.to_dict(), as_json, key="key")


@type_group.command("disable")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the type as JSON.")
@pass_desk
def type_disable(desk, key, as_json):
    """Disable a type: no new tickets of it; existing ones carry on.

    \b
    Example:
      deskcli type disable old-form
    """
    from deskcli.types.manage import type_disable as disable

    emit_written(disable(desk, key).to_dict(), as_json, key="key")


@type_group.command("list")
@click.option("--all", "include_disabled", is_flag=True, help="Include disabled types.")
@format_options
@pass_desk
def type_list(desk, include_disabled, fmt, as_json):
    """List ticket types.

    \b
    Examples:
      deskcli type list
      deskcli type list --all --json
    """
    from deskcli.types.manage import type_list as listing

    rows = [t.to_dict() for t in listing(desk, include_disabled)]
    for row in rows:
        row["fields_summary"] = " ".join(f["name"] + ("!" if f["required"] else "")
                                         for f in row["fields"])
    emit_rows(rows, ["key", "name", "priority", "route", "accept_within", "resolve_within",
                     "fields_summary", "active"], fmt, as_json,
              headers={"fields_summary": "FIELDS"})


@type_group.command("show")
@click.argument("key")
@format_options
@pass_desk
def type_show(desk, key, fmt, as_json):
    """Show everything about a type.

    \b
    Example:
      deskcli type show app-crash --json
    """
    from deskcli.types.manage import type_show as show

    emit_object(show(desk, key).to_dict(), fmt, as_json, human=_human)


def _human(t: dict) -> str:
    lines = [f"{t['key']}: {t['name']}" + ("" if t["active"] else "  (disabled)")]
    if t["description"]:
        lines.append(f"  {t['description']}")
    lines.append(f"priority: {t['priority']}   route: {t['route']}")
    sla = [f"{k.replace('_', ' ')} {t[k]}" for k in
           ("accept_within", "resolve_within", "nudge_every") if t[k]]
    if t["escalate_after"]:
        sla.append(f"escalate after {t['escalate_after']} nudges")
    if sla:
        lines.append("sla: " + ", ".join(sla))
    if t["approver"]:
        lines.append(f"approver: {t['approver']}")
    if t["cc"]:
        lines.append("cc: " + ", ".join(t["cc"]))
    if t["fields"]:
        lines.append("fields:")
        for f in t["fields"]:
            extra = []
            if f["choices"]:
                extra.append("one of " + " | ".join(f["choices"]))
            if f["pattern"]:
                extra.append(f"matching {f['pattern']}" + (f" ({f['hint']})" if f["hint"] else ""))
            label = f" — {f['label']}" if f["label"] else ""
            req = ", required" if f["required"] else ""
            lines.append(f"  {f['name']} ({f['kind']}{req}){label}"
                         + (f": {'; '.join(extra)}" if extra else ""))
    if t["checklist"]:
        lines.append("checklist:")
        lines += [f"  {i}. {s}" for i, s in enumerate(t["checklist"], start=1)]
    return "\n".join(lines) + "\n"
