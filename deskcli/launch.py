"""The `deskcli` program (console script and `python -m deskcli`): start connecting to a
PostgreSQL desk, then import the command line and run it.

Connecting to PostgreSQL (a new server process, its catalog caches) takes about as long as
importing click and the command's modules does. When the root options, the environment or
the personal config name a PostgreSQL desk, deskcli.store.pg.early connects in a thread
first (and warms the server for the command), so the two overlap on two cores. Nothing is
imported here for a SQLite desk named by --db or $DESKCLI_DB; any error is left for the
command to meet and report as usual.
"""

import os
import sys

ROOT_OPTIONS = ("--db", "--desk", "--as")  # the root options that take a value


def root_options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    """The root options before the command's name ({"--db": PATH, ...}), and the
    arguments after them."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args) and args[i].startswith("--"):
        name, equals, value = args[i].partition("=")
        if name not in ROOT_OPTIONS:
            break
        if not equals:
            if i + 1 >= len(args):
                break
            i += 1
            value = args[i]
        found[name] = value
        i += 1
    return found, args[i:]


def desk_location(args: list[str]) -> str | None:
    """Where the command's desk is, by deskcli.config.resolve_db's precedence; None when
    it cannot be told without the config file's errors."""
    options = root_options(args)[0]
    db = options.get("--db") or (None if "--desk" in options else os.environ.get("DESKCLI_DB"))
    if db:
        return db
    from deskcli.config import resolve_db
    from deskcli.errors import DeskError

    try:
        return resolve_db(None, options.get("--desk"))
    except DeskError:
        return None


def run() -> None:
    """Run the command in sys.argv (see the module's docstring)."""
    args = sys.argv[1:]
    location = desk_location(args)
    if location and location.startswith(("postgresql://", "postgres://")):
        from deskcli.store.pg import early, start_early

        try:
            start_early(location, early.shape(root_options(args)[1]))
        except Exception:  # noqa: BLE001 (a head start only: the store connects as usual
            pass           # and reports what is wrong, e.g. no driver or a bad URL)
    from deskcli.cli import run as run_command

    run_command()
