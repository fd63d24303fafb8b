"""Commands for people: user, dept, role, customer, access."""

import os

import click

from deskcli.cli.common import emit_object, emit_rows, emit_written, format_options, pass_desk
from deskcli.output import say
from deskcli.policy import BUILTIN_ROLES

LARGE_IMPORT_BYTES = 1 << 20  # a customer import from a file this large writes through apsw

ROLE_HELP = f"Role: {', '.join(r for r in BUILTIN_ROLES if r != 'integration')}, or a custom one."


# --- user ---------------------------------------------------------------------------------

@click.group()
def user():
    """Staff users: login, name, e-mail, department, manager, role.

    \b
    Examples:
      deskcli user add bob --name "Bob Li" --email bob@example.com \\
          --dept support \\
          --manager alice --role agent
      deskcli user list --dept support
      deskcli user deactivate bob --to carol
    """


@user.command("add")
@click.argument("login")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", help="E-mail address (for notices).")
@click.option("--dept", metavar="KEY", help="Department key.")
@click.option("--manager", metavar="LOGIN", help="Their manager (for escalation, approval).")
@click.option("--role", default="agent", show_default=True, help=ROLE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
@pass_desk
def user_add(desk, login, name, email, dept, manager, role, as_json):
    """Add a staff user.

    \b
    Examples:
      deskcli user add bob --name "Bob Li" --dept support --manager alice
      deskcli user add carol --name "Carol Zhao" --role manager \\
          --email carol@example.com
    """
    from deskcli.people.staff import user_add as add

    emit_written(add(desk, login, name=name, email=email, dept=dept, manager=manager,
                     role=role), as_json, key="login")


@user.command("list")
@click.option("--dept", metavar="KEY", help="Only this department.")
@click.option("--role", help="Only this role.")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated users.")
@format_options
@pass_desk
def user_list(desk, dept, role, include_inactive, fmt, as_json):
    """List staff users.

    \b
    Examples:
      deskcli user list
      deskcli user list --dept support --format csv
      deskcli user list --all --json
    """
    from deskcli.people.staff import user_list as listing

    rows = listing(desk, dept=dept, role=role, include_inactive=include_inactive)
    emit_rows(rows, ["login", "name", "dept", "manager", "role", "active", "email"], fmt,
              as_json)


@user.command("show")
@click.argument("login")
@format_options
@pass_desk
def user_show(desk, login, fmt, as_json):
    """Show a user, who reports to them, and the customers they follow.

    \b
    Example:
      deskcli user show bob --json
    """
    from deskcli.people.staff import user_show as show

    emit_object(show(desk, login), fmt, as_json)


@user.command("update")
@click.argument("login")
@click.option("--name", help="Full name.")
@click.option("--email", help="E-mail address ('' to clear).")
@click.option("--dept", metavar="KEY", help="Department key ('none' to clear).")
@click.option("--manager", metavar="LOGIN", help="Manager ('none' to clear).")
@click.option("--role", help=ROLE_HELP)
@click.option("--active", "active", flag_value=True, default=None,
              help="Reactivate a deactivated user.")
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
@pass_desk
def user_update(desk, login, name, email, dept, manager, role, active, as_json):
    """Change a user.

    \b
    Examples:
      deskcli user update bob --dept sales --manager dave
      deskcli user update bob --role manager
      deskcli user update bob --active
    """
    from deskcli.people.staff import user_update as update

    emit_written(update(desk, login, name=name, email=email, dept=dept, manager=manager,
                        role=role, active=active), as_json, key="login")


@user.command("deactivate")
@click.argument("login")
@click.option("--to", "successor", metavar="SUCCESSOR",
              help="Hand their open tickets to this colleague (to accept).")
@click.option("--json", "as_json", is_flag=True, help="Print what moved as JSON.")
@pass_desk
def user_deactivate(desk, login, successor, as_json):
    """Deactivate a user who leaves (离职). Their open tickets go to SUCCESSOR (to be
    accepted) or back to the assignment queue; tickets they were handling go back to the
    owner; approvals pass on; a "reassign customers" ticket is opened for their manager
    listing the customers they followed. Nothing is lost: every move is an event.

    \b
    Examples:
      deskcli user deactivate bob --to carol
      deskcli user deactivate sun
    """
    from deskcli.tickets.departure import deactivate

    result = deactivate(desk, login, successor)
    if as_json:
        emit_object(result, "json")
        return
    click.echo(login)
    moved = result["moved"]
    to_heir = f"{len(moved['to_successor'])} tickets to {successor}, " if successor else ""
    say(f"{login} deactivated: {to_heir}{len(moved['to_queue'])} back to the queue, "
        f"{len(moved['to_owner'])} back to their owners, {len(moved['approvals'])} approvals "
        "passed on")
    if result["reassign_ticket"]:
        say(f"  #{result['reassign_ticket']} asks their manager to reassign "
            f"{len(result['customers'])} customers")


# --- dept ---------------------------------------------------------------------------------

@click.group()
def dept():
    """Departments. A CC to a department reaches its head (负责人).

    \b
    Examples:
      deskcli dept add support --name "Customer support" --head alice
      deskcli dept update support --head carol
      deskcli dept list
    """


@dept.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Display name.")
@click.option("--head", metavar="LOGIN", help="The department head.")
@click.option("--json", "as_json", is_flag=True, help="Print the department as JSON.")
@pass_desk
def dept_add(desk, key, name, head, as_json):
    """Add a department.

    \b
    Example:
      deskcli dept add teaching --name "Teaching" --head wang
    """
    from deskcli.people.staff import dept_add as add

    emit_written(add(desk, key, name, head), as_json, key="key")


@dept.command("update")
@click.argument("key")
@click.option("--name", help="Display name.")
@click.option("--head", metavar="LOGIN", help="The department head ('none' to clear).")
@click.option("--json", "as_json", is_flag=True, help="Print the department as JSON.")
@pass_desk
def dept_update(desk, key, name, head, as_json):
    """Change a department's name or head.

    \b
    Example:
      deskcli dept update support --head carol
    """
    from deskcli.people.staff import dept_update as update

    emit_written(update(desk, key, name=name, head=head), as_json, key="key")


@dept.command("list")
@format_options
@pass_desk
def dept_list(desk, fmt, as_json):
    """List departments with their heads and number of active members.

    \b
    Example:
      deskcli dept list --json
    """
    from deskcli.people.staff import dept_list as listing

    emit_rows(listing(desk), ["key", "name", "head", "members"], fmt, as_json)


# --- role ---------------------------------------------------------------------------------

@click.group()
def role():
    """Roles: admin, manager, agent, viewer and integration are built in; an admin may
    define more as named sets of permissions.

    \b
    Examples:
      deskcli role list --permissions
      deskcli role add dispatcher \\
          --permissions ticket.view,ticket.assign,ticket.open
      deskcli role show manager
    """


@role.command("add")
@click.argument("name")
@click.option("--permissions", "-p", multiple=True, required=True,
              help="Permission names, comma-separated or repeated.")
@click.option("--description", help="What the role is for.")
@click.option("--json", "as_json", is_flag=True, help="Print the role as JSON.")
@pass_desk
def role_add(desk, name, permissions, description, as_json):
    """Define a custom role.

    \b
    Example:
      deskcli role add dispatcher -p ticket.view,ticket.open,ticket.assign \\
          --description "Dispatches the assignment queue"
    """
    from deskcli.people.staff import role_add as add

    emit_written(add(desk, name, list(permissions), description), as_json, key="name")


@role.command("list")
@click.option("--permissions", "show_permissions", is_flag=True,
              help="List the permission names instead of the roles.")
@format_options
@pass_desk
def role_list(desk, show_permissions, fmt, as_json):
    """List roles (or, with --permissions, every permission and what it allows).

    \b
    Examples:
      deskcli role list
      deskcli role list --permissions
    """
    from deskcli.people.staff import permission_list
    from deskcli.people.staff import role_list as listing

    if show_permissions:
        emit_rows(permission_list(), ["permission", "allows"], fmt, as_json)
    else:
        emit_rows(listing(desk), ["name", "builtin", "description", "permissions"], fmt,
                  as_json)


@role.command("show")
@click.argument("name")
@format_options
@pass_desk
def role_show(desk, name, fmt, as_json):
    """Show a role's permissions and who has it.

    \b
    Example:
      deskcli role show agent
    """
    from deskcli.people.staff import role_show as show

    emit_object(show(desk, name), fmt, as_json)


# --- customer -----------------------------------------------------------------------------

@click.group()
def customer():
    """Customers: parents, students, centres — the people the desk serves.

    \b
    Examples:
      deskcli customer add C1001 --name "Zhang Wei (parent)" --phone 13800000000 \\
          --consultant bob
      deskcli customer import customers.csv
      deskcli customer update C1001 --consultant carol
    """


def _customer_options(func):
    for option in reversed([
            click.option("--email", help="E-mail address."),
            click.option("--phone", help="Phone number."),
            click.option("--consultant", metavar="LOGIN",
                         help="The consultant (课程顾问) who follows them ('none' to clear)."),
            click.option("--note", help="A free-text note.")]):
        func = option(func)
    return func


@customer.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Name.")
@_customer_options
@click.option("--json", "as_json", is_flag=True, help="Print the customer as JSON.")
@pass_desk
def customer_add(desk, key, name, email, phone, consultant, note, as_json):
    """Add a customer.

    \b
    Example:
      deskcli customer add C1001 --name "Zhang Wei" --email zw@example.com \\
          --consultant bob
    """
    from deskcli.people.customers import customer_add as add

    emit_written(add(desk, key, name=name, email=email, phone=phone, consultant=consultant,
                     note=note), as_json, key="key")


@customer.command("update")
@click.argument("keys", nargs=-1, required=True, metavar="KEY...")
@click.option("--name", help="Name.")
@_customer_options
@click.option("--json", "as_json", is_flag=True, help="Print the customers as JSON.")
@pass_desk
def customer_update(desk, keys, name, email, phone, consultant, note, as_json):
    """Change customers (several keys at once, e.g. to hand them to a new consultant).

    \b
    Examples:
      deskcli customer update C1001 --phone 13900000000
      deskcli customer update C1001 C1002 C1003 --consultant carol
    """
    from deskcli.people.customers import customer_update as update

    results = [update(desk, key, name=name, email=email, phone=phone, consultant=consultant,
                      note=note) for key in keys]
    if as_json:
        emit_object(results if len(results) > 1 else results[0], "json")
    else:
        for result in results:
            click.echo(result["key"])


@customer.command("reassign")
@click.option("--from", "from_login", required=True, metavar="LOGIN",
              help="The consultant whose customers move.")
@click.option("--to", "to_login", required=True, metavar="LOGIN", help="The new consultant.")
@pass_desk
def customer_reassign(desk, from_login, to_login):
    """Give every customer one consultant follows to another (after a departure).
    Prints the keys of the customers moved.

    \b
    Example:
      deskcli customer reassign --from sun --to zhou
    """
    from deskcli.people.customers import customer_reassign as reassign

    for key in reassign(desk, from_login, to_login):
        click.echo(key)


@customer.command("show")
@click.argument("key")
@format_options
@pass_desk
def customer_show(desk, key, fmt, as_json):
    """Show a customer with their open tickets and their latest resolved or closed ones
    (我的提问): status and who is handling each (csv/tsv: the customer only).

    \b
    Examples:
      deskcli customer show C1001
      deskcli customer show C1001 --json | jq '.open_tickets[] | [.id, .status]'
    """
    from deskcli.cli.customer_view import emit_customer
    from deskcli.people.customers import customer_show as show

    emit_customer(show(desk, key), fmt, as_json)


@customer.command("list")
@click.option("--consultant", metavar="LOGIN", help="Only customers this user follows.")
@click.option("--search", "text", help="Match key, name, e-mail or phone.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@format_options
@pass_desk
def customer_list(desk, consultant, text, limit, fmt, as_json):
    """List customers.

    \b
    Examples:
      deskcli customer list --consultant bob
      deskcli customer list --search 138 --format csv
    """
    from deskcli.people.customers import customer_list as listing

    rows = listing(desk, consultant=consultant, text=text, limit=limit)
    emit_rows(rows, ["key", "name", "email", "phone", "consultant"], fmt, as_json)


@customer.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig", errors="surrogateescape"))
@click.option("--format", "fmt", type=click.Choice(["auto", "csv", "json", "jsonl"]),
              default="auto", show_default=True,
              help="Input format (auto: by the file name, else by the first character).")
@click.option("--update", is_flag=True, help="Change customers that already exist.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_desk
def customer_import(desk, source, fmt, update, as_json):
    """Import customers from CSV (header: key,name,email,phone,consultant,note), a JSON
    array, or JSON lines. All or nothing; existing keys are skipped unless --update.

    \b
    Examples:
      deskcli customer import customers.csv
      crm-export | deskcli customer import - --format jsonl --update
    """
    from deskcli.people.customers import customer_import as importer
    from deskcli.records import read_records

    try:
        large = os.fstat(source.fileno()).st_size >= LARGE_IMPORT_BYTES
    except (OSError, ValueError, AttributeError):  # a pipe, or no file behind it
        large = False
    counts = importer(desk, read_records(source, fmt), update=update, large=large)
    if as_json:
        emit_object(counts, "json")
    else:
        click.echo(f"added {counts['added']}, updated {counts['updated']}, "
                   f"skipped {counts['skipped']}")


# --- access -------------------------------------------------------------------------------

@click.group()
def access():
    """Access clients (接入管理): other systems, such as the sales system, allowed to open
    tickets of the types they are granted. They act with --as KEY and see only the
    tickets they opened.

    \b
    Examples:
      deskcli access add sales --name "Sales system" --types renewal,refund
      deskcli --as sales ticket open --type renewal --customer C1001 \\
          --title "Renewal due"
      deskcli access revoke sales
    """


@access.command("add")
@click.argument("key")
@click.option("--name", required=True, help="Display name of the system.")
@click.option("--types", multiple=True, required=True,
              help="Ticket types it may open, comma-separated (replaces earlier grants).")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@pass_desk
def access_add(desk, key, name, types, as_json):
    """Add an access client, or change an existing one's granted types.

    \b
    Example:
      deskcli access add sales --name "Sales system" --types renewal,refund
    """
    from deskcli.people.customers import access_add as add

    emit_written(add(desk, key, name=name, types=list(types)), as_json, key="key")


@access.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked clients.")
@format_options
@pass_desk
def access_list(desk, include_revoked, fmt, as_json):
    """List access clients and their granted types.

    \b
    Example:
      deskcli access list --json
    """
    from deskcli.people.customers import access_list as listing

    emit_rows(listing(desk, include_revoked), ["key", "name", "types", "active"], fmt, as_json)


@access.command("revoke")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the client as JSON.")
@pass_desk
def access_revoke(desk, key, as_json):
    """Revoke an access client (its tickets stay; it can no longer act).

    \b
    Example:
      deskcli access revoke sales
    """
    from deskcli.people.customers import access_revoke as revoke

    emit_written(revoke(desk, key), as_json, key="key")
