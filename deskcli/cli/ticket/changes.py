"""Commands around a ticket: cc, contact, set, check, attach, attachment, link, merge, tag, log,
rate."""

import click

from deskcli.cli.common import (
    bulk_options,
    emit_rows,
    for_each,
    format_options,
    pass_desk,
    ticket_ids,
)
from deskcli.models import PRIORITIES


def _one(desk, ticket_id, action, as_json, verb):
    for_each([ticket_id], action, verb=verb, yes=True, as_json=as_json)


@click.command("cc")
@bulk_options
@click.option("--add", multiple=True, metavar="LOGIN|dept:KEY", help="CC someone. Repeatable.")
@click.option("--remove", multiple=True, metavar="LOGIN|dept:KEY", help="Stop CC-ing someone.")
@pass_desk
def cc_cmd(desk, ids, add, remove, as_json, yes):
    """Change who is kept informed (抄送). A department reaches its head.

    \b
    Examples:
      deskcli ticket cc 42 --add carol --add dept:product
      deskcli ticket cc 42 --remove dept:product
    """
    from deskcli.errors import Invalid
    from deskcli.tickets.changes import cc

    if not add and not remove:
        raise Invalid("nothing to change", "use --add LOGIN|dept:KEY or --remove ...")
    for_each(ticket_ids(ids), lambda i: cc(desk, i, list(add), list(remove)), verb="cc",
             yes=yes, as_json=as_json)


@click.command("contact")
@bulk_options
@click.option("--add", multiple=True, metavar="EMAIL",
              help="Add a contact ('Name <address>' or an address). Repeatable.")
@click.option("--remove", multiple=True, metavar="EMAIL", help="Remove a contact. Repeatable.")
@pass_desk
def contact_cmd(desk, ids, add, remove, as_json, yes):
    """Change the ticket's contacts: customer-side addresses (a parent's spouse, a
    centre's office) that get the customer's copies of replies, resolutions and closings,
    and whose mail about the ticket is filed on it as the customer's. An e-mail's Cc never
    adds one: `ticket show` names such addresses (mail_cc) for you to add. Allowed to
    whoever may change the CC list (the owner, the handler or a manager).

    \b
    Examples:
      deskcli ticket contact 42 --add grandma@example.org
      deskcli ticket contact 42 --add 'Centre office <office@sunshine.example>'
      deskcli ticket contact 42 --remove stranger@elsewhere.example
    """
    from deskcli.errors import Invalid
    from deskcli.tickets.contacts import change

    if not add and not remove:
        raise Invalid("nothing to change", "use --add EMAIL or --remove EMAIL")
    for_each(ticket_ids(ids), lambda i: change(desk, i, list(add), list(remove)),
             verb="contact", yes=yes, as_json=as_json)


@click.command("set")
@bulk_options
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE",
              help="A custom field ('NAME=' clears an optional one). Repeatable.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="The priority.")
@click.option("--title", help="The title.")
@pass_desk
def set_cmd(desk, ids, fields, priority, title, as_json, yes):
    """Change fields, priority or title (the owner or a manager); validated like at open.

    \b
    Examples:
      deskcli ticket set 42 --field app_version=3.2.2 --priority urgent
      deskcli ticket set 42 43 --priority low --yes
    """
    from deskcli.errors import Invalid
    from deskcli.tickets.changes import set_values
    from deskcli.types.fields import parse_assignments

    values = parse_assignments(fields)
    if not values and priority is None and title is None:
        raise Invalid("nothing to change", "use --field NAME=VALUE, --priority or --title")
    for_each(ticket_ids(ids), lambda i: set_values(desk, i, fields=values, priority=priority,
                                                   title=title),
             verb="set", yes=yes, as_json=as_json)


@click.command("check")
@click.argument("ticket_id", type=int)
@click.argument("step")
@click.option("--undo", is_flag=True, help="Untick the step.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def check_cmd(desk, ticket_id, step, undo, as_json):
    """Tick a checklist step, by its number (from 1) or its text.

    \b
    Examples:
      deskcli ticket check 42 1
      deskcli ticket check 42 "Send the contract"
      deskcli ticket check 42 2 --undo
    """
    from deskcli.tickets.changes import check

    _one(desk, ticket_id, lambda i: check(desk, i, step, undo), as_json, "check")


@click.command("attach")
@click.argument("ticket_id", type=int)
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def attach_cmd(desk, ticket_id, files, as_json):
    """Attach files; they are stored inside the desk (size limit: the desk setting
    attachments.max-size, 10M by default).

    \b
    Example:
      deskcli ticket attach 42 screenshot.png crash.log
    """
    from deskcli.tickets.attachments import attach

    _one(desk, ticket_id, lambda i: attach(desk, i, list(files)), as_json, "attach")


@click.command("attachment")
@click.argument("ticket_id", type=int)
@click.argument("name", required=False)
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False),
              help="Write to FILE ('-' for stdout); default: the attachment's name.")
