"""Domain errors. Each carries a message that says what went wrong and how to fix it.

The root click group maps them to exit statuses once (see `deskcli.cli`); nothing below
the CLI prints or exits.
"""


class DeskError(Exception):
    """Base of every error a user can cause; `exit_code` is the documented exit status."""

    exit_code = 1
    retry = False  # the command may run again as it is (a PostgreSQL deadlock): deskcli.cli

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class Invalid(DeskError):
    """Bad input: a field value, an option, a file (exit 2)."""

    exit_code = 2


class NotFound(DeskError):
    """A ticket, user, type ... that does not exist (exit 3)."""

    exit_code = 3


class NotPermitted(DeskError):
    """The acting identity may not do this (exit 4)."""

    exit_code = 4


class Conflict(DeskError):
    """The change conflicts with the current state: a transition that is not allowed,
    a duplicate key, a race lost to someone else (exit 5)."""

    exit_code = 5


class Busy(DeskError):
    """The database stayed locked by another process beyond the busy timeout (exit 75)."""

    exit_code = 75


class Damaged(DeskError):
    """The desk file is damaged (malformed pages, or not a desk at all); `deskcli db check`
    lists the damage, and a backup restores it (exit 65)."""

    exit_code = 65


class DiskError(DeskError):
    """The disk holding the desk is full, or failed to read or write (an I/O error); the
    command's change was rolled back, nothing was written (exit 74)."""

    exit_code = 74


class AccessDenied(DeskError):
    """The operating system denied access to the desk: its folder cannot be entered, its
    file cannot be read, or a change was asked of a desk you may only read (file modes, a
    read-only file system). Reading commands work on a desk you may only read (exit 77)."""

    exit_code = 77


class ValidationErrors(Invalid):
    """Several problems found at once (e.g. every bad custom field of a ticket)."""

    def __init__(self, problems: list[str], hint: str | None = None):
        self.problems = problems
        super().__init__("; ".join(problems), hint)
