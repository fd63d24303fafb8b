"""`deskcli ticket VERB`: the verbs live in several modules, imported on first use."""

import click

from deskcli.cli import LazyGroup

VERBS = {
    "open": ("deskcli.cli.ticket_open", "open_cmd", "Open a ticket (发起)."),
    "import": ("deskcli.cli.ticket_open", "import_cmd", "Open many tickets from JSON lines."),
    "export": ("deskcli.cli.ticket_open", "export_cmd", "Write tickets as JSON lines."),
    "list": ("deskcli.cli.ticket_view", "list_cmd", "List tickets with filters."),
    "show": ("deskcli.cli.ticket_view", "show_cmd", "Show a ticket with its timeline."),
    "assign": ("deskcli.cli.ticket_work", "assign_cmd", "Assign or reassign (分配)."),
    "accept": ("deskcli.cli.ticket_work", "accept_cmd", "Accept: become the owner (接单)."),
    "decline": ("deskcli.cli.ticket_work", "decline_cmd", "Decline: back to the queue."),
    "transfer": ("deskcli.cli.ticket_work", "transfer_cmd", "Hand the work on (流转)."),
    "note": ("deskcli.cli.ticket_work", "note_cmd", "Add an internal note (内部回复)."),
    "reply": ("deskcli.cli.ticket_work", "reply_cmd", "Reply to the customer (owner only)."),
    "resolve": ("deskcli.cli.ticket_work", "resolve_cmd", "Resolve with a resolution."),
    "close": ("deskcli.cli.ticket_work", "close_cmd", "Close (关单)."),
    "reopen": ("deskcli.cli.ticket_work", "reopen_cmd", "Reopen a resolved or closed ticket."),
    "nudge": ("deskcli.cli.ticket_work", "nudge_cmd", "Remind whoever must act (催单)."),
    "approve": ("deskcli.cli.ticket_work", "approve_cmd", "Approve: route the ticket."),
    "reject": ("deskcli.cli.ticket_work", "reject_cmd", "Reject: close as rejected."),
    "cc": ("deskcli.cli.ticket_more", "cc_cmd", "Change the CC list (抄送)."),
    "contact": ("deskcli.cli.ticket_more", "contact_cmd",
                "Change the customer-side recipients (contacts)."),
    "set": ("deskcli.cli.ticket_more", "set_cmd", "Change fields, priority or title."),
    "check": ("deskcli.cli.ticket_more", "check_cmd", "Tick a checklist step."),
    "attach": ("deskcli.cli.ticket_more", "attach_cmd", "Attach files."),
    "attachment": ("deskcli.cli.ticket_more", "attachment_cmd", "Get or list attachments."),
    "link": ("deskcli.cli.ticket_more", "link_cmd", "Link to a parent or related ticket."),
    "merge": ("deskcli.cli.ticket_more", "merge_cmd", "Merge a duplicate into another."),
    "tag": ("deskcli.cli.ticket_more", "tag_cmd", "Add and remove tags."),
    "log": ("deskcli.cli.ticket_more", "log_cmd", "Log time worked."),
    "rate": ("deskcli.cli.ticket_more", "rate_cmd", "Record the customer's rating (1-5)."),
    "related": ("deskcli.cli.ticket_related", "related_cmd",
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
