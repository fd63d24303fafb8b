"""The ticket life on the command line: approve, reject, assign, accept, decline, transfer,
note, reply, resolve, close, reopen, nudge. Each takes one or more ids (or - for stdin)."""

import click

from deskcli.cli.common import bulk_options, for_each, long_text, pass_desk, ticket_ids


def text_options(func):
    func = click.option("--body-file", metavar="FILE|-",
                        help="Read the text from a file ('-': stdin).")(func)
    return click.option("-m", "--message", metavar="TEXT", help="The text ('-': stdin).")(func)


@click.command("assign")
@bulk_options
@click.option("--to", "to", required=True, metavar="LOGIN", help="Who must accept it.")
@click.option("-m", "--message", metavar="TEXT", help="A note on why (internal).")
@pass_desk
def assign_cmd(desk, ids, to, message, as_json, yes):
    """Assign (or reassign) tickets: the person named must accept; any owner is cleared.
    Dispatchers (ticket.assign) and the managers of the people on a ticket may assign.

    \b
    Examples:
      deskcli ticket assign 42 --to bob
      deskcli ticket assign 42 43 44 --to carol -m "Bob is on leave" --yes
      deskcli queue list --format plain | cut -f1 | \\
          deskcli ticket assign - --to bob --yes
    """
    from deskcli.tickets.life import assign

    for_each(ticket_ids(ids), lambda i: assign(desk, i, to, message), verb="assign",
             yes=yes, as_json=as_json)


@click.command("accept")
@bulk_options
@pass_desk
def accept_cmd(desk, ids, as_json, yes):
    """Accept tickets (接单): you become owner and handler. Only the assignee may accept
    an assigned ticket; anyone may accept one in the queue. When two people accept at
    once, exactly one wins; the other is told who (exit 5).

    \b
    Examples:
      deskcli ticket accept 42
      deskcli ticket list --assignee @me --status assigned --format plain \\
          | cut -f1 \\
          | deskcli ticket accept - --yes
    """
    from deskcli.tickets.life import accept

    for_each(ticket_ids(ids), lambda i: accept(desk, i), verb="accept", yes=yes,
             as_json=as_json)


@click.command("decline")
@bulk_options
@text_options
@pass_desk
def decline_cmd(desk, ids, message, body_file, as_json, yes):
    """Decline tickets assigned to you, with a reason: they go back to the queue.

    \b
    Example:
      deskcli ticket decline 42 -m "Not my product; this is billing"
    """
    from deskcli.tickets.life import decline

    text = long_text(message, body_file, what="reason")
    for_each(ticket_ids(ids), lambda i: decline(desk, i, text.value), verb="decline", yes=yes,
             as_json=as_json, text=text)


@click.command("transfer")
@bulk_options
@click.option("--to", "to", required=True, metavar="LOGIN|dept:KEY",
              help="The new handler: a colleague, or a department (its head).")
@text_options
@pass_desk
def transfer_cmd(desk, ids, to, message, body_file, as_json, yes):
    """Transfer (流转) the work to a colleague or department; the owner stays the owner
    and the only one who replies to the customer. Transferring to whoever already
    handles the ticket changes nothing; a message given with it is added as an internal
    note (exit 0), so it still reaches them.

    \b
    Examples:
      deskcli ticket transfer 42 --to carol -m "Please check the payment records"
      deskcli ticket transfer 42 --to dept:finance
    """
    from deskcli.tickets.life import transfer

    text = long_text(message, body_file, what="note", required=False)
    for_each(ticket_ids(ids), lambda i: transfer(desk, i, to, text.value), verb="transfer",
             yes=yes, as_json=as_json, text=text)


@click.command("note")
@bulk_options
@text_options
@pass_desk
def note_cmd(desk, ids, message, body_file, as_json, yes):
    """Add an internal note (内部回复): never shown to the customer.

    \b
    Examples:
      deskcli ticket note 42 -m "Called the parent, no answer"
      deskcli ticket note 42 --body-file findings.md
    """
    from deskcli.tickets.life import note

    text = long_text(message, body_file, what="note")
    for_each(ticket_ids(ids), lambda i: note(desk, i, text.value), verb="note", yes=yes,
             as_json=as_json, text=text)


@click.command("reply")
@click.argument("ticket_id", type=int)
@text_options
@click.option("--wait", is_flag=True,
              help="Now waiting on the customer (pauses the resolve clock).")
@click.option("--faq", metavar="KEY",
              help="Insert this FAQ entry's answer (after -m's text, if any) and record "
                   "that it answered the ticket.")
