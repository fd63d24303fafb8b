"""Faults a desk meets in real life: a full disk, a read-only file or folder, a folder the
user cannot enter, a damaged page, a lock held past the busy timeout. Each ends in one
message and a documented exit status, never a traceback, and writes nothing.

Permission cases run in a forked child that drops to the unprivileged user `nobody` (root,
which runs CI here, ignores file modes); they are skipped, saying so, when the tests do not
run as root. The full disk is a real tmpfs where the test may mount one, and SQLite's
max_page_count (a real SQLITE_FULL from a real SQLite) everywhere.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import traceback

import pytest

import deskcli.store.faults
from tests.conftest import copy_desk, db_count, is_pg, ok, run

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to test as `nobody` "
                                "(root ignores file modes, so the test drops to nobody)")


def counts(path) -> tuple[int, ...]:
    return tuple(db_count(path, table) for table in ("tickets", "events", "customers"))


def no_traceback(result):
    assert "Traceback" not in result.err + result.out, result


# --- running as nobody -------------------------------------------------------------------

def as_nobody(*args, db, warm_db, warm_args=None) -> tuple[int, str, str]:
    """Run `deskcli ARGS` on `db` as the user nobody, in a forked child. The child first
    runs the same command (or `warm_args`) as root on `warm_db` (a writable copy), so that
    every module the command imports lazily is loaded: nobody may not read this Python's
    own library."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.close(read)
            run(*(warm_args or args), env={"DESKCLI_DB": str(warm_db)})
            import urllib.parse  # noqa: F401 - the read-only open quotes the path with it

            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result = run(*args, env={"DESKCLI_DB": str(db)})
            payload = [result.code, result.out, result.err]
        except BaseException:
            payload = [-1, "", traceback.format_exc()]
        os.write(write, json.dumps(payload).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data))


@pytest.fixture
def shared(seeded_desk, tmp_path):
    """A folder under /tmp (pytest's own is root's alone) owned by nobody, holding a copy
    of the seeded desk that nobody owns; yields (desk, writable copy for warming up)."""
    base = tempfile.mkdtemp(prefix="deskcli-faults-")
    os.chmod(base, 0o755)
    folder = os.path.join(base, "desks")
    os.mkdir(folder)
    desk = copy_desk(seeded_desk, os.path.join(folder, "desk.db"))
    os.chown(folder, NOBODY, NOBODY)
    os.chown(desk, NOBODY, NOBODY)
    os.chmod(desk, 0o644)
    try:
        yield desk, seeded_desk
    finally:
        shutil.rmtree(base)


@pytest.mark.sqlite_only(reason="file and folder modes of the desk file, its -wal and "
                                "-shm: a PostgreSQL desk's access is its server's roles")
@needs_root
def test_a_read_only_desk_file_can_be_read_but_not_changed(shared):
    desk, warm = shared
    os.chmod(desk, 0o444)
    code, out, err = as_nobody("ticket", "list", "--json", db=desk, warm_db=warm)
    assert code == 0, err
    assert json.loads(out) == []
    before = counts(desk)
    code, out, err = as_nobody("customer", "add", "C9", "--name", "New", db=desk, warm_db=warm)
    assert code == 77, err
    assert "read-only for you" in err and "not writable for you" in err
    assert "Traceback" not in err and err.count("\n") <= 2
    assert counts(desk) == before
    # a reader leaves no -wal/-shm behind (a read-only -shm would lock the owner out)
    assert sorted(os.listdir(os.path.dirname(desk))) == ["desk.db"]
    code, out, err = as_nobody("db", "check", db=desk, warm_db=warm)
    assert (code, out) == (0, "ok\n"), err
    code, out, err = as_nobody("db", "backup", os.path.dirname(os.path.dirname(desk)) + "/b.db",
                               db=desk, warm_db=warm,
                               warm_args=("db", "backup", f"{warm}.warm-copy"))
    assert code == 77 and "cannot write the backup" in err, err


@pytest.mark.sqlite_only(reason="file and folder modes of the desk file, its -wal and "
                                "-shm: a PostgreSQL desk's access is its server's roles")
