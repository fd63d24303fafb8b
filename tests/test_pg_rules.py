"""Issue 12's rules for a desk on a server, beyond the everyday commands: a URL with a
password is refused wherever a desk can be named (and no message prints one), named desks
and $DESKCLI_DB take URLs, the database refuses to change events, and text sorts by bytes
(COLLATE "C") even in a database whose own collation is linguistic.

The races (accept, ids, routing, FAQ keys, outbox, reminders) are in test_concurrency.py,
test_notices.py and test_remind.py; a lock held past the busy timeout in test_faults.py.
"""

import os
import subprocess
import sys

import pytest
from conftest import execute, is_pg, ok, query, run, seed_desk

SECRET = "s3cret-Pa55"


def with_password(url: str, how: str) -> str:
    """`url` (postgresql://desk@/DB?host=...) with SECRET in it, the way `how` puts it."""
    if how == "userinfo":
        return url.replace("://desk@", f"://desk:{SECRET}@")
    return f"{url}&password={SECRET}" if "?" in url else f"{url}?password={SECRET}"


@pytest.fixture
def server_desk(seeded_desk, store_kind):
    if store_kind != "postgres":
        pytest.skip("a desk on a PostgreSQL server")
    return seeded_desk


def refused(result) -> None:
    assert result.code == 2, result
    assert "the desk's URL contains a password" in result.err
    assert "~/.pgpass" in result.err and "Traceback" not in result.err
    assert SECRET not in result.out + result.err


@pytest.mark.parametrize("how", ["userinfo", "query"])
def test_a_url_with_a_password_is_refused_wherever_a_desk_is_named(server_desk, isolated, how):
    bad = with_password(server_desk, how)
    refused(run(f"--db '{bad}' whoami"))
    refused(run("whoami", env={"DESKCLI_DB": bad}))
    refused(run(f"--db '{bad}' init --admin alice", as_user=None))
    refused(run(f"report summary --db '{server_desk}' --db '{bad}'"))
    refused(run(f"db copy '{bad}' {isolated / 'copy.db'}"))
    refused(run(f"db copy '{server_desk}' '{bad}'"))
    assert not (isolated / "copy.db").exists()
    # the config file never holds one: `config set` refuses it, and a hand-written entry
    # is refused when used
    refused(run(f"config set desks.brand-a '{bad}'"))
    config = isolated / "home" / ".config" / "deskcli" / "config.toml"
    assert not config.exists() or SECRET not in config.read_text()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[desks]\nbrand-a = "{bad}"\n')
    refused(run("--desk brand-a whoami"))
    refused(run("report summary --desk all"))


def test_named_desks_and_the_environment_take_urls(server_desk, isolated, monkeypatch):
    ok(f"config set desks.brand-a '{server_desk}'")
    assert ok("--desk brand-a whoami --json").json["desk"] == server_desk
    ok("config set desk brand-a")  # the personal default desk, by its name
    monkeypatch.delenv("DESKCLI_DB")
    assert ok("whoami --json").json["desk"] == server_desk
    opened = ok("ticket open --type renewal --title Renew --customer C1 --field package=12 "
                "--json").json["id"]
    monkeypatch.setenv("DESKCLI_DB", server_desk)
    assert ok(f"ticket show {opened} --json").json["title"] == "Renew"
    assert query(server_desk, "SELECT title FROM tickets WHERE id = ?", (opened,)) == [
        ("Renew",)]


# --- a wrong password: refused, never printed ---------------------------------------------