@click.option("--json", "as_json", is_flag=True, help="Print the ticket as JSON.")
@pass_desk
def reply_cmd(desk, ticket_id, message, body_file, wait, faq, as_json):
    """Reply to the customer (回复用户). Only the ticket's owner may; others add a note
    or ask the owner for a transfer. With --faq, the entry's answer is the reply (or
    follows your text) and recommendations learn that it solved this kind of ticket.

    \b
    Examples:
      deskcli ticket reply 42 --wait \\
          -m "Please update the app to 3.2 and try again."
      deskcli ticket reply 42 --body-file answer.md
      deskcli ticket reply 42 --faq faq-002 -m "您好，请按以下步骤操作：" --wait
    """
    from deskcli.tickets.life import reply

    text = long_text(message, body_file, what="reply", required=faq is None)
    for_each([ticket_id], lambda i: reply(desk, i, text.value, wait, faq=faq), verb="reply",
             yes=True, as_json=as_json, text=text)


@click.command("resolve")
@bulk_options
@text_options
@pass_desk
def resolve_cmd(desk, ids, message, body_file, as_json, yes):
    """Resolve tickets with a resolution (the owner only). The checklist must be complete
    and required fields filled in.

    \b
    Example:
      deskcli ticket resolve 42 -m "Fixed in app 3.2.2; the parent confirmed"
    """
    from deskcli.tickets.life import resolve

    text = long_text(message, body_file, what="resolution")
    for_each(ticket_ids(ids), lambda i: resolve(desk, i, text.value), verb="resolve",
             yes=yes, as_json=as_json, text=text)


@click.command("close")
@bulk_options
@click.option("-m", "--message", metavar="TEXT", help="A closing remark (public).")
@pass_desk
def close_cmd(desk, ids, message, as_json, yes):
    """Close tickets (关单): the owner, managers and admins may. Closing a closed ticket
    does nothing and succeeds.

    \b
    Examples:
      deskcli ticket close 42
      deskcli ticket close 4 5 9 --yes -m "Duplicates of #3"
    """
    from deskcli.tickets.life import close

    for_each(ticket_ids(ids), lambda i: close(desk, i, message), verb="close", yes=yes,
             as_json=as_json)


@click.command("reopen")
@bulk_options
@text_options
@pass_desk
def reopen_cmd(desk, ids, message, body_file, as_json, yes):
    """Reopen resolved or closed tickets, with a reason: back to the owner if still
    active, else to the queue. The owner, the opener and managers may.

    \b
    Example:
      deskcli ticket reopen 42 -m "The parent says it crashes again"
    """
    from deskcli.tickets.life import reopen

    text = long_text(message, body_file, what="reason")
    for_each(ticket_ids(ids), lambda i: reopen(desk, i, text.value), verb="reopen", yes=yes,
             as_json=as_json, text=text)


@click.command("nudge")
@bulk_options
@click.option("-m", "--message", metavar="TEXT", help="What to say.")
@pass_desk
def nudge_cmd(desk, ids, message, as_json, yes):
    """Nudge (催单) whoever must act on tickets now; nudges count toward escalation to
    their manager. Anyone involved may nudge.

    \b
    Examples:
      deskcli ticket nudge 42 -m "The centre opens on Monday"
      deskcli ticket list --overdue --format plain | cut -f1 | \\
          deskcli ticket nudge - --yes
    """
    from deskcli.tickets.life import nudge

    for_each(ticket_ids(ids), lambda i: nudge(desk, i, message), verb="nudge", yes=yes,
             as_json=as_json)


@click.command("approve")
@bulk_options
@click.option("-m", "--message", metavar="TEXT", help="A remark.")
@pass_desk
def approve_cmd(desk, ids, message, as_json, yes):
    """Approve tickets waiting for approval: they are routed by their type's rule.

    \b
    Example:
      deskcli ticket approve 42 -m "Budget confirmed"
    """
    from deskcli.tickets.life import approve

    for_each(ticket_ids(ids), lambda i: approve(desk, i, message), verb="approve", yes=yes,
             as_json=as_json)


@click.command("reject")
@bulk_options
@text_options
@pass_desk
def reject_cmd(desk, ids, message, body_file, as_json, yes):
    """Reject tickets waiting for approval, with a reason: they are closed as rejected.

    \b
    Example:
      deskcli ticket reject 42 -m "Not in this quarter's budget"
    """
    from deskcli.tickets.life import reject

    text = long_text(message, body_file, what="reason")
    for_each(ticket_ids(ids), lambda i: reject(desk, i, text.value), verb="reject", yes=yes,
             as_json=as_json, text=text)
