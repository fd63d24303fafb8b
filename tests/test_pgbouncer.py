"""A desk behind a real PgBouncer (README, "Team server"), in session and in transaction
pooling mode, with fewer server connections than clients: many processes accepting the
same tickets still get exactly one owner each, a lock held past the busy timeout is
still exit 75, and two `outbox send` at once still send each notice once.

PgBouncer (Debian's `pgbouncer`, which .ci/run installs) listens on a Unix socket in a
folder of its own, in front of the suite's throwaway cluster; it refuses to run as root,
so as root it runs as `postgres`, as the cluster does.
"""

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

import psycopg2
import pytest
from conftest import execute, ok, query, run
from pg_cluster import memory_folder
from test_concurrency import open_queue_tickets, race
from test_notices import cli, smtp  # noqa: F401 (smtp: a fixture, a real SMTP server)

MISSING = ("these tests need PgBouncer: `apt-get install pgbouncer` (Debian), or leave "
           "them out with `pytest --store sqlite`")
PORT = 6432  # (only the name of the socket file, in a folder of the pooler's own)


def pgbouncer() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer"
                                          if os.path.exists("/usr/sbin/pgbouncer") else None)
    if not found:
        raise RuntimeError(MISSING)
    return found


class Pooler:
    """PgBouncer in front of one desk's database: `url(mode)` is the desk through it, in
    "session" or "transaction" pooling, each with at most 2 server connections."""

    def __init__(self, desk_url: str):
        parts = urlsplit(desk_url)
        self.database = parts.path.lstrip("/")
        server_socket = parse_qs(parts.query)["host"][0]
        self.folder = tempfile.mkdtemp(prefix="deskcli-pgbouncer-", dir=memory_folder())
        as_user = []
        if os.geteuid() == 0:  # PgBouncer will not run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"]
        config = os.path.join(self.folder, "pgbouncer.ini")
        users = os.path.join(self.folder, "users.txt")
        with open(users, "w") as f:
            f.write('"desk" ""\n')
        target = f"host={server_socket} dbname={self.database}"
        with open(config, "w") as f:
            f.write(f"""[databases]
session = {target} pool_mode=session
transaction = {target} pool_mode=transaction

[pgbouncer]
listen_addr =
unix_socket_dir = {self.folder}
listen_port = {PORT}
auth_type = trust
auth_file = {users}
server_reset_query = DISCARD ALL
ignore_startup_parameters = options
default_pool_size = 2
max_client_conn = 100
logfile = {self.folder}/pgbouncer.log
pidfile = {self.folder}/pgbouncer.pid
""")
        os.chmod(self.folder, 0o755)
        for name in (config, users):
            os.chmod(name, 0o644)
        self.process = subprocess.Popen([*as_user, pgbouncer(), config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket = os.path.join(self.folder, f".s.PGSQL.{PORT}")
        deadline = time.monotonic() + 20
        while not os.path.exists(socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PgBouncer did not start: {self.log()}")
            time.sleep(0.02)

    def url(self, mode: str) -> str:
        return f"postgresql://desk@/{mode}?host={self.folder}&port={PORT}"

    def log(self) -> str:
        try:
            with open(os.path.join(self.folder, "pgbouncer.log")) as f:
                return f.read()[-2000:]
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        try:
            with open(os.path.join(self.folder, "pgbouncer.pid")) as f:
                os.kill(int(f.read()), signal.SIGINT)  # (runuser does not pass signals on)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def pooler(life_desk, store_kind):
    if store_kind != "postgres":
        pytest.skip("a desk on a PostgreSQL server, behind PgBouncer")
    pooled = Pooler(life_desk)
    yield pooled
    pooled.stop()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["session", "transaction"])
def test_racing_accepts_through_the_pooler_have_one_winner_each(pooler, life_desk, mode):
    """Six processes through a pool of two server connections accept the same 20
    tickets: one owner each, one `accepted` event each, every loser told who won."""
    ids = open_queue_tickets(20)
    results, owners = race(ids, pooler.url(mode), life_desk)
    marks = ",".join("?" * len(ids))
    accepted = query(life_desk, "SELECT ticket_id, count(*) FROM events WHERE kind = "
                                f"'accepted' AND ticket_id IN ({marks}) GROUP BY ticket_id",
                     ids)
    assert set(owners) == set(ids), pooler.log()
    assert sorted(n for _, n in accepted) == [1] * len(ids)
    won = set()
    for login, (out, err, code) in results.items():
        assert "Traceback" not in err and code in (0, 5), (login, code, err)
        mine = {int(line) for line in out.split()}
        assert mine == {t for t, who in owners.items() if who == login}
        assert not mine & won
        won |= mine
        for tid in set(ids) - mine:
            assert f"#{tid}: Error: #{tid} was already accepted by {owners[tid]}" in err
    assert won == set(ids)


@pytest.mark.parametrize("mode", ["session", "transaction"])
def test_a_lock_held_past_the_busy_timeout_is_still_exit_75(pooler, life_desk, mode):
    """The pooler drops the start-up options that carry lock_timeout (the README's
    `ignore_startup_parameters = options`): each transaction sets its own, so a ticket
    locked by another session is exit 75 after the busy timeout, not a wait without end,
    and the same command goes through once the lock is gone."""
    tid = open_queue_tickets(1)[0]
    holder = psycopg2.connect(life_desk)
    try:
        holder.cursor().execute("SELECT id FROM tickets WHERE id = %s FOR UPDATE", (tid,))
        started = time.monotonic()
        result = run(f"ticket accept {tid}", as_user="bob",
                     env={"DESKCLI_DB": pooler.url(mode), "DESKCLI_BUSY_TIMEOUT": "200"})
        assert result.code == 75 and "busy" in result.err, result
        assert "Traceback" not in result.err and time.monotonic() - started < 15
    finally:
        holder.rollback()
        holder.close()
    ok(f"ticket accept {tid}", as_user="bob", env={"DESKCLI_DB": pooler.url(mode)})
    assert query(life_desk, "SELECT status FROM tickets WHERE id = ?", (tid,)) == [
        ("in_progress",)]


def test_the_same_answers_through_the_pooler_as_direct(pooler, life_desk):
    """What a user reads is the same through either pool as on the server itself, and a
    ticket opened through the transaction pool is the next id, routed and noticed."""
    opened = ok("ticket open --type task --title 'Through the pooler' --json",
                env={"DESKCLI_DB": pooler.url("transaction")}).json
    assert opened["id"] == query(life_desk, "SELECT max(id) FROM tickets")[0][0]
    for command in (f"ticket show {opened['id']} --json", "ticket list --json",
                    "dashboard --json", "outbox list --json"):
        direct = ok(command, env={"DESKCLI_DB": life_desk}).out
        for mode in ("session", "transaction"):
            assert ok(command, env={"DESKCLI_DB": pooler.url(mode)}).out == direct, command
    served = pooler.log()  # (and the pooler really served them)
    assert "login attempt: db=session" in served and "login attempt: db=transaction" in served


def test_two_senders_through_the_pooler_send_each_notice_once(pooler, life_desk,
                                                              smtp):  # noqa: F811
    """`outbox send` from two hosts at once, both through the transaction pool (two
    server connections for them and their claims): more notices than one claims at a time
(200), each delivered once, by both senders."""
    ok("config set mail.from 'Help desk <desk@school.example>'")
    ok("user update bob --email bob@example.com")
    ok("ticket open --type help --title T")
    copied = ("created_at, ticket_id, event_id, template, locale, recipients, context, "
              "status, attempts, next_attempt_at, subject")
    execute(life_desk, f"WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n "
            f"WHERE k < 229) INSERT INTO outbox ({copied}, message_id) SELECT {copied}, "
            f"'<clone-' || k || '@school.example>' FROM outbox, n WHERE outbox.id = "
            f"(SELECT min(id) FROM outbox)")
    total = query(life_desk, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0]
    assert total > 230
    env = {"DESKCLI_USER": "alice", "DESKCLI_DB": pooler.url("transaction")}
    senders = [cli("outbox", "send", "--via", smtp.url, "--json", env=env)
               for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in senders]
    assert all(p.returncode == 0 for p in senders), outputs
    ids = [re.search(rb"^Message-ID: (.*)$", data, re.M | re.I)[1] for _, data in smtp.received]
    assert len(ids) == total and len(set(ids)) == total
    counts = [json.loads(out)["sent"] for out, _ in outputs]
    assert sum(counts) == total and min(counts) > 0, counts
    assert query(life_desk, "SELECT DISTINCT status FROM outbox") == [("sent",)]