@pytest.fixture
def password_role(pg_cluster, server_desk):
    """A role `clerk` with a password, which the server asks for (scram-sha-256) when it
    connects to this test's database: a line on top of pg_hba.conf, reloaded."""
    database = server_desk.split("@/", 1)[1].split("?")[0]
    admin = pg_cluster.admin.cursor()
    admin.execute(f"CREATE ROLE clerk LOGIN SUPERUSER PASSWORD '{SECRET}'")
    hba = os.path.join(pg_cluster.data, "pg_hba.conf")
    with open(hba, encoding="utf-8") as f:
        original = f.read()
    line = f"local {database} clerk scram-sha-256\n"
    with open(hba, "w", encoding="utf-8") as f:
        f.write(line + original)
    admin.execute("SELECT pg_reload_conf()")
    try:
        yield server_desk.replace("://desk@", "://clerk@")
    finally:
        with open(hba, "w", encoding="utf-8") as f:
            f.write(original)
        admin.execute("SELECT pg_reload_conf()")
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute("DROP ROLE clerk")
        admin.execute(f"CREATE DATABASE {database}")  # (the fixture drops it again)


def test_the_password_comes_from_libpq_and_no_message_prints_it(password_role, isolated):
    url = password_role
    wrong = run(f"--db '{url}' whoami", env={"PGPASSWORD": "wrong-" + SECRET})
    assert wrong.code == 77, wrong  # access denied
    assert "refused the login" in wrong.err and "~/.pgpass" in wrong.err
    assert SECRET not in wrong.out + wrong.err and "Traceback" not in wrong.err
    none = run(f"--db '{url}' whoami", env={"PGPASSWORD": ""})
    assert none.code == 77 and SECRET not in none.out + none.err, none
    assert ok(f"--db '{url}' whoami --json", env={"PGPASSWORD": SECRET}).json["login"] == \
        "alice"
    pgpass = isolated / "pgpass"
    pgpass.write_text(f"*:*:*:clerk:{SECRET}\n")
    pgpass.chmod(0o600)
    shown = ok(f"--db '{url}' ticket list --json", env={"PGPASSFILE": str(pgpass)})
    assert SECRET not in shown.out + shown.err


# --- events: the database refuses to change them ---------------------------------------------

def test_events_cannot_be_truncated_either(seeded_desk):
    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    before = query(seeded_desk, "SELECT count(*) FROM events")
    if is_pg(seeded_desk):
        with pytest.raises(Exception, match="append-only"):
            execute(seeded_desk, "TRUNCATE events CASCADE")
    else:  # SQLite has no TRUNCATE: an unqualified DELETE is its form, and is refused
        with pytest.raises(Exception, match="append-only"):
            execute(seeded_desk, "DELETE FROM events")
    assert query(seeded_desk, "SELECT count(*) FROM events") == before


# --- sort order: bytes, as SQLite, whatever the database's collation --------------------------

KEYS = ["b", "A", "ab", "a_b", "Z9", "aB", "a-b", "a.b", "B", "a"]


@pytest.fixture
def linguistic_desk(isolated, store_kind, request, monkeypatch):
    """The seeded desk; on the postgres leg in a database whose default collation is ICU's
    en-US (a, A, b, B ... with punctuation ignored), as many servers are set up."""
    if store_kind == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"icu{os.getpid()}_{request.node.name[-9:-1]}"
        admin = cluster.admin.cursor()
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        try:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE 'C.UTF-8' "
                          "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        except Exception as exc:  # a server without ICU
            pytest.skip(f"no ICU collation on this server: {exc}")
        monkeypatch.setenv("DESKCLI_DB", cluster.url(name))
        seed_desk()
        yield cluster.url(name)
        cluster.drop_database(name)
        return
    seed_desk()
    yield os.environ["DESKCLI_DB"]


def test_text_sorts_by_bytes_on_both_stores(linguistic_desk):
    for key in KEYS:
        ok(f"customer add {key} --name 'Customer {key}'")
    listed = [c["key"] for c in ok("customer list --json").json]
    expected = sorted([*KEYS, "C1", "C2"], key=lambda k: k.encode("utf-8"))
    assert listed == expected
    if is_pg(linguistic_desk):  # the database's own order would differ: the test can tell
        own = [r[0] for r in query(linguistic_desk, "SELECT key::text COLLATE \"default\" "
                                                     "FROM customers ORDER BY 1")]
        assert own != expected
    # the FAQ completion reads a range of its terms (term >= 'pa' AND term < 'pa\uffff'):
    # byte order keeps the range whole; case never matters
    ok("faq add --question 'How do I reset my Password?' --answer 'Reset it.' "
       "--keywords 'Password,pass code,PASSPORT'")
    for typed in ("pa", "PA", "Pas"):
        got = ok(f"faq suggest {typed}").out.splitlines()
        assert {"password", "passport"} <= set(got), (typed, got)


