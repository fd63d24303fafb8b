"""`deskcli ticket VERB`: the verbs live in several modules, imported on first use."""

import click

from deskcli.cli import LazyGroup

VERBS = {
    "open": ("deskcli.cli.ticket.opening", "open_cmd", "Open a ticket (发起)."),
    "import": ("deskcli.cli.ticket.opening", "import_cmd", "Open many tickets from JSON lines."),
    "export": ("deskcli.cli.ticket.opening", "export_cmd", "Write tickets as JSON lines."),
    "list": ("deskcli.cli.ticket.view", "list_cmd", "List tickets with filters."),
    "show": ("deskcli.cli.ticket.view", "show_cmd", "Show a ticket with its timeline."),
    "assign": ("deskcli.cli.ticket.life", "assign_cmd", "Assign or reassign (分配)."),
    "accept": ("deskcli.cli.ticket.life", "accept_cmd", "Accept: become the owner (接单)."),
    "decline": ("deskcli.cli.ticket.life", "decline_cmd", "Decline: back to the queue."),
    "transfer": ("deskcli.cli.ticket.life", "transfer_cmd", "Hand the work on (流转)."),
    "note": ("deskcli.cli.ticket.life", "note_cmd", "Add an internal note (内部回复)."),
    "reply": ("deskcli.cli.ticket.life", "reply_cmd", "Reply to the customer (owner only)."),
    "resolve": ("deskcli.cli.ticket.life", "resolve_cmd", "Resolve with a resolution."),
    "close": ("deskcli.cli.ticket.life", "close_cmd", "Close (关单)."),
    "reopen": ("deskcli.cli.ticket.life", "reopen_cmd", "Reopen a resolved or closed ticket."),
    "nudge": ("deskcli.cli.ticket.life", "nudge_cmd", "Remind whoever must act (催单)."),
    "approve": ("deskcli.cli.ticket.life", "approve_cmd", "Approve: route the ticket."),
    "reject": ("deskcli.cli.ticket.life", "reject_cmd", "Reject: close as rejected."),
    "cc": ("deskcli.cli.ticket.changes", "cc_cmd", "Change the CC list (抄送)."),
    "contact": ("deskcli.cli.ticket.changes", "contact_cmd",
                "Change the customer-side recipients (contacts)."),
    "set": ("deskcli.cli.ticket.changes", "set_cmd", "Change fields, priority or title."),
    "check": ("deskcli.cli.ticket.changes", "check_cmd", "Tick a checklist step."),
    "attach": ("deskcli.cli.ticket.changes", "attach_cmd", "Attach files."),
    "attachment": ("deskcli.cli.ticket.changes", "attachment_cmd", "Get or list attachments."),
    "link": ("deskcli.cli.ticket.changes", "link_cmd", "Link to a parent or related ticket."),
    "merge": ("deskcli.cli.ticket.changes", "merge_cmd", "Merge a duplicate into another."),
    "tag": ("deskcli.cli.ticket.changes", "tag_cmd", "Add and remove tags."),
    "log": ("deskcli.cli.ticket.changes", "log_cmd", "Log time worked."),
    "rate": ("deskcli.cli.ticket.changes", "rate_cmd", "Record the customer's rating (1-5)."),
    "related": ("deskcli.cli.ticket.related", "related_cmd",
                "FAQ entries and similar solved tickets."),
}


@click.group(cls=LazyGroup, lazy=VERBS)
def ticket():
    """Tickets (工单): open, list, show, and work them through their life.

    \b
    Examples:
      deskcli ticket open --type app-crash --title "App closes at login" \\
          --customer C1001 --field phone_model="iPhone 15" --source phone
      deskcli ticket list --status open --assignee @me
      deskcli ticket show 42
    """