@needs_root
def test_a_desk_in_a_read_only_folder_can_be_read(shared):
    desk, warm = shared
    folder = os.path.dirname(desk)
    os.chmod(folder, 0o555)
    code, out, err = as_nobody("customer", "show", "C1", "--json", db=desk, warm_db=warm)
    assert code == 0, err
    assert json.loads(out)["name"] == "Zhang Wei"
    code, out, err = as_nobody("customer", "update", "C1", "--name", "X", db=desk,
                               warm_db=warm)
    assert code == 77, err
    assert f"its folder {folder} is not writable" in err


@pytest.mark.sqlite_only(reason="a change held in SQLite's -wal file, not yet checkpointed")
@needs_root
def test_a_reader_sees_what_a_writer_has_committed_but_not_checkpointed(shared):
    desk, warm = shared
    writer = sqlite3.connect(desk)  # root, keeping the desk open: its -wal holds the change
    try:
        writer.execute("UPDATE customers SET name = 'In the WAL' WHERE key = 'C1'")
        writer.commit()
        os.chmod(desk, 0o444)
        code, out, err = as_nobody("customer", "show", "C1", "--json", db=desk, warm_db=warm)
    finally:
        writer.close()
    assert code == 0, err
    assert json.loads(out)["name"] == "In the WAL"


@pytest.mark.sqlite_only(reason="file and folder modes of the desk file, its -wal and "
                                "-shm: a PostgreSQL desk's access is its server's roles")
@needs_root
def test_a_folder_that_cannot_be_entered_says_permission_denied(shared):
    desk, warm = shared
    folder = os.path.dirname(desk)
    os.chown(folder, 0, 0)
    os.chmod(folder, 0o700)
    code, out, err = as_nobody("ticket", "list", db=desk, warm_db=warm)
    assert code == 77, err
    assert f"permission denied: you cannot enter the folder {folder}" in err
    assert "deskcli init" not in err


@pytest.mark.sqlite_only(reason="file and folder modes of the desk file, its -wal and "
                                "-shm: a PostgreSQL desk's access is its server's roles")
@needs_root
def test_a_desk_file_that_cannot_be_read_says_permission_denied(shared):
    desk, warm = shared
    os.chown(desk, 0, 0)
    os.chmod(desk, 0o600)
    code, out, err = as_nobody("ticket", "list", db=desk, warm_db=warm)
    assert code == 77, err
    assert f"permission denied: you may not read the desk {desk}" in err


# --- a full disk -------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs, when this process may mount one."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True) if shutil.which("mount") else None
    if done is None or done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights): the full "
                    "disk is tested with max_page_count only "
                    f"({done.stderr.strip() if done else 'no mount command'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.sqlite_only(reason="a full file system under the desk file (a tmpfs); the "
                                "PostgreSQL server's disk is the server's")
def test_a_full_disk_reports_the_real_error_and_writes_nothing(seeded_desk, small_disk,
                                                               tmp_path):
    ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=12")
    desk = copy_desk(seeded_desk, small_disk / "desk.db")
    free = shutil.disk_usage(small_disk).free
    (small_disk / "pad").write_bytes(b"\0" * max(0, free - 64 * 1024))
    body = tmp_path / "big.txt"
    body.write_text("x" * 300_000)
    before = counts(desk)
    result = run("ticket", "note", "1", "--body-file", str(body),
                 env={"DESKCLI_DB": str(desk)})
    assert result.code == 74, result
    assert "is full" in result.err and "nothing was written" in result.err
    assert "cannot rollback" not in result.err
    no_traceback(result)
    (small_disk / "pad").unlink()
    assert counts(desk) == before
    assert ok("db check", env={"DESKCLI_DB": str(desk)}).out == "ok\n"
    # a backup that does not fit is reported with its own path, and no half copy is left
    (small_disk / "pad").write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - 8192))
    result = run("db", "backup", str(small_disk / "copy.db"))  # the desk elsewhere
    assert result.code == 74, result
    assert f"cannot write the backup {small_disk / 'copy.db'}" in result.err
    assert not (small_disk / "copy.db").exists()


@pytest.fixture
def page_limit(monkeypatch):
    """Every connection the CLI opens may grow the file by at most a few pages: SQLite's
    own limit, so SQLite itself answers "database or disk is full"."""
    real = deskcli.store.faults.connect

    def limited(path, timeout_s, read_only):
        conn = real(path, timeout_s, read_only)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn

    monkeypatch.setattr(deskcli.store.faults, "connect", limited)


