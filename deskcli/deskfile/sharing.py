"""A desk shared by a Unix group, and the checks a sysadmin runs as the user an MTA pipes
mail as (`deskcli mail check`).

SQLite writes three files: the desk, and beside it DESK-wal and DESK-shm, created by
whichever process opens the desk first and removed by the last one to close it. So every
user of a shared desk needs to read and write the desk, and to enter and write its
folder; the -wal and -shm files get the desk's mode, and their group from the folder when
the folder is setgid (otherwise from the creator's primary group, which locks the others
out). Hence the recipe: the desk 0660 in a setgid 2770 folder, both owned by the group.
"""

import grp
import os
import pwd
import stat
from dataclasses import dataclass

from deskcli.errors import Invalid, NotFound

DESK_MODE = 0o660
FOLDER_MODE = 0o2770


def group_id(name: str) -> int:
    """The group's id; refused unless this process may give files to it (root, or a
    member), before anything is created."""
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        raise NotFound(f"no Unix group {name!r}",
                       f"create it first (groupadd {name}), then add the desk's users to it "
                       f"(usermod -aG {name} LOGIN)") from None
    if os.geteuid() != 0 and gid != os.getegid() and gid not in os.getgroups():
        from deskcli.errors import NotPermitted

        raise NotPermitted(f"you are not a member of the group {name}, so you cannot give "
                           "it the desk",
                           f"ask root to add you (usermod -aG {name} YOU; log in again), or "
                           "run init as root")
    return gid


def prepare_folder(path: str, group: str) -> bool:
    """Create the desk's folder for `group` (setgid 2770) when it does not exist; returns
    whether it was created. An existing folder is left as it is (`mail check` reports
    what it lacks)."""
    gid = group_id(group)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(folder):
        return False
    os.makedirs(folder, exist_ok=True)
    os.chown(folder, -1, gid)
    os.chmod(folder, FOLDER_MODE)  # after chown: chown clears the setgid bit
    return True


def share(path: str, group: str) -> None:
    """Give the desk file (and its -wal and -shm, when open) to `group`, mode 0660."""
    gid = group_id(group)
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name):
            os.chown(name, -1, gid)
            os.chmod(name, DESK_MODE)


def folder_warning(path: str, group: str) -> str | None:
    """What an existing folder lacks for a desk shared by `group`, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    info = os.stat(folder)
    if info.st_gid == group_id(group) and info.st_mode & stat.S_ISGID:
        return None
    return (f"the folder {folder} is not a setgid folder of the group {group}: the desk's "
            f"-wal and -shm files may get another group; fix: chgrp {group} {folder} && "
            f"chmod 2770 {folder}")


def check_group(group: str | None, path: str = "") -> None:
    if group is not None and not group.strip():
        raise Invalid("--group needs a group name", "e.g. --group desk")
    from deskcli.store import is_url

    if group is not None and is_url(path):  # (its folders would be made of the URL)
        raise Invalid("--group shares a desk file with a Unix group; a PostgreSQL desk is "
                      "shared by the server", "leave --group out, and give each user a "
                      "role that may use the database (see \"Team server\" in the README)")


# --- mail check ---------------------------------------------------------------------------

@dataclass
class Check:
    """One line of `mail check`: state is ok, warn (works, but fragile) or fail."""

    state: str
    what: str
    detail: str
    fix: str = ""

    def to_dict(self) -> dict:
        return {"state": self.state, "check": self.what, "detail": self.detail,
                "fix": self.fix or None}


def verdict(good: bool, bad: str = "fail") -> str:
    """ok when good, else `bad` (fail or warn)."""
    return "ok" if good else bad


def you() -> str:
    """This process's user and groups, as a sysadmin reads them."""
    uid, gid = os.geteuid(), os.getegid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    names = []
    for number in dict.fromkeys([gid, *os.getgroups()]):
        try:
            names.append(grp.getgrgid(number).gr_name)
        except KeyError:
            names.append(str(number))
    return f"{user} (groups {','.join(names)})"


def _owner(path: str) -> str:
    info = os.stat(path)
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return f"{stat.filemode(info.st_mode)} {user}:{group}"


def file_checks(path: str) -> list[Check]:
    """Can this process enter the desk's folder, and read and write the desk and its
    -wal and -shm? Stops at the first missing piece (the rest cannot be checked)."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    me = you()
    checks = []
    if not os.path.isdir(folder):
        return [Check("fail", "folder", f"{folder} does not exist",
                      "create the desk there: deskcli --db PATH init --admin LOGIN "
                      "--group GROUP")]
    if not os.access(folder, os.X_OK):
        return [Check("fail", "folder", f"{me} cannot enter {folder} ({_owner(folder)})",
                      f"add the user to the folder's group, or: chmod g+x {folder}")]
    writable = os.access(folder, os.W_OK)
    setgid = bool(os.stat(folder).st_mode & stat.S_ISGID)
    checks.append(Check(verdict(writable), "folder",
                        f"{folder} ({_owner(folder)}): {me} can enter it"
                        + (" and create the desk's -wal and -shm files there" if writable
                           else " but cannot create files in it (SQLite's -wal and -shm)"),
                        "" if writable else f"chmod 2770 {folder} (and its group: the "
                                            "desk's users)"))
    if not os.path.exists(path):
        checks.append(Check("fail", "desk", f"no desk at {path}",
                            "create one: deskcli --db PATH init --admin LOGIN --group GROUP"))
        return checks
    for name, label in ((path, "desk"), (path + "-wal", "desk-wal"),
                        (path + "-shm", "desk-shm")):
        if not os.path.exists(name):
            shared = bool(os.stat(path).st_mode & 0o060)
            created = ("the desk's owner alone uses it" if not shared else
                       "setgid folder: it will get the folder's group" if setgid else
                       "not a setgid folder: it will get the group of whoever opens the "
                       "desk first")
            checks.append(Check(verdict(setgid or not shared, "warn"), label,
                                f"{name} is not there now (created on use; {created})",
                                "" if setgid or not shared else f"chmod g+s {folder}"))
            continue
        can = os.access(name, os.R_OK | os.W_OK)
        checks.append(Check(verdict(can), label, f"{name} ({_owner(name)}): {me} "
                            + ("can read and write it" if can else "cannot read and write it"),
                            "" if can else f"chgrp GROUP {name} && chmod 660 {name} (GROUP: "
                                           "a group of this user)"))
    return checks
