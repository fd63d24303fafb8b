"""The command line: click groups, one module per noun. Commands parse, call a service,
and print through deskcli.output.

Start-up time matters (`ticket show` should cost little more than starting Python), so
command modules are imported only when their command runs: the root group knows each
noun's module and one-line help without importing it.
"""

import gc
import importlib
import os
import sys

from deskcli.cli.fastimport import import_click
from deskcli.errors import DeskError

# Starting a command allocates tens of thousands of objects (click, our modules), and the
# cyclic garbage collector ran about twenty times in each command, 4-7 ms in all. Almost
# nothing deskcli allocates is cyclic (rows, tuples and dicts go by reference counting), so
# the collector runs only after 100,000 new objects: short commands never pay for it, long
# ones (an import, a report) still collect.
gc.set_threshold(100_000, 50, 100)
click = import_click()  # click, without loading `inspect`: see fastimport

# noun -> (module, attribute, one-line help). `deskcli --help` reads the help from here.
COMMANDS = {
    "init": ("deskcli.cli.desk", "init", "Create a desk: schema, first admin, desk name."),
    "demo": ("deskcli.cli.desk", "demo", "Create a demo desk with people, types and tickets."),
    "whoami": ("deskcli.cli.desk", "whoami", "Show who you are acting as, and on which desk."),
    "version": ("deskcli.cli.desk", "version", "Show deskcli's version and the schema version."),
    "config": ("deskcli.cli.desk", "config", "Get and set desk and personal settings."),
    "db": ("deskcli.cli.desk", "db", "Back up, check and migrate the desk file."),
    "completion": ("deskcli.cli.desk", "completion", "Print shell completion code."),
    "man": ("deskcli.cli.manual", "manual", "Show the manual page (or where it is)."),
    "user": ("deskcli.cli.people", "user", "Staff users: add, list, show, update, deactivate."),
    "dept": ("deskcli.cli.people", "dept", "Departments and their heads."),
    "role": ("deskcli.cli.people", "role", "Built-in and custom roles (sets of permissions)."),
    "customer": ("deskcli.cli.customers", "customer", "The people the desk serves."),
    "access": ("deskcli.cli.people", "access", "Access clients: other systems that open "
                                               "tickets."),
    "type": ("deskcli.cli.types", "type_group", "Ticket types: fields, routing, CC, SLA, "
                                                "checklist."),
    "ticket": ("deskcli.cli.ticket", "ticket", "Open, list, show and work tickets."),
    "queue": ("deskcli.cli.views", "queue", "The assignment queue (分配工单)."),
    "cc": ("deskcli.cli.views", "cc_group", "Tickets CC'd to you (抄送我的)."),
    "dashboard": ("deskcli.cli.views", "dashboard", "Your dashboard (我的Dashboard)."),
    "view": ("deskcli.cli.views", "view", "Saved ticket list filters."),
    "faq": ("deskcli.cli.faq", "faq", "The FAQ: search, keyword completion, recommendations."),
    "report": ("deskcli.cli.report", "report", "Reports: summary, sla, agents, fields, trend."),
    "outbox": ("deskcli.cli.outbox", "outbox", "Notices waiting for delivery; send them."),
    "mail": ("deskcli.cli.mail", "mail", "E-mail in: mail ingest (from an MTA pipe)."),
    "remind": ("deskcli.cli.remind", "remind", "Reminders (催单) for cron: remind run."),
    "schedule": ("deskcli.cli.remind", "schedule", "Tickets opened on a schedule."),
    "holiday": ("deskcli.cli.remind", "holiday", "Holidays for business-hours SLAs."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    on_load = None  # called with each command loaded (shell completion installs itself)

    def __init__(self, *args, lazy: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx):
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx, name):
        command = self.commands.get(name)
        if command is None:
            if name not in self.lazy:
                return None
            module, attribute, _ = self.lazy[name]
            command = getattr(importlib.import_module(module), attribute)
            self.commands[name] = command
        if LazyGroup.on_load is not None:
            LazyGroup.on_load(command, name)
        return command

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][2]))
            else:
                command = self.commands[name]
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


