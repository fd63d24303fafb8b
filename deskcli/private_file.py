"""Files with personal data (exports, reports, attachments) written for their owner only.

Like the desk and its backups, they are created 0600 whatever the umask, and never through
a symbolic link: a link planted where the file goes (even a dangling one) would send the
data wherever it points. What happens when the file exists:

- `replace=True` (an explicit -o FILE): a regular file is replaced as a whole. The data is
  written to a new 0600 file in the same folder and renamed over it, so a reader never
  sees half a file and a failed command leaves the old one as it was.
- `replace=False` (a name deskcli chose, as `ticket attachment` without -o): refused
  (Conflict, exit 5); the new file is created with O_CREAT|O_EXCL|O_NOFOLLOW.
- a symbolic link to a device or a pipe (/dev/stdout, a shell's >(...)) is written to, as
  nothing is created; a link to anything else, or to nothing, is refused (exit 5).
"""

import contextlib
import os
import stat

from deskcli.errors import Conflict, Invalid

CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


@contextlib.contextmanager
def private_file(path: str, *, binary: bool = False, replace: bool = True,
                 hint: str = "name another file with -o FILE"):
    """Open `path` for writing (text in UTF-8, or bytes); see the module's docstring."""
    path = os.path.expanduser(path)
    try:
        with _opened(path, replace, hint) as (fd, done):
            with os.fdopen(fd, "wb" if binary else "w",
                           **({} if binary else {"encoding": "utf-8"})) as handle:
                yield handle
            done()
    except OSError as exc:
        raise Invalid(f"cannot write {path}: {exc.strerror or exc}",
                      "check the folder exists and that you may write there") from None


def write_private(path: str, data: bytes | str, **kwargs) -> None:
    with private_file(path, binary=isinstance(data, bytes), **kwargs) as handle:
        handle.write(data)


@contextlib.contextmanager
def _opened(path: str, replace: bool, hint: str):
    """Yields (file descriptor, a function that finishes the write once all is written)."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISLNK(found.st_mode):
        try:
            points_to = os.stat(path)
        except OSError:
            points_to = None
        if points_to is None or stat.S_ISREG(points_to.st_mode) or \
                stat.S_ISDIR(points_to.st_mode):
            raise Conflict(f"{path} is a symbolic link"
                           + ("" if points_to else " to nothing (a dangling link)")
                           + "; deskcli does not write files through links",
                           f"remove the link, or {hint}")
        yield os.open(path, os.O_WRONLY), lambda: None  # a device or a pipe: nothing made
        return
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise Invalid(f"{path} is a folder", hint)
    if found is not None and not stat.S_ISREG(found.st_mode):
        yield os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)), lambda: None
        return
    if found is not None and not replace:
        raise Conflict(f"{path} already exists", hint)
    if found is None and not replace:
        fd = _create(path)
        try:
            yield fd, lambda: None
        except BaseException:
            os.unlink(path)  # nothing half-written is left behind
            raise
        return
    import secrets

    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
    fd = _create(temporary, path)
    try:
        yield fd, lambda: os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _create(path: str, shown: str | None = None) -> int:
    try:
        return os.open(path, CREATE, 0o600)
    except FileExistsError:  # appeared since we looked: a file, or a link planted there
        raise Conflict(f"{shown or path} appeared while deskcli was writing it",
                       "look at what is there, and run the command again") from None
