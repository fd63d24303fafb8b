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


def colour(stream=None) -> bool:
    """Whether to colour text for `stream` (stdout): a terminal, no NO_COLOR
    (https://no-color.org: set and not empty) and TERM not 'dumb'. Every coloured output
    asks here."""
    stream = stream or sys.stdout
    return (stream.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM", "") != "dumb")


def chosen(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt


def whole(fmt: str, as_json: bool) -> bool:
    """Whether the output shows whole tickets (CC, checklist, tags): JSON does, the
    table, plain, CSV and TSV columns do not, so listings skip loading them."""
    return chosen(fmt, as_json) in ("json", "jsonl")


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


# Whether this process has read what the user gave on standard input, or asked the user
# something (an editor, a confirmation): a command that did cannot simply run again
# (deskcli.cli.replayable)
INPUT = {"taken": False}


def took_input() -> None:
    INPUT["taken"] = True


def took_input_from(source) -> None:
    """took_input when `source`, a click.File argument, is standard input ("-")."""
    if getattr(source, "name", "<stdin>") == "<stdin>":
        took_input()


def read_text(message: str | None, body_file: str | None, *, what: str = "text",
              required: bool = False, editor: bool = True) -> str | None:
    """Long text from -m, --body-file FILE|-, or $EDITOR on a terminal."""
    if message is not None and body_file is not None:
        raise Invalid(f"give the {what} with -m or --body-file, not both")
    if message is not None:
        return read_stdin() if message == "-" else message
    if body_file is not None:
        if body_file == "-":
            return read_stdin()
        try:
            with open(body_file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise Invalid(f"cannot read {body_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise Invalid(f"{body_file} is not UTF-8 text") from None
    if required and editor and sys.stdin.isatty() and sys.stdout.isatty():
        took_input()
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


def read_stdin() -> str:
    """All of standard input as text, which must be UTF-8 whatever the locale (text is
    stored as UTF-8; a stray byte would otherwise fail later, or be stored mangled)."""
    took_input()
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    data = buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Invalid(f"standard input is not UTF-8 text: byte {data[exc.start]:#04x} on "
                      f"line {line}",
                      "convert it first, e.g. iconv -f GB18030 -t UTF-8") from None


def desk_option_or_none():
    """The desk if one exists at the resolved path, else None (config commands)."""
    from deskcli.store import is_url

    app = click.get_current_context().obj
    if is_url(app.db_path()):
        from deskcli.errors import NotFound

        try:
            return app.desk()
        except NotFound:  # a database with no desk, as a missing file: personal settings
            return None   # still work, a desk setting says it needs a desk
    try:
        os.stat(app.db_path())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:  # a folder that cannot be entered: the desk says so
        pass
    return app.desk()


class Text:
    """Long text and where it came from (text from $EDITOR is kept as a draft if the
    command then fails, so nothing typed is lost)."""

    def __init__(self, value: str | None, from_editor: bool = False):
        self.value = value
        self.from_editor = from_editor


def long_text(message: str | None, body_file: str | None, *, what: str,
              required: bool = True) -> Text:
    if message is None and body_file is None and required and sys.stdin.isatty() \
            and sys.stdout.isatty():
        return Text(read_text(None, None, what=what, required=True), from_editor=True)
    return Text(read_text(message, body_file, what=what, required=required, editor=False))


def keep_draft(text: Text, label: str) -> str | None:
    """Save editor text that a failed command could not use; returns the file's path."""
    if not text.from_editor or not text.value:
        return None
    from pathlib import Path

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    folder = Path(base) / "deskcli" / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    from deskcli.clock import now

    path = folder / f"{label}-{now().strftime('%Y%m%dT%H%M%S')}.md"
    from deskcli.private_file import write_private

    write_private(str(path), text.value)  # 0600: drafts are notes about customers
    return str(path)


def ticket_ids(values: tuple[str, ...]) -> list[int]:
    """Ticket ids from arguments; '-' reads more ids from stdin (whitespace-separated)."""
    ids: list[int] = []
    for value in values:
        items = read_stdin().split() if value == "-" else [value]
        for item in items:
            item = item.lstrip("#")
            if not item.isdigit():
                raise Invalid(f"{item!r} is not a ticket id", "ticket ids are numbers, e.g. 42")
            ids.append(int(item))
    if not ids:
        raise Invalid("no ticket ids given", "name one or more ids, or - to read them from stdin")
    return list(dict.fromkeys(ids))


def for_each(ids: list[int], action, *, verb: str, yes: bool, as_json: bool,
             text: Text | None = None) -> None:
    """Run `action(id)` for each ticket, each in its own transaction, reporting each:
    stdout gets the ids (or the tickets as JSON), stderr the notes and errors. Three or
    more tickets need confirmation on a terminal, or --yes in a script. Exits with the
    first error's status when any failed."""
    from deskcli.errors import DeskError

    if len(ids) >= 3 and not yes:
        if sys.stdin.isatty() and sys.stderr.isatty():
            took_input()
            click.confirm(f"{verb} {len(ids)} tickets ({', '.join(map(str, ids[:10]))}"
                          f"{' ...' if len(ids) > 10 else ''})?", abort=True, err=True)
        else:
            raise Invalid(f"{verb} {len(ids)} tickets at once needs --yes in a script",
                          "add --yes to confirm the bulk change")
    results, failed = [], 0
    for ticket_id in ids:
        try:
            outcome = action(ticket_id)
        except DeskError as exc:
            if len(ids) == 1:
                draft = keep_draft(text, f"ticket-{ticket_id}-{verb}") if text else None
                if draft:
                    exc.hint = f"{exc.hint or ''}\n  your text was kept in {draft}".strip()
                raise
            failed = failed or exc.exit_code
            output.say(f"#{ticket_id}: Error: {exc.message}")
            continue
        if as_json:
            results.append(outcome.ticket.to_dict())
        if outcome.noop:
            output.say(f"{outcome.noop} (nothing to do)")
        elif outcome.note:
            output.say(outcome.note)
        if not as_json:
            output.write(f"{ticket_id}\n")
    if as_json:
        output.write(output.to_json(results[0] if len(ids) == 1 else results) + "\n")
    if failed:
        if text is not None:
            draft = keep_draft(text, f"tickets-{verb}")
            if draft:
                output.say(f"your text was kept in {draft}")
        sys.exit(failed)


def bulk_options(func):
    func = click.option("--yes", "-y", is_flag=True,
                        help="Do not ask before changing 3 or more tickets.")(func)
    func = click.option("--json", "as_json", is_flag=True,
                        help="Print the resulting ticket(s) as JSON.")(func)
    return click.argument("ids", nargs=-1, required=True, metavar="ID...|-")(func)
