"""A large import into a new or small SQLite desk without a journal: every page is
written once, to the desk itself, instead of to the WAL first and to the desk again at
the checkpoint (100,000 tickets: the COMMIT's 0.6 s and ~0.5 s of CPU less). Without a
journal SQLite cannot roll back, so a copy of the desk is kept beside it until the
import has committed, and the copy *is* the rollback:

1. the import's connection takes the desk for itself (locking_mode = EXCLUSIVE: from
   its first transaction on, no other process reads or writes the file: readers wait
   their busy timeout and get exit 75, they never see a half import) and folds the WAL
   into the file;
2. the file is copied to DESK.import-copy.part (locked with flock by the import for
   its whole life, synced), renamed DESK.import-copy: from now on the copy says "an
   import is under way, or died";
3. journal_mode = OFF, the import, COMMIT, journal_mode = WAL again, the file synced;
   then the copy is removed: the import is done.

An error, Ctrl-C or a bad line puts the copy back (`restore`). A `kill -9` leaves the
copy: the next deskcli command that opens the desk finds it (`restore_if_left`, one
`stat` per command), takes its flock (a live import holds it: that command gets exit
75), and puts it back before anything else reads the file. Two commands that find it
together restore it once: the second sees, under the lock, that the name no longer
leads to the file it locked. A program reading the file with plain SQLite between such
a kill and the next deskcli command would see the half import: deskcli restores it.
"""

import fcntl
import os
import shutil

from deskcli.errors import Busy

SUFFIX = ".import-copy"
SMALL_BYTES = 64 << 20  # a desk file this small is always copied (a fraction of a second)


def worth_it(path: str, existing: int, expected: int) -> bool:
    """Whether an import of about `expected` tickets into the desk at `path` (holding
    `existing`) goes without a journal: the desk is small, or the import at least
    doubles it (then copying the desk costs less than the journal saves), and the disk
    has room for the copy."""
    size = os.path.getsize(path)
    if size > SMALL_BYTES and expected < existing:
        return False
    return shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free > 2 * size


def restore_if_left(path: str) -> None:
    """On opening a desk file: put back the copy a killed import left (see the module);
    Busy while an import runs on it."""
    copy = path + SUFFIX
    try:
        fd = os.open(copy, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"a ticket import is writing the desk {path}",
                       "try again when it has ended") from None
        try:
            if os.stat(copy).st_ino != os.fstat(fd).st_ino:
                return  # another command restored it meanwhile
        except FileNotFoundError:
            return
        _put_back(path)
    finally:
        os.close(fd)  # (releases the lock)


def _put_back(path: str) -> None:
    """The copy becomes the desk again, in one rename. The WAL and shared-memory files
    go first: a WAL of the imported desk must never be applied to the copy."""
    for extra in ("-wal", "-shm", "-journal"):
        try:
            os.unlink(path + extra)
        except FileNotFoundError:
            pass
    os.replace(path + SUFFIX, path)
    _sync_folder(path)


def _sync_folder(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Copy:
    """The copy of one import (steps 2 and 3 of the module's story)."""

    def __init__(self, path: str):
        self.path, self.fd = path, None

    def make(self) -> None:
        """Copy the desk (its WAL already folded in, the import's lock held), synced,
        under the name that marks the import."""
        part = self.path + SUFFIX + ".part"
        fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with open(self.path, "rb") as source, open(fd, "wb", closefd=False) as target:
                shutil.copyfileobj(source, target, 1 << 20)
            os.fsync(fd)
            os.replace(part, self.path + SUFFIX)
            _sync_folder(self.path)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(part)
            except FileNotFoundError:
                pass
            raise
        self.fd = fd

    def drop(self) -> None:
        """The import committed: sync the desk, then remove the copy (the import is
        done from that moment)."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(self.path + SUFFIX)
        _sync_folder(self.path)
        self._release()

    def restore(self) -> None:
        """The import failed (its connection closed): the copy becomes the desk again."""
        _put_back(self.path)
        self._release()

    def _release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
