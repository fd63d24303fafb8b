"""Commands for customers: the people the desk serves. (Moved out of cli/people.py, which
had grown past 500 lines.)"""

import os

import click

from deskcli.cli.common import (
    emit_object,
    emit_rows,
    emit_written,
    format_options,
    pass_desk,
    took_input_from,
)

LARGE_IMPORT_BYTES = 1 << 20  # a customer import from a file this large writes through apsw


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

    took_input_from(source)

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