@format_options
@pass_desk
def attachment_cmd(desk, ticket_id, name, target, fmt, as_json):
    """Get an attachment back (or, without NAME, list them). The file is created
    readable by you only (0600) and never through a symbolic link; without -o an
    existing file of that name is left alone (exit 5), with -o FILE it is replaced.

    \b
    Examples:
      deskcli ticket attachment 42
      deskcli ticket attachment 42 screenshot.png -o /tmp/shot.png
      deskcli ticket attachment 42 crash.log -o - | less
    """
    import os
    import sys

    from deskcli.tickets.attachments import attachment

    found = attachment(desk, ticket_id, name)
    if name is None:
        emit_rows(found, ["id", "name", "size", "content_type", "added_by", "added_at"], fmt,
                  as_json)
        return
    real_name, data = found
    if target == "-":
        sys.stdout.buffer.write(data)
        return
    from deskcli.private_file import write_private

    path = target or os.path.basename(real_name)
    write_private(path, data, replace=target is not None,
                  hint="choose where to write it with -o FILE")
    click.echo(path)


@click.command("link")
@click.argument("ticket_id", type=int)
@click.option("--parent", type=int, metavar="ID", help="This ticket is part of ID.")
@click.option("--relates", type=int, metavar="ID", help="This ticket relates to ID.")
@click.option("--unlink", type=int, metavar="ID", help="Remove the link to ID.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def link_cmd(desk, ticket_id, parent, relates, unlink, as_json):
    """Link tickets: a parent (e.g. a centre opening with its sub-tasks), or related.

    \b
    Examples:
      deskcli ticket link 43 --parent 40
      deskcli ticket link 43 --relates 38
      deskcli ticket link 43 --unlink 40
    """
    from deskcli.tickets.links import link

    _one(desk, ticket_id, lambda i: link(desk, i, parent=parent, relates=relates,
                                         unlink=unlink), as_json, "link")


@click.command("merge")
@click.argument("ticket_id", type=int)
@click.option("--into", required=True, type=int, metavar="ID", help="The surviving ticket.")
@click.option("-m", "--message", metavar="TEXT", help="A remark.")
@click.option("--json", "as_json", is_flag=True, help="Print the merged ticket as JSON.")
@pass_desk
def merge_cmd(desk, ticket_id, into, message, as_json):
    """Merge a duplicate into another ticket: it is closed, keeps its history and points
    to the survivor; its CC list is carried over.

    \b
    Example:
      deskcli ticket merge 45 --into 42
    """
    from deskcli.tickets.links import merge

    _one(desk, ticket_id, lambda i: merge(desk, i, into, message), as_json, "merge")


@click.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("ticket_id", type=int)
@click.argument("changes", nargs=-1, required=True, metavar="+TAG|-TAG...")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def tag_cmd(desk, ticket_id, changes, as_json):
    """Add (+tag or tag) and remove (-tag) tags.

    \b
    Examples:
      deskcli ticket tag 42 +vip +ios17
      deskcli ticket tag 42 -- -vip
    """
    from deskcli.tickets.changes import tag

    _one(desk, ticket_id, lambda i: tag(desk, i, list(changes)), as_json, "tag")


@click.command("log")
@click.argument("ticket_id", type=int)
@click.argument("duration")
@click.option("-m", "--message", metavar="TEXT", help="What the time went on.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def log_cmd(desk, ticket_id, duration, message, as_json):
    """Log time worked on a ticket (30m, 1h30m, 2h).

    \b
    Example:
      deskcli ticket log 42 45m -m "Remote session with the centre"
    """
    from deskcli.tickets.changes import log_time

    _one(desk, ticket_id, lambda i: log_time(desk, i, duration, message), as_json, "log")


@click.command("rate")
@click.argument("ticket_id", type=int)
@click.argument("score", type=click.IntRange(1, 5))
@click.option("-m", "--message", metavar="TEXT", help="The customer's comment.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def rate_cmd(desk, ticket_id, score, message, as_json):
    """Record the customer's satisfaction (1-5) once the ticket is resolved. The rating is
    the customer's: the opener (or the system that opened it) or a manager records it.

    \b
    Example:
      deskcli ticket rate 42 5 -m "Fast and friendly"
    """
    from deskcli.tickets.changes import rate

    _one(desk, ticket_id, lambda i: rate(desk, i, score, message), as_json, "rate")
