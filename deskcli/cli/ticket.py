"""`deskcli ticket VERB`: the verbs live in several modules, imported on first use."""

import click

from deskcli.cli import LazyGroup

VERBS = {
    "open": ("deskcli.cli.ticket_open", "open_cmd", "Open a ticket (发起)."),
    "import": ("deskcli.cli.ticket_open", "import_cmd", "Open many tickets from JSON lines."),
    "export": ("deskcli.cli.ticket_open", "export_cmd", "Write tickets as JSON lines."),
    "list": ("deskcli.cli.ticket_view", "list_cmd", "List tickets with filters."),
    "show": ("deskcli.cli.ticket_view", "show_cmd", "Show a ticket with its timeline."),
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
