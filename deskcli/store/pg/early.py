"""Connecting to a PostgreSQL desk, and warming the server for the command, while Python
is still starting it.

A command on a PostgreSQL desk meets a new server process. Starting it takes a few
milliseconds, and its first statements are slow: the process loads, one by one, the
catalog entries of every table, index, statistic, operator and function they use (the
reads of `ticket show` take 12.5 ms in a new process and 4 ms in a warm one). deskcli,
meanwhile, spends about 20 ms importing click and the command's modules.

So deskcli.launch calls `start` as soon as the root options, the environment or the
config name a PostgreSQL desk. A thread connects and then runs the reads that the same
command (its noun, verb and option names: the "shape") sent last time, every value
replaced by a stand-in of its type (0, ''), in one read-only transaction that it rolls
back: the server plans and runs them as it will the real ones, loading the same entries,
and a stand-in matches next to nothing. All of it is one message, so the thread needs the
GIL only twice; the server works on the other core while Python imports. `take` waits
for the thread and hands the connection to the store; a connection error is kept and
raised by `take`, where the store would have met it.

What is warmed is learned: the store's connection notes the SELECTs it sends, their values
already replaced by stand-ins (connection.shaped_read: no value of the desk is ever
written), and `remember` keeps the first READS_KEPT of them in $XDG_CACHE_HOME/deskcli/
warm/ (a file per desk and shape, 0600, under a header of checksums) when they differ from
what was warmed. A statement that could lock, take the desk's lock or change anything is
never run (UNSAFE, and the transaction is read-only); each stops after WARM_TIMEOUT_MS;
and nothing of the warm-up is left in the session. A missing, stale or damaged file only
means a colder start. Measured at 1M tickets: `ticket show` 68 -> 55 ms (bench/README.md).
"""

import os
import re
import sys
import threading

WARM_TIMEOUT_MS = 50
SWITCH_S = 0.0005  # the GIL's switch interval while the thread works (Python's: 5 ms)
UNSAFE = re.compile(r"\b(pg_advisory\w*|nextval|setval|set_config|pg_notify|pg_sleep|lo_\w+"
                    r"|FOR\s+(UPDATE|SHARE|NO\s+KEY|KEY))\b|\b(INSERT|UPDATE|DELETE)\s", re.I)
SEPARATOR = "\0"  # between statements in a warm file (never in SQL text)

_pending: dict | None = None  # what start began, until take
_taken: dict | None = None  # what take handed over, until remember


def shape(args: list[str]) -> str:
    """The command's shape: its words before the first value, and its option names (not
    their values): `ticket list --assignee @me --limit 50` -> ticket list --assignee
    --limit."""
    words: list[str] = []
    options: set[str] = set()
    for arg in args:
        if arg.startswith("-"):
            options.add(arg.split("=", 1)[0])
        elif not options and len(words) < 2 and not arg[:1].isdigit():
            words.append(arg)
    return " ".join([*words, *sorted(options)])


def warm_file(url: str, command: str) -> tuple[str, str]:
    """The warm file of a desk and shape, and the header that proves a file is theirs
    (two checksums: the file holds nothing the user typed)."""
    import zlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = f"{url}\n{command}".encode("utf-8", "backslashreplace")  # (argv may hold
    # bytes that are not UTF-8: the command refuses them, this must not fail first)
    header = f"deskcli warm-up 1 {zlib.crc32(key):08x}{zlib.adler32(key):08x}"
    return os.path.join(base, "deskcli", "warm", f"{zlib.crc32(key):08x}.sql"), header


def load(path: str, header: str) -> list[str]:
    """The statements of a warm file written for `header` ([] when there is none)."""
    try:
        with open(path, encoding="utf-8") as handle:
            parts = handle.read().split(SEPARATOR)
    except (OSError, UnicodeError):
        return []
    return parts[1:] if parts[0] == header else []


def warm(raw, reads: list[str]) -> None:
    """Run the reads, their values replaced by stand-ins, in a read-only transaction
    rolled back (see the module's docstring). All in one message: between two round trips
    this thread would wait for the GIL, which the main thread holds while it imports."""
    import psycopg2

    batch = ["BEGIN READ ONLY", f"SET LOCAL statement_timeout = {WARM_TIMEOUT_MS}",
             "SET LOCAL jit = off",  # (as connection.py's BEGIN sets it)
             *(text for text in reads if text.lstrip()[:4] in ("SELE", "WITH")
               and not UNSAFE.search(text)),
             "ROLLBACK"]
    with raw.cursor() as cursor:
        try:
            cursor.execute(";\n".join(batch))
        except psycopg2.Error:  # (a read too slow without its values: the rest waits)
            cursor.execute("ROLLBACK")


def start(url: str, command: str, connect, timeout_ms: int) -> None:
    """Connect to `url` in a thread with `connect(url, timeout_ms)` (deskcli.store.pg's,
    given by its start_early: this module imports nothing of deskcli) and warm the server
    for `command` (a shape)."""
    global _pending
    path, header = warm_file(url, command)
    reads = load(path, header)
    job = {"url": url, "timeout": timeout_ms, "path": path, "header": header,
           "reads": reads, "switch": sys.getswitchinterval()}

    def work():
        try:
            job["raw"] = connect(url, timeout_ms)
        except BaseException as exc:  # noqa: BLE001 (take raises it)
            job["error"] = exc
            return
        try:
            if reads:
                warm(job["raw"], reads)
        except Exception:  # noqa: BLE001 (a broken warm-up: a fresh connection instead)
            job["raw"].close()
            del job["raw"]

    job["thread"] = threading.Thread(target=work, name="deskcli-connect", daemon=True)
    sys.setswitchinterval(SWITCH_S)
    job["thread"].start()
    _pending = job


def take(url: str, timeout_ms: int):
    """The connection `start` made to `url` (the warm-up stopped), or None when it made
    none to that URL with that timeout."""
    global _pending, _taken
    job, _pending = _pending, None
    if job is None:
        return None
    job["thread"].join()
    sys.setswitchinterval(job["switch"])
    if (job["url"], job["timeout"]) != (url, timeout_ms):
        if "raw" in job:
            job["raw"].close()
        return None
    if "error" in job:
        raise job["error"]
    if "raw" not in job:
        return None
    _taken = job
    return job["raw"]


def remember(reads: list[str]) -> None:
    """Keep the reads the command sent for the next command of its shape (when they
    differ from what was warmed)."""
    global _taken
    job, _taken = _taken, None
    if job is None or not reads or reads == job["reads"]:
        return
    path = job["path"]
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        temporary = f"{path}.{os.getpid()}"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(handle, "w", encoding="utf-8") as out:
            out.write(SEPARATOR.join([job["header"], *reads]))
        os.replace(temporary, path)
    except OSError:
        pass  # (no cache folder: the next command starts colder, nothing else)
