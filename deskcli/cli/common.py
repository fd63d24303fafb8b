"""Pieces every command module shares: the desk handle, output options, long text."""

import functools
import os
import sys

import click

from deskcli import output
from deskcli.errors import Invalid


def pass_desk(func):
    """Give the command the open Desk (acting identity resolved) as first argument."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(click.get_current_context().obj.desk(), *args, **kwargs)

    return wrapper


def format_options(func):
    """--format and --json, for listings and objects."""
    func = click.option("--json", "as_json", is_flag=True,
                        help="Shorthand for --format json.")(func)
    func = click.option("--format", "fmt", type=click.Choice(output.FORMATS),
                        default="table", show_default=True,
                        help="Output format (json/jsonl are the stable machine contract).")(func)
    return func


def json_option(func):
    """--json for write commands: print the object instead of its id."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the resulting object as JSON instead of its id.")(func)


def chosen(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt


def emit_rows(rows: list[dict], columns: list[str], fmt: str, as_json: bool = False,
              headers: dict | None = None) -> None:
    output.write(output.render_rows(rows, columns, chosen(fmt, as_json), headers))


def emit_object(obj: dict, fmt: str = "table", as_json: bool = False, human=None) -> None:
    output.write(output.render_object(obj, chosen(fmt, as_json), human))


def emit_written(obj: dict, as_json: bool, key: str = "id", message: str | None = None):
    """Write commands print the affected id (or key) on stdout, the object with --json;
    `message` goes to stderr for people."""
    if as_json:
        output.write(output.to_json(obj) + "\n")
    else:
        output.write(f"{obj[key]}\n")
    if message:
        output.say(message)


def read_text(message: str | None, body_file: str | None, *, what: str = "text",
              required: bool = False, editor: bool = True) -> str | None:
    """Long text from -m, --body-file FILE|-, or $EDITOR on a terminal."""
    if message is not None and body_file is not None:
        raise Invalid(f"give the {what} with -m or --body-file, not both")
    if message is not None:
        return sys.stdin.read() if message == "-" else message
    if body_file is not None:
        if body_file == "-":
            return sys.stdin.read()
        try:
            with open(body_file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise Invalid(f"cannot read {body_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise Invalid(f"{body_file} is not UTF-8 text") from None
    if required and editor and sys.stdin.isatty() and sys.stdout.isatty():
        text = click.edit(f"\n# Write the {what} above. Lines starting with # are ignored.\n",
                          extension=".md", require_save=True)
        if text is not None:
            text = "\n".join(line for line in text.splitlines()
                             if not line.startswith("#")).strip()
            if text:
                return text
    if required:
        raise Invalid(f"the {what} is missing",
                      "pass -m TEXT, --body-file FILE (or - for stdin), or run on a terminal "
                      "with $EDITOR set")
    return None


def desk_option_or_none():
    """The desk if one exists at the resolved path, else None (config commands)."""
    app = click.get_current_context().obj
    if not app.db_path().exists():
        return None
    return app.desk()


def is_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