# --format values whose output is UTF-8 whatever the locale: data for programs (and HTML,
# which says charset=utf-8); tables and text follow the terminal's encoding instead
UTF8_FORMATS = ("json", "jsonl", "csv", "tsv", "html")


class RootGroup(LazyGroup):
    """Maps domain errors to exit statuses once, for every command; checks that arguments
    are UTF-8 and chooses stdout's encoding before any command runs."""

    def _main_shell_completion(self, ctx_args, prog_name, complete_var=None):
        name = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if os.environ.get(name):  # the shell asks for completions: offer the desk's values
            from deskcli.cli.completion import install

            LazyGroup.on_load = install
            install(self)
        return super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def parse_args(self, ctx, args):
        refuse_undecodable(args)
        choose_stdout(args)
        # help wraps Chinese by display columns (deskcli.cli.helpwidth), loaded only when
        # help may be printed: asked for, or a noun given alone
        if len(args) < 2 or "--help" in args or "-h" in args:
            from deskcli.cli.helpwidth import install

            install(click)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        """Run the command; one that lost a deadlock (or a serialization failure) on
        PostgreSQL runs again, up to RUNS times in all, when that is safe (replayable)."""
        from deskcli.cli.common import INPUT

        args, INPUT["taken"] = command_args(ctx), False  # (a new command, in tests too)
        for runs_left in range(RUNS - 1, -1, -1):
            try:
                return self._invoke_once(ctx)
            except DeskError as exc:
                if not (runs_left and replayable(ctx, exc)):
                    fail(exc)
                ctx.obj.close()  # lost a deadlock: nothing was written, run it again
                command_args(ctx, args)
        return None

    def _invoke_once(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("Interrupted: the change in progress was rolled back.", err=True)
            ctx.exit(130)
        except OSError as exc:
            if os.environ.get("DESKCLI_DEBUG"):
                raise
            if isinstance(exc, BrokenPipeError):
                ctx.exit(0)
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
                       err=True)
            ctx.exit(1)
        except Exception as exc:
            # an SQLite error met outside a transaction (the store translates those inside
            # one): a damaged page read while opening, a full disk while checkpointing
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is None or not isinstance(exc, sqlite3.Error):
                raise
            from deskcli.store import translate

            desk = getattr(ctx.obj, "_desk", None)
            fail(desk.store.error(exc) if desk else translate(exc, str(ctx.obj.db_path())))


RUNS = 3  # runs of a command that keeps losing deadlocks, in all


def command_args(ctx, args: list[str] | None = None) -> list[str]:
    """The command line after the root options, as click's Group.invoke takes it from
    the context (and empties it there); with `args`, put them back for another run."""
    name = "_protected_args" if hasattr(ctx, "_protected_args") else "protected_args"
    if args is None:
        return [*getattr(ctx, name), *ctx.args]
    setattr(ctx, name, args[:1])
    ctx.args = args[1:]
    return args


def replayable(ctx, exc: DeskError) -> bool:
    """Whether a command that failed with `exc` may simply run again: PostgreSQL chose
    its transaction to break a deadlock (or a serialization failure), the command
    committed nothing before, and it took nothing from the user that a second run could
    not take again (standard input read, an editor, a confirmation: common.took_input).
    Otherwise the error is the user's, exit 75, as before."""
    from deskcli.cli.common import INPUT

    desk = getattr(ctx.obj, "_desk", None)
    return bool(exc.retry and desk is not None and not desk.store.commits
                and not INPUT["taken"])


