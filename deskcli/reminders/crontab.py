"""The crontab that runs a desk's reminders and delivers its notices (`deskcli remind
crontab`).

Cron starts commands with PATH=/usr/bin:/bin, no DESKCLI_* variables and /bin/sh, so every
line names the deskcli program and the desk by absolute paths (a PostgreSQL desk by its
URL; its password comes from the cron user's ~/.pgpass) and the identity with --as:
it runs exactly as printed, whatever the crontab owner's shell profile says.
"""

import os
import shlex
import sys
from pathlib import Path

from deskcli.desk import Desk
from deskcli.errors import Invalid, NotPermitted


def entry_point() -> list[str]:
    """The command that runs this deskcli, by absolute path: the script being run
    (symlinks resolved, so /usr/local/bin/deskcli -> /opt/deskcli/bin/deskcli names the
    virtual environment's own script), the `deskcli` script next to this Python, or
    `python -m deskcli` with this Python."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name.startswith("deskcli") and script.suffix != ".py":
        found = Path(os.path.realpath(script))
        if found.is_file() and os.access(found, os.X_OK):
            return [str(found)]
    # sys.executable is not resolved: a venv's python is a symlink to the system one,
    # and only the venv's own path finds deskcli's packages
    beside = Path(os.path.abspath(sys.executable)).parent / "deskcli"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [os.path.abspath(sys.executable), "-m", "deskcli"]


def quoted(words: list[str]) -> str:
    """Words as one /bin/sh command line for a crontab: shell-quoted, and '%' (a newline
    in a crontab command) escaped."""
    return " ".join(shlex.quote(word) for word in words).replace("%", "\\%")


def crontab(desk: Desk, *, login: str, log: str | None, mailto: str | None,
            program: list[str] | None = None) -> str:
    """The crontab text: `remind run` and `outbox send` every minute as `login`, with
    their output appended to `log`, or mailed to `mailto` by cron."""
    actor = desk.load_actor(login, "--user")
    missing = [p for p in ("ticket.manage", "outbox.send") if not actor.can(p)]
    if missing:
        raise NotPermitted(
            f"{login} may not run reminders and send notices (the role {actor.role} lacks "
            f"{' and '.join(missing)})",
            "create a cron identity: deskcli role add cron --permissions "
            "outbox.send,ticket.manage; deskcli user add desk-cron --name 'Desk cron' "
            "--role cron; then: deskcli --as desk-cron remind crontab")
    if mailto is not None and any(ch in mailto for ch in "\n\r"):
        raise Invalid("--mailto must be one line", "e.g. --mailto ops@school.example")
    from deskcli.store import is_url

    # a PostgreSQL desk's URL as it is (an absolute path of it would name a file)
    desk_path = desk.store.path if is_url(desk.store.path) else os.path.abspath(desk.store.path)
    base = (program or entry_point()) + ["--db", desk_path, "--as", login]
    tail = f" >>{shlex.quote(os.path.abspath(log))} 2>&1".replace("%", "\\%") if log else ""
    lines = [
        f"# deskcli: reminders and notices for the desk {desk_path}",
        "# (printed by `deskcli remind crontab`; install with `crontab -e`, or as root",
        "# into /etc/cron.d/ with a user column added after the five time fields)",
        "SHELL=/bin/sh",
        "PATH=/usr/bin:/bin",
    ]
    if mailto is not None:
        lines.append(f"MAILTO={mailto}")
    lines += [
        f"* * * * *  {quoted(base + ['remind', 'run'])}{tail}",
        f"* * * * *  {quoted(base + ['outbox', 'send'])}{tail}",
    ]
    return "\n".join(lines) + "\n"
