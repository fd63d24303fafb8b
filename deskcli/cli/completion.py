"""Shell completion from the desk: logins, ticket types, departments, customers, saved
views and ticket ids, besides click's own (commands, options, choices).

Installed only when the shell asks for completions ($_DESKCLI_COMPLETE is set), on each
command as the lazy root group loads it, so ordinary commands pay nothing for it. Which
values an option takes is read from its name and metavar ("--to LOGIN", "--cc
LOGIN|dept:KEY"), so the command modules need not know about completion.
"""


import click
from click.shell_completion import CompletionItem

STATUSES = ("open", "awaiting_approval", "new", "assigned", "in_progress", "waiting",
            "resolved", "closed")
OPTION_KINDS = {"--type": "type", "--types": "type", "--dept": "dept",
                "--customer": "customer", "--view": "view"}
ARGUMENT_KINDS = {("ticket_id", None): "ticket", ("ids", None): "ticket",
                  ("login", "user"): "login", ("key", "type"): "type",
                  ("key", "dept"): "dept", ("key", "customer"): "customer",
                  ("name", "view"): "view"}


def install(command: click.Command, group: str | None = None) -> None:
    """Give `command`'s parameters (and its subcommands', recursively) their completion."""
    for param in command.params:
        if param._custom_shell_complete is None:
            complete = completer(param, group)
            if complete is not None:
                param._custom_shell_complete = complete
    if isinstance(command, click.Group) and not getattr(command, "lazy", None):
        for name, sub in command.commands.items():
            install(sub, name if isinstance(sub, click.Group) else command.name)


def completer(param: click.Parameter, group: str | None):
    if isinstance(param.type, click.Choice | click.Path | click.File):
        return None  # click completes these itself
    if isinstance(param, click.Argument):
        kind = ARGUMENT_KINDS.get((param.name, None)) or ARGUMENT_KINDS.get((param.name,
                                                                            group))
        return from_desk(kind) if kind else None
    names = set(param.opts)
    metavar = (param.metavar or "").upper()
    if "--db" in names:
        return lambda ctx, param, incomplete: [CompletionItem(incomplete, type="file")]
    if "--status" in names:
        return statuses
    if "--as" in names:
        return from_desk("client")  # staff and access clients
    if "LOGIN" in metavar or names & {"--successor"}:
        extra = [word for word in ("@me", "none") if word.upper() in metavar]
        return from_desk("login", extra, depts="DEPT:" in metavar)
    kind = next((OPTION_KINDS[name] for name in param.opts if name in OPTION_KINDS), None)
    if kind and not (kind == "type" and metavar not in ("", "KEY", "TYPE", "KEY[,KEY]")):
        return from_desk(kind)
    return None


def statuses(ctx, param, incomplete: str) -> list[CompletionItem]:
    head, _, last = incomplete.rpartition(",")  # --status new,assi<Tab>
    prefix = head + "," if head else ""
    return [CompletionItem(prefix + status) for status in STATUSES
            if status.startswith(last)]


def desk_path(ctx: click.Context) -> str | None:
    from deskcli.config import resolve_db

    params = ctx.find_root().params
    try:
        return resolve_db(params.get("db"), params.get("desk_name"))
    except Exception:  # noqa: BLE001 - a bad --desk name: offer nothing, never a traceback
        return None


def from_desk(kind: str, extra: list[str] | tuple = (), depts: bool = False):
    def complete(ctx, param, incomplete: str) -> list[CompletionItem]:
        from deskcli.store import exists

        path = desk_path(ctx)
        if not path or not exists(path):
            return []
        from deskcli.store.completion import candidates

        head, _, last = incomplete.rpartition(",") if kind == "type" else ("", "", incomplete)
        prefix = head + "," if head else ""
        items = [CompletionItem(word) for word in extra if word.startswith(last)]
        if depts and last.startswith("dept:"):
            return [CompletionItem("dept:" + key, help=name)
                    for key, name in candidates(path, "dept", last[5:])]
        items += [CompletionItem(prefix + value, help=label)
                  for value, label in candidates(path, kind, last)]
        if depts and "dept:".startswith(last):
            items.append(CompletionItem("dept:", help="a department (its head)"))
        return items

    return complete