# --- the driver is imported for PostgreSQL desks only -----------------------------------

def test_a_sqlite_desk_never_imports_the_driver(seeded_desk, store_kind):
    if store_kind != "sqlite":
        pytest.skip("a SQLite desk's command")
    code = ("import sys, runpy; sys.argv = ['deskcli', 'ticket', 'list', '--json'];\n"
            "import deskcli.cli as c\ntry:\n    c.main(standalone_mode=False)\n"
            "finally:\n    assert 'psycopg2' not in sys.modules, 'psycopg2 was imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "DESKCLI_USER": "alice"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"  # the command ran (no tickets yet)


def test_opening_a_ticket_on_postgresql_skips_psycopg2_extras(server_desk):
    """A one-row write (the ticket's row, its CC) goes out without psycopg2.extras,
    whose import (with the logging package) cost `ticket open` about 5 ms."""
    code = ("import sys; sys.argv = ['deskcli', 'ticket', 'open', '--type', 'crash', "
            "'--customer', 'C1', '--title', 'App 闪退', '-m', 'on login', '--field', "
            "'phone_model=iPhone', '--field', 'os=iOS', '--field', 'app_version=3.2']\n"
            "import deskcli.cli as c\ntry:\n    c.main(standalone_mode=False)\n"
            "finally:\n    print(sorted(m for m in sys.modules if m.startswith("
            "('psycopg2.extras', 'logging'))), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "DESKCLI_USER": "alice"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().isdigit()  # the new ticket's id: the command ran
    assert proc.stderr.strip().splitlines()[-1] == "[]"


# --- a row lock held by another session: exit 75 after the busy timeout, as the desk's lock

def test_a_row_lock_held_past_the_busy_timeout_exits_75(server_desk):
    """Not only the desk's advisory lock (test_faults.py): a row another session holds
    (a DBA's transaction, a report tool with FOR UPDATE) makes a writer give up with exit
    75 after the busy timeout, without a traceback, and nothing is written."""
    import psycopg2

    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    events = query(server_desk, "SELECT count(*) FROM events")
    holder = psycopg2.connect(server_desk)
    try:
        holder.cursor().execute("SELECT id FROM tickets WHERE id = 1 FOR UPDATE")
        result = run("ticket accept 1", as_user="sun", env={"DESKCLI_BUSY_TIMEOUT": "100"})
        assert result.code == 75, result
        assert "busy" in result.err and "try again" in result.err
        assert "Traceback" not in result.err and result.out == ""
    finally:
        holder.rollback()
        holder.close()
    assert query(server_desk, "SELECT count(*) FROM events") == events
    ok("ticket accept 1", as_user="sun")


def test_a_desk_session_runs_without_jit(server_desk):
    """JIT compilation cost a paraphrased `faq search` 360 ms of its 410 (bm25 over 24
    rows): deskcli's transactions run with jit off, also where a pooler dropped the
    start-up options."""
    from deskcli.store import Store

    store = Store.open(server_desk)
    try:
        for transaction in (store.read, store.write):
            with transaction():
                assert store.scalar("SELECT current_setting('jit')") == "off"
    finally:
        store.close()


# --- a deadlock with another session: the command runs again when it safely can ------------

def lose_a_deadlock(location: str, argv: list[str], user: str, stdin,
                    text: str | None = None) -> subprocess.CompletedProcess:
    """A command (`argv` as `user`, `text` on its stdin pipe) in a deadlock it loses:
    another session holds ticket 1's row, deskcli takes the desk's write lock and waits
    for the row, then the other session asks for the write lock. deskcli waited first, so
    its deadlock check runs first and the server rolls its transaction back; the other
    session gets the lock (which proves it), then commits. What deskcli did next is
    returned."""
    import time

    import psycopg2

    from deskcli.store.pg.connection import LOCK_KEY

    holder = psycopg2.connect(location)
    try:
        holder.cursor().execute("SELECT id FROM tickets WHERE id = 1 FOR UPDATE")
        env = {**os.environ, "DESKCLI_USER": user, "DESKCLI_BUSY_TIMEOUT": "60000"}
        proc = subprocess.Popen([sys.executable, "-m", "deskcli", *argv], env=env,
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        if stdin == subprocess.PIPE:  # (cron gives a pipe; a script may write to it)
            proc.stdin.write(text or "")
            proc.stdin.close()
            proc.stdin = None
        waiting = "SELECT pid FROM pg_stat_activity WHERE application_name = 'deskcli' " \
                  "AND wait_event_type = 'Lock'"
        for _ in range(600):
            if query(location, waiting) or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        holder.cursor().execute("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_KEY)
        holder.commit()
        out, err = proc.communicate(timeout=60)
    finally:
        holder.rollback()
        holder.close()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("stdin", [subprocess.DEVNULL, subprocess.PIPE],
                         ids=["dev-null", "unread-pipe"])
def test_a_command_that_loses_a_deadlock_runs_again(server_desk, stdin):
    """Issue 12: serialization failures and deadlocks are retried, not shown. The server
    rolled the accept back; deskcli ran it again (nothing committed yet, nothing read from
    stdin, which cron makes a pipe) and it succeeded once: one accept event, exit 0,
    nothing about it on stderr."""
    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    accepts = "SELECT count(*) FROM events WHERE ticket_id = 1 AND kind = 'accepted'"
    assert query(server_desk, accepts) == [(0,)]
    got = lose_a_deadlock(server_desk, ["ticket", "accept", "1"], "sun", stdin)
    assert got.returncode == 0, got.stderr
    assert got.stderr == "" and "1" in got.stdout
    assert query(server_desk, accepts) == [(1,)]
    assert query(server_desk, "SELECT assignee_id = (SELECT id FROM users WHERE "
                              "login = 'sun') FROM tickets WHERE id = 1") == [(True,)]


def test_a_deadlock_lost_after_reading_stdin_is_exit_75(server_desk):
    """A note read from a pipe cannot be read again: exit 75 with the server's words and
    the fix, no traceback, nothing written (a mail server or a script runs the command
    again later)."""
    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    events = query(server_desk, "SELECT count(*) FROM events")
    got = lose_a_deadlock(server_desk, ["ticket", "note", "1", "-m", "-"], "alice",
                          subprocess.PIPE, "Called the parent back.")
    assert got.returncode == 75, got.stderr
    assert "rolled this command back (deadlock detected)" in got.stderr
    assert "nothing was written; run the command again" in got.stderr
    assert "Traceback" not in got.stderr and got.stdout == ""
    assert query(server_desk, "SELECT count(*) FROM events") == events


def test_a_pooler_that_drops_the_start_up_options_keeps_the_busy_timeout(server_desk,
                                                                         monkeypatch):
    """Behind a pooler (PgBouncer with `ignore_startup_parameters = options`, README "Team
    server") the session has none of deskcli's start-up settings, or another client's:
    each transaction sets its own lock_timeout and timezone, so a held lock is still exit
    75 after the busy timeout instead of a wait without end."""
    import time

    import psycopg2

    import deskcli.store.pg as pg

    def pooled(url, timeout_ms):  # the server's defaults: no lock_timeout at all
        raw = psycopg2.connect(url, options="-c statement_timeout=20000")  # (the guard)
        raw.autocommit = True
        return raw

    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    monkeypatch.setattr(pg, "connect", pooled)
    holder = psycopg2.connect(server_desk)
    try:
        holder.cursor().execute("SELECT id FROM tickets WHERE id = 1 FOR UPDATE")
        started = time.monotonic()
        result = run("ticket accept 1", as_user="sun", env={"DESKCLI_BUSY_TIMEOUT": "100"})
        assert result.code == 75 and "busy" in result.err, result
        assert time.monotonic() - started < 10
    finally:
        holder.rollback()
        holder.close()
    ok("ticket accept 1", as_user="sun")
    assert query(server_desk, "SELECT status FROM tickets WHERE id = 1") == [("in_progress",)]


# --- several desks in one database, a schema each ------------------------------------------

def test_desks_in_schemas_of_one_database_are_apart(server_desk, pg_cluster):
    """The README's other layout: `?options=-csearch_path%3DNAME` puts a desk in a schema;
    each has its own ids, rows and write lock, the group view names them by schema, and a
    schema that does not exist is named in a one-line error (it was a traceback)."""
    def in_schema(name):
        return f"{server_desk}&options=-csearch_path%3D{name}"

    missing = run(f"--db '{in_schema('brand_a')}' init --admin alice", as_user=None)
    assert missing.code == 3, missing
    assert "no schema 'brand_a'" in missing.err and "CREATE SCHEMA brand_a" in missing.err
    assert "Traceback" not in missing.err
    assert run(f"--db '{in_schema('brand_a')}' ticket list").code == 3
    for name in ("brand_a", "brand_b"):
        execute(server_desk, f"CREATE SCHEMA {name}")
        ok(f"--db '{in_schema(name)}' init --admin alice", as_user=None)
        ok(f"--db '{in_schema(name)}' type add it --name IT --route manual")
    for title in ("A one", "A two"):
        ok(f"--db '{in_schema('brand_a')}' ticket open --type it --title '{title}'")
    assert ok(f"--db '{in_schema('brand_b')}' ticket open --type it --title 'B one' "
              "--json").json["id"] == 1
    titles = {name: [t["title"] for t in ok(f"--db '{in_schema(name)}' ticket list "
                                            "--json").json] for name in ("brand_a", "brand_b")}
    assert titles == {"brand_a": ["A two", "A one"], "brand_b": ["B one"]}
    group = ok(f"report summary --db '{in_schema('brand_a')}' --db '{in_schema('brand_b')}' "
               "--json").json
    assert [d["name"] for d in group["desks"]] == ["brand_a", "brand_b"]
    assert ok(f"--db '{in_schema('brand_b')}' config get desk.name").out.strip() == "brand_b"
    # the seeded desk in the public schema is untouched
    assert ok("ticket list --json").json == []
    # each desk has its own write lock: brand_a's held elsewhere stops brand_a only
    import psycopg2

    from deskcli.store.pg.connection import LOCK_KEY, lock_key

    assert len({lock_key("brand_a"), lock_key("brand_b"), lock_key(None)}) == 3
    assert lock_key(None) == LOCK_KEY
    holder = psycopg2.connect(server_desk)
    try:
        holder.cursor().execute("SELECT pg_advisory_xact_lock(%s, %s)", lock_key("brand_a"))
        busy = {"DESKCLI_BUSY_TIMEOUT": "100"}
        stuck = run(f"--db '{in_schema('brand_a')}' ticket note 1 -m x", env=busy)
        assert stuck.code == 75, stuck
        ok(f"--db '{in_schema('brand_b')}' ticket note 1 -m x", env=busy)
        ok("ticket open --type renewal --title R --customer C1 --field package=12", env=busy)
    finally:
        holder.rollback()
        holder.close()


def test_init_group_is_for_a_desk_file(store_kind, desk_location, isolated, monkeypatch):
    """--group shares a file with a Unix group; on a URL it is refused (it made folders
    named after the URL in the current folder), and nothing is created."""
    if store_kind != "postgres":
        pytest.skip("a desk on a PostgreSQL server")
    monkeypatch.chdir(isolated)
    before = sorted(os.listdir(isolated))
    result = run(f"--db '{desk_location}' init --admin alice --group {os.getgid()}",
                 as_user=None)
    assert result.code == 2 and "--group" in result.err and "Team server" in result.err
    assert sorted(os.listdir(isolated)) == before
    assert query(desk_location, "SELECT count(*) FROM users") == [(0,)]


# --- every write takes the desk's lock ----------------------------------------------------

WORKDAY = [
    ("alice", "type add job --name Job --route round-robin:support --accept-within 1h "
              "--nudge-every 1h --field ref:text"),
    ("alice", "ticket open --type job --title 'Printer jammed' -m 'Room 3' --customer C1"),
    ("alice", "ticket open --type renewal --title Renew --customer C1 --field package=12"),
    ("bob", "ticket accept 1"),
    ("bob", "ticket note 1 -m 'Looking'"),
    ("bob", "ticket reply 1 -m 'Try again' --wait"),
    ("bob", "ticket tag 1 printer"),
    ("bob", "ticket log 1 30m"),
    ("bob", "ticket resolve 1 -m 'Paper'"),
    ("alice", "ticket rate 1 5"),
    ("alice", "ticket reopen 1 -m 'Again'"),
    ("alice", "ticket assign 2 --to carol"),
    ("alice", "ticket link 2 --relates 1"),
    ("alice", "ticket open --type job --title Twin --customer C1"),
    ("alice", "ticket merge 3 --into 1"),
    ("alice", "ticket close 2"),
    ("alice", "faq add --question 'Printer jammed?' --answer 'Open tray 2.' --keywords tray"),
    ("alice", "faq synonym add 打印机 printer"),
    ("alice", "customer add C9 --name Nine --email nine@example.com"),
    ("alice", "user add kim --name Kim --dept support"),
    ("alice", "holiday add 2026-12-25"),
    ("alice", "config set outbox.via stdout"),
    ("alice", "config set mail.from 'Desk <desk@school.example>'"),
    ("alice", "schedule add weekly --type job --title Weekly --every 'daily 08:00'"),
    ("bob", "view add mine --status open"),
    ("alice", "remind run"),
    ("alice", "outbox send"),
    ("alice", "user deactivate kim --to bob"),
    ("alice", "db reindex"),
]


def test_every_write_runs_under_the_desks_lock(server_desk, monkeypatch):
    """A day's commands, in-process, with the PostgreSQL connection watched: every INSERT,
    UPDATE and DELETE runs inside a write transaction (BEGIN IMMEDIATE: READ COMMITTED
    after the desk's advisory lock), never in a read snapshot or on its own. So writers
    queue on the lock and none can meet a serialization failure (REPEATABLE READ is only
    for reads, which PostgreSQL never fails)."""
    from deskcli.store.pg import connection as pgc

    modes: dict[int, str | None] = {}
    unlocked: list[str] = []
    real_control, real_send, real_many = (pgc.Connection._control, pgc.Connection._send,
                                           pgc.Connection.executemany)

    def control(self, upper, sql):
        if upper.startswith("BEGIN"):
            modes[id(self)] = "write" if ("IMMEDIATE" in upper or "EXCLUSIVE" in upper) \
                else "read"
        elif upper.startswith(("COMMIT", "END", "ROLLBACK")):
            modes[id(self)] = None
        return real_control(self, upper, sql)

    def watch(self, text):
        head = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
        if head in ("INSERT", "UPDATE", "DELETE") and modes.get(id(self)) != "write":
            unlocked.append(f"{modes.get(id(self))}: {text[:100]}")

    def send(self, cur, text, params):
        watch(self, text)
        return real_send(self, cur, text, params)

    def many(self, sql, rows):
        watch(self, sql)
        return real_many(self, sql, rows)

    monkeypatch.setattr(pgc.Connection, "_control", control)
    monkeypatch.setattr(pgc.Connection, "_send", send)
    monkeypatch.setattr(pgc.Connection, "executemany", many)
    for login, command in WORKDAY:
        ok(command, as_user=login)
    ok("ticket import -", input='{"type": "job", "title": "Imported"}\n')
    ok("customer import -", input="key,name\nC8,Eight\n")
    ok("faq import -", input='{"question": "Why?", "answer": "Because."}\n')
    assert ok("ticket list --json").json and ok("dashboard").out
    assert len(modes) >= len(WORKDAY)  # (every command's connection was watched)
    assert unlocked == []


# --- a URL that is wrong says what is wrong, without a traceback -----------------------------

@pytest.mark.parametrize("change, code, says", [
    (lambda u: u + "&bogus=1", 2, "is not valid (invalid dsn"),
    (lambda u: u + "&sslmode=bogus", 2, "is not valid (invalid sslmode"),
    (lambda u: u + "&options=-cno_such_setting%3D1", 2, "unrecognized configuration"),
    (lambda u: u.replace("desk@/", "desk@[::1/"), 2, "is not valid (Invalid IPv6"),
    (lambda u: u.replace("desk@/", "desk@localhost:port/"), 2, "is not valid (Port"),
    (lambda u: u.replace("://desk@", "://nobody_here@"), 77, "has no such role"),
    (lambda u: u.split("@/")[0] + "@/no_such_db?" + u.split("?", 1)[1], 3, "no database"),
    (lambda u: u.split("?")[0] + "?host=/no/such/folder", 75, "cannot reach"),
])
def test_a_wrong_url_is_one_clear_error(server_desk, change, code, says):
    result = run(f"--db '{change(server_desk)}' whoami")
    assert result.code == code, result
    assert says in result.err and "Traceback" not in result.err and result.out == ""


def test_db_backup_to_a_url_is_refused(server_desk, isolated, monkeypatch):
    """A backup is a file; to a URL it is refused with the command that does it (it made
    folders named after the URL and wrote a file there)."""
    monkeypatch.chdir(isolated)
    before = sorted(os.listdir(isolated))
    result = run(f"db backup '{server_desk}'")
    assert result.code == 2 and "db copy" in result.err, result
    assert sorted(os.listdir(isolated)) == before


# --- db backup reads one snapshot -----------------------------------------------------------

def test_db_backup_is_one_snapshot_while_others_write(server_desk, isolated, monkeypatch):
    """A ticket opened by another process while the backup is half-way (after its first
    table) is in neither the backup's tickets nor its events: the backup is the desk as it
    stood when it began, and the writer was not held up by it."""
    from deskcli.store import copy as cs

    ok("ticket open --type renewal --title Before --customer C1 --field package=12")
    real_pages, opened = cs.pages, []

    def pages(db, sql):
        if not opened and db.dialect == "postgres":
            env = {**os.environ, "DESKCLI_USER": "alice", "DESKCLI_BUSY_TIMEOUT": "2000"}
            opened.append(subprocess.run(
                [sys.executable, "-m", "deskcli", "ticket", "open", "--type", "renewal",
                 "--title", "During", "--customer", "C1", "--field", "package=12"],
                env=env, capture_output=True, text=True, timeout=60))
        return real_pages(db, sql)

    monkeypatch.setattr(cs, "pages", pages)
    target = isolated / "backup.db"
    ok(f"db backup {target}")
    assert opened and opened[0].returncode == 0, opened
    assert [r[0] for r in query(server_desk, "SELECT title FROM tickets ORDER BY id")] == [
        "Before", "During"]
    assert [r[0] for r in query(target, "SELECT title FROM tickets")] == ["Before"]
    assert query(target, "SELECT DISTINCT ticket_id FROM events") == [(1,)]
    assert ok(f"--db {target} db check").out == "ok\n"


# --- a role the server gives no rights ---------------------------------------------------

def test_a_role_without_rights_is_refused_in_the_servers_words(server_desk, pg_cluster):
    """Exit 77 with the server's reason and the way out, for reading, writing and `init`
    (a traceback before), never the advice for a file's modes."""
    role = f"nobody_{os.getpid()}"
    admin = pg_cluster.admin.cursor()
    admin.execute(f"CREATE ROLE {role} LOGIN")
    empty = pg_cluster.new_database("template0")
    try:
        as_role = server_desk.replace("://desk@", f"://{role}@")
        fresh = pg_cluster.url(empty).replace("://desk@", f"://{role}@")
        for args in (f"--db '{as_role}' ticket list", f"--db '{as_role}' user add x --name X",
                     f"--db '{fresh}' init --admin alice"):
            result = run(args, as_user="alice")
            assert result.code == 77, result
            assert "the PostgreSQL server refused this role" in result.err
            assert "permission denied for" in result.err and "Team server" in result.err
            assert "Traceback" not in result.err and "-wal" not in result.err
        assert query(pg_cluster.url(empty), "SELECT count(*) FROM pg_tables WHERE "
                                            "schemaname = 'public'") == [(0,)]
    finally:
        pg_cluster.drop_database(empty)
        admin.execute(f"DROP ROLE {role}")


# --- the server drops the connection mid-command -------------------------------------------

def test_a_connection_the_server_drops_is_exit_75(server_desk):
    """A server restarted (or a link dropped) under a command: exit 75, try again, as for a
    busy desk (it was exit 1, 'database error'); the change was rolled back."""
    import time

    import psycopg2

    from deskcli.store.pg.connection import LOCK_KEY

    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    events = query(server_desk, "SELECT count(*) FROM events")
    holder = psycopg2.connect(server_desk)
    try:
        holder.cursor().execute("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_KEY)
        env = {**os.environ, "DESKCLI_USER": "alice", "DESKCLI_BUSY_TIMEOUT": "30000"}
        proc = subprocess.Popen([sys.executable, "-m", "deskcli", "ticket", "note", "1",
                                 "-m", "lost"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        waiting = "SELECT pid FROM pg_stat_activity WHERE application_name = 'deskcli' " \
                  "AND wait_event_type = 'Lock'"
        for _ in range(300):
            pids = query(server_desk, waiting)
            if pids or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert pids, proc.communicate()
        query(server_desk, "SELECT pg_terminate_backend(?)", (pids[0][0],))
        out, err = proc.communicate(timeout=60)
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 75, err
    assert "closed the connection" in err and "run the command again" in err
    assert "Traceback" not in err and out == ""
    assert query(server_desk, "SELECT count(*) FROM events") == events


def test_everyday_commands_keep_their_round_trips_few(server_desk, monkeypatch):
    """Each statement is a round trip to the server (30 ms each over a WAN): the everyday
    commands keep today's counts on this desk, or fewer (the bench's 1M desk: show 5,
    lists 5, dashboard 10, open 14, accept 6-9; bench/README.md)."""
    from deskcli.store.pg.connection import Connection

    counted = []
    close = Connection.close
    monkeypatch.setattr(Connection, "close",
                        lambda self: (counted.append(self.round_trips), close(self))[1])
    ok("ticket open --type crash --customer C1 --title 'App 闪退' -m 'on login' "
       "--field phone_model=iPhone --field os=iOS --field app_version=3.2")
    ok("ticket open --type renewal --customer C2 --title 'Renewal' --field package=24",
       as_user="sun")
    for args, most in [("ticket show 1", 5), ("ticket list --limit 50", 5),
                       ("ticket list --assignee @me --limit 50", 4), ("dashboard", 12),
                       ("ticket open --type crash --customer C1 --title 'Crash' -m 'x' "
                        "--field phone_model=iPhone --field os=iOS --field app_version=3.2",
                        13),
                       ("ticket accept 2 --yes", 7)]:
        counted.clear()
        ok(args, as_user="bob" if "accept" in args else "alice")
        assert counted and counted[-1] <= most, (args, counted)
