"""A throwaway PostgreSQL cluster for the postgres leg of the suite.

Started once per test session in a temporary folder (in /dev/shm, memory, when it can)
with Debian's `postgresql` server binaries (`initdb`, `pg_ctl`), as an unprivileged user
(`postgres` when the tests run as root), listening on a Unix socket in that folder only:
no TCP port, nothing shared with other programs on the machine. Durability is off
(fsync, full-page writes): the cluster lives for one run. Every test gets a fresh
database copied from a template that holds the deskcli schema and no desk (`deskcli
init` then makes the desk, as on a new server).
"""

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

USER = "desk"  # the cluster's superuser, which the tests connect as (trust, socket only)
TEMPLATE = "deskcli_template"


def server_bin() -> str | None:
    """The folder of initdb and pg_ctl: $DESKCLI_TEST_PG_BIN, else the newest Debian
    server, else PATH."""
    if os.environ.get("DESKCLI_TEST_PG_BIN"):
        return os.environ["DESKCLI_TEST_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def memory_folder() -> str | None:
    """/dev/shm when it can hold the cluster: a database copied from a template there
    takes about 40 ms against 300-600 ms on this machine's disk (the copy's checkpoints
    write to memory), and every postgres test starts with one."""
    folder = "/dev/shm"
    return folder if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) else None


MISSING = ("the postgres leg of the tests needs PostgreSQL's server (initdb, pg_ctl): "
           "`apt-get install postgresql` (Debian), or run only the SQLite leg with "
           "`pytest --store sqlite`")


class Cluster:
    def __init__(self):
        self.bin = server_bin()
        if not self.bin or not os.path.exists(os.path.join(self.bin, "initdb")):
            raise RuntimeError(MISSING)
        self.folder = tempfile.mkdtemp(prefix="deskcli-pg-", dir=memory_folder())
        self.data = os.path.join(self.folder, "data")
        self.socket = self.folder
        self.counter = itertools.count(1)
        self.as_user = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chmod(self.folder, 0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> "Cluster":
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses='' -c unix_socket_directories={self.socket} "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
                   "-c max_connections=300 -c shared_buffers=64MB")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-o", options,
                  "-l", os.path.join(self.folder, "server.log"), "-w", "start")
        self.admin = self.connect("postgres")
        # FILE_COPY copies the template's files (faster for a small database than
        # PostgreSQL 15's default, which writes every page to the WAL)
        self.strategy = " STRATEGY FILE_COPY" if self.admin.server_version >= 150000 else ""
        self.admin.cursor().execute(f"CREATE DATABASE {TEMPLATE}")
        self._prepare(self.url(TEMPLATE))
        return self

    def stop(self) -> None:
        try:
            self.admin.close()
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate",
                      "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket}"

    def connect(self, database: str):
        import psycopg2

        conn = psycopg2.connect(dbname=database, user=USER, host=self.socket)
        conn.autocommit = True
        return conn

    def _prepare(self, url: str) -> None:
        """The deskcli schema, migrated, with no desk in it."""
        from deskcli.store import Store
        from deskcli.store.pg import connect, migrations
        from deskcli.store.pg.connection import Connection

        store = Store(url, Connection(connect(url, 5000), 5000))
        store.dialect = "postgres"
        try:
            migrations.upgrade(store)
        finally:
            store.close()

    def new_database(self, template: str = TEMPLATE) -> str:
        name = f"t{os.getpid()}_{next(self.counter)}"
        self.create_database(name, template)
        return name

    def create_database(self, name: str, template: str) -> None:
        self.admin.cursor().execute(f"CREATE DATABASE {name} TEMPLATE {template}"
                                    f"{self.strategy}")

    def drop_database(self, name: str) -> None:
        self.admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
