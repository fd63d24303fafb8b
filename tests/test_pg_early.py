"""A PostgreSQL desk's head start (deskcli/launch.py, deskcli/store/pg/early.py): the
`deskcli` program connects in a thread while Python imports the command, and warms the
server with the reads the same command made last time, learned into a cache file.

These tests run deskcli as a real process (`python -m deskcli`, the path the console
script takes): CliRunner calls the command line directly and never connects early.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ok, query, run

from deskcli.launch import desk_location, root_options
from deskcli.store.pg import early, start_early


def deskcli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "DESKCLI_USER": "alice", **(env or {})}
    return subprocess.run([sys.executable, "-m", "deskcli", *args], capture_output=True,
                          text=True, env=full)


def warm_files() -> list[Path]:
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "deskcli" / "warm"
    return sorted(folder.glob("*.sql")) if folder.exists() else []


@pytest.fixture
def server_desk(seeded_desk, store_kind):
    if store_kind != "postgres":
        pytest.skip("a desk on a PostgreSQL server")
    ok("ticket open --type renewal --customer C1 --title 'Secret renewal 机密' "
       "--field package=24 -m 'The parent asked about 续费'")
    return seeded_desk


def test_a_command_learns_its_reads_and_the_next_one_starts_warm(server_desk):
    expected = run("ticket show 1").out
    first = deskcli("ticket", "show", "1")
    assert (first.returncode, first.stdout, first.stderr) == (0, expected, "")
    [file] = warm_files()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    text = file.read_text()
    # the reads, every value replaced by a stand-in: nothing typed or stored is kept
    assert "FROM tickets t" in text and "t.id = 0" in text and "login = ''" in text
    for private in ("Secret", "机密", "续费", "alice", "C1", "desk@", "ticket show"):
        assert private not in text
    learned = file.read_bytes()
    second = deskcli("ticket", "show", "1")
    assert (second.returncode, second.stdout, second.stderr) == (0, expected, "")
    assert file.read_bytes() == learned  # the same reads: the file is left alone
    # another shape of command learns its own file; the same command on --db too
    listed = deskcli("--db", server_desk, "ticket", "list", "--json")
    assert listed.returncode == 0 and listed.stdout == run("ticket list --json").out
    assert len(warm_files()) == 2


def test_the_warm_up_never_writes_locks_or_fails_the_command(server_desk):
    assert deskcli("ticket", "show", "1").returncode == 0
    [file] = warm_files()
    header = file.read_text().split("\0")[0]
    planted = ["UPDATE tickets SET title = 'changed by the warm-up'",
               "WITH gone AS (DELETE FROM ticket_tags RETURNING 1) SELECT count(*) FROM gone",
               "SELECT pg_advisory_lock(42)",
               "SELECT id FROM tickets FOR UPDATE",
               "SELECT no_such_column FROM no_such_table",
               "SELECT count(*) FROM tickets"]
    file.write_text("\0".join([header, *planted]))
    ok("ticket tag 1 +vip")
    shown = deskcli("ticket", "show", "1")
    assert shown.returncode == 0 and shown.stderr == "", shown
    assert query(server_desk, "SELECT title FROM tickets WHERE id = 1") == [
        ("Secret renewal 机密",)]
    assert query(server_desk, "SELECT tag FROM ticket_tags") == [("vip",)]
    assert query(server_desk, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                 ) == [(0,)]
    # the planted statements are forgotten: the file holds the command's reads again
    text = file.read_text()
    assert "changed by" not in text and "no_such_table" not in text and "t.id = 0" in text
    # a file that is not a warm file at all (or another desk's) only means a cold start
    file.write_bytes(b"\xff\xfe not text \x00 SELECT 1")
    assert deskcli("ticket", "show", "1").returncode == 0
    assert file.read_text().startswith(header)


def test_the_session_the_store_gets_is_as_a_new_one(server_desk):
    assert deskcli("ticket", "show", "1").returncode == 0  # (learn the reads)
    from deskcli.store import busy_timeout_ms

    switch = sys.getswitchinterval()
    start_early(server_desk, "ticket show")
    raw = early.take(server_desk, busy_timeout_ms())
    try:
        assert raw is not None and sys.getswitchinterval() == switch
        cursor = raw.cursor()
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("0",)
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
        assert raw.get_transaction_status() == 0  # idle, outside any transaction
    finally:
        raw.close()
    # a connection made for another URL is closed and not handed over
    start_early(server_desk, "ticket show")
    assert early.take(server_desk + "&application_name=other", busy_timeout_ms()) is None


def test_errors_are_those_of_a_command_that_connects_late(server_desk, tmp_path):
    base, _, _ = server_desk.partition("?")
    for url, code in [(f"postgresql://desk@/deskcli_no_such_db?host={tmp_path}", 75),
                      (base.rsplit("/", 1)[0] + "/deskcli_no_such_db?"
                       + server_desk.partition("?")[2], 3),
                      (server_desk.replace("://desk@", "://desk:pw@"), 2)]:
        late = run(f"--db '{url}' ticket list")
        started = deskcli("--db", url, "ticket", "list")
        assert late.code == started.returncode == code, (url, late, started)
        assert started.stderr == late.err and "Traceback" not in started.stderr
        assert "pw" not in started.stderr
    assert warm_files() == []


def test_the_program_finds_the_desk_as_the_command_will(store_kind, isolated, monkeypatch):
    url = "postgresql://desk@/brand_a?host=/run/postgresql"
    assert root_options(["--as", "bob", "--db=x.db", "ticket", "list", "--db", "y"]) == (
        {"--as": "bob", "--db": "x.db"}, ["ticket", "list", "--db", "y"])
    monkeypatch.setenv("DESKCLI_DB", url)
    assert desk_location(["ticket", "show", "1"]) == url
    assert desk_location(["--db", "/srv/a.db", "ticket", "show", "1"]) == "/srv/a.db"
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "deskcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'desk = "brand-a"\n[desks]\nbrand-a = "{url}"\n')
    assert desk_location(["--desk", "brand-a", "dashboard"]) == url
    monkeypatch.delenv("DESKCLI_DB")
    assert desk_location(["dashboard"]) == url  # the personal `desk`
    assert desk_location(["--desk", "bad name!", "dashboard"]) is None  # (the command says)
    assert early.shape(["ticket", "list", "--assignee", "@me", "--limit", "50"]) == (
        "ticket list --assignee --limit")
    assert early.shape(["ticket", "show", "12"]) == "ticket show"


def test_a_desk_in_a_file_gets_no_head_start(desk, store_kind):
    if store_kind != "sqlite":
        pytest.skip("a desk in a file")
    done = deskcli("ticket", "list")
    assert done.returncode == 0, done
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "deskcli").exists()
    assert "psycopg2" not in deskcli_modules()


def deskcli_modules() -> str:
    code = ("import sys, runpy; sys.argv = ['deskcli', 'ticket', 'list'];\n"
            "from deskcli.launch import run\nimport atexit\n"
            "atexit.register(lambda: print(' '.join(sys.modules), file=sys.stderr))\nrun()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "DESKCLI_USER": "alice"})
    assert done.returncode == 0, done
    return done.stderr