def refuse_undecodable(args: list[str]) -> None:
    """Arguments that are not UTF-8 reach Python as lone surrogates (surrogateescape), which
    SQLite and every output would refuse later with a traceback: refuse them first."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            if os.path.exists(arg):  # a file named in another encoding is still a file
                continue
            try:
                shown = arg.encode("utf-8", "surrogateescape")
            except UnicodeEncodeError:
                shown = arg.encode("utf-8", "backslashreplace")
            from deskcli.errors import Invalid

            fail(Invalid(f"argument {number} is not UTF-8 text: "
                         f"{shown.decode('ascii', 'backslashreplace')}",
                         "deskcli reads and stores UTF-8 only: use a UTF-8 locale, or convert "
                         "the text first (iconv -f GB18030 -t UTF-8)"))


def choose_stdout(args: list[str]) -> None:
    """Machine formats (--json, --format json/jsonl/csv/tsv/html) are written in UTF-8
    whatever the locale, so jq, json.load and spreadsheets read them; tables and text
    follow the terminal's encoding, and a character it cannot show becomes '?' instead of
    ending the command."""
    machine = "--json" in args or any(
        arg == "--format" and args[i + 1:i + 2] and args[i + 1] in UTF8_FORMATS
        or arg.startswith("--format=") and arg[9:] in UTF8_FORMATS
        for i, arg in enumerate(args))
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is None:
        return
    if machine:
        reconfigure(encoding="utf-8", errors="strict")
    else:
        import codecs

        from deskcli.output import unshowable

        codecs.register_error("deskcli-unshowable", unshowable)
        reconfigure(errors="deskcli-unshowable")


def fail(exc: DeskError):
    if os.environ.get("DESKCLI_DEBUG"):
        raise exc
    click.echo(f"Error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"  {exc.hint}", err=True)
    sys.exit(exc.exit_code)


class App:
    """The context object: global options, and the desk opened on first use."""

    def __init__(self, db: str | None, desk: str | None, as_login: str | None):
        self.db_option = db
        self.desk_option = desk
        self.as_login = as_login
        self._desk = None

    def db_path(self):
        from deskcli.config import resolve_db

        return resolve_db(self.db_option, self.desk_option)

    def close(self) -> None:
        if self._desk is not None:
            self._desk.close()
            self._desk = None

    def desk(self):
        if self._desk is None:
            from deskcli.config import resolve_login
            from deskcli.desk import Desk

            login, source = resolve_login(self.as_login)
            self._desk = Desk.open(self.db_path(), login, source)
        return self._desk


@click.group(cls=RootGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h",
                                                                                    "--help"]})
@click.option("--db", metavar="PATH", help="The desk file (overrides --desk and $DESKCLI_DB).")
@click.option("--desk", "desk_name", metavar="NAME",
              help="A named desk: [desks] NAME in the config file, or "
                   "$XDG_DATA_HOME/deskcli/NAME.db.")
@click.option("--as", "as_login", metavar="LOGIN",
              help="Act as this user or access client (overrides $DESKCLI_USER).")
@click.version_option(package_name="deskcli", message="deskcli %(version)s")
@click.pass_context
def main(ctx, db, desk_name, as_login):
    """deskcli: a help desk (工单系统) in the shell.

    Open, accept, transfer, answer and close tickets; every desk is one SQLite file.

    \b
    Start here:
      deskcli demo                       a demo desk to try things on
      deskcli init --admin alice         create your own desk
      deskcli ticket open --type it --title "Printer jammed" -m "Room 3"
      deskcli ticket list --assignee @me
      deskcli COMMAND --help             every command has examples

    \b
    Exit status: 0 ok, 1 error, 2 invalid input, 3 not found, 4 not permitted,
    5 conflict or invalid transition, 65 damaged desk, 74 disk full or I/O error,
    75 try again (desk busy, mail server unreachable), 77 file permission denied.
    """
    ctx.obj = App(db, desk_name, as_login)
    ctx.call_on_close(ctx.obj.close)


def run() -> None:
    """The `deskcli` command (the console script, and `python -m deskcli`): run `main`,
    then leave at once.

    A normal interpreter exit tears every module down and runs a last garbage collection:
    about 20 ms after every command on the benchmark machine, spent freeing memory that
    the operating system takes back anyway. By the time `main` returns, the desk is closed
    (the context's close callback) and our files are closed by their `with` blocks; atexit
    functions still run and stdout and stderr are flushed, so nothing else is lost."""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): print it, status 1, as Python
        print(code, file=sys.stderr)
        code = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away: nothing more to say
            pass
    os._exit(code)
