"""Looking after the desk file: backup and integrity checks."""

from pathlib import Path

from deskcli.desk import Desk
from deskcli.errors import Conflict
from deskcli.policy import require
from deskcli.store import maintenance as ms


def backup(desk: Desk, target: Path) -> Path:
    """A consistent copy of the desk at `target` (refuses to overwrite)."""
    require(desk.actor, "desk.configure", "back up the desk")
    if target.exists():
        raise Conflict(f"{target} already exists", "choose a new file name for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    ms.backup(desk.store, target)
    return target


def check(desk: Desk) -> list[str]:
    """Problems found in the file (empty when healthy)."""
    require(desk.actor, "ticket.view", "check the desk")
    return ms.check(desk.store)