@pytest.mark.sqlite_only(reason="SQLite's PRAGMA max_page_count makes the file full")
def test_a_full_database_is_reported_and_rolled_back(seeded_desk, page_limit, tmp_path):
    before = counts(seeded_desk)
    result = run("ticket", "open", "--type", "renewal", "--customer", "C1", "--title",
                 "Renew", "--field", "package=12", "-m", "x" * 200_000)
    assert result.code == 74, result
    assert "is full" in result.err
    no_traceback(result)
    assert counts(seeded_desk) == before
    lines = tmp_path / "many.jsonl"
    lines.write_text("".join(json.dumps({"type": "renewal", "customer": "C1", "title": f"t{i}",
                                         "body": "y" * 2000, "fields": {"package": "12"}})
                             + "\n" for i in range(200)))
    result = run("ticket", "import", str(lines))
    assert result.code == 74, result
    assert counts(seeded_desk) == before


@pytest.mark.sqlite_only(reason="SQLite rolls back on its own after SQLITE_FULL")
def test_rollback_tolerates_a_transaction_sqlite_already_ended(seeded_desk):
    """After a full disk, SQLite may have rolled back on its own: the store's rollback
    must not replace the real error with "cannot rollback - no transaction is active"."""
    from deskcli.errors import DiskError
    from deskcli.store import Store

    store = Store.open(seeded_desk)
    try:
        with pytest.raises(DiskError, match="is full"):
            with store.write():
                store.conn.execute("ROLLBACK")  # what SQLite does itself on SQLITE_FULL
                raise sqlite3.OperationalError("database or disk is full")
        assert not store.conn.in_transaction
    finally:
        store.close()


# --- a damaged file ----------------------------------------------------------------------

def damage(path, table: str) -> None:
    """Overwrite the start of a table's root page (a copy's, never a real desk's)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                            (table,)).fetchone()[0]
    finally:
        conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xff" * 200)


@pytest.mark.sqlite_only(reason="bytes of a table's root page overwritten in the desk "
                                "file")
def test_a_damaged_page_is_one_line_and_db_check_reports_it(seeded_desk):
    ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=12")
    damage(seeded_desk, "tickets")
    for args in ("ticket list", "ticket show 1", "ticket note 1 -m hello"):
        result = run(args)
        assert result.code == 65, (args, result)
        assert "is damaged" in result.err and "db check" in result.err
        no_traceback(result)
    result = run("db check")
    assert result.code == 1, result
    assert "integrity" in result.err and "malformed" in result.err
    no_traceback(result)


def test_a_healthy_desk_passes_db_check(seeded_desk):
    assert ok("db check").out == "ok\n"


# --- a lock held past the busy timeout -----------------------------------------------------

def write_lock(desk):
    """Another connection holding the desk's write lock: SQLite's BEGIN IMMEDIATE, or on
    PostgreSQL the desk's advisory lock that deskcli's write transactions take."""
    if not is_pg(desk):
        holder = sqlite3.connect(desk, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return holder
    import psycopg2

    from deskcli.store.pg.connection import LOCK_KEY

    class Holder:
        def __init__(self):
            self.conn = psycopg2.connect(desk)
            self.conn.autocommit = True
            self.execute = self.conn.cursor().execute
            self.close = self.conn.close

    holder = Holder()
    holder.execute("BEGIN")
    holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_KEY)
    return holder


def test_a_lock_held_past_the_busy_timeout_exits_75(seeded_desk):
    ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=12")
    holder = write_lock(seeded_desk)
    try:
        before = counts(seeded_desk)
        result = run("ticket note 1 -m waiting", env={"DESKCLI_BUSY_TIMEOUT": "50"})
        assert result.code == 75, result
        assert "is busy" in result.err and "try again" in result.err
        no_traceback(result)
        # readers are not blocked by a writer (WAL)
        assert ok("ticket list --json", env={"DESKCLI_BUSY_TIMEOUT": "50"}).json
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert counts(seeded_desk) == before
    ok("ticket note 1 -m 'after the lock'")
