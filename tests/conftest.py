"""Every test runs against its own desk file in tmp_path, at a fixed moment, with no
trace of the user's own settings: $DESKCLI_DB, $DESKCLI_NOW, $XDG_* and $HOME point into
tmp_path. Commands run through click's CliRunner the way a user types them."""

import json
import os
import shlex
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from deskcli.cli import main

NOW = "2026-11-28T09:00:00Z"


# --- the two stores ------------------------------------------------------------------------
# Every test runs once per store: `sqlite` (a desk file in tmp_path) and `postgres` (a fresh
# database of a throwaway cluster, tests/pg_cluster.py). `--store sqlite` or
# `--store postgres` runs one leg. A test about what only a file can do (permissions, a
# full disk, kill -9 of a writer, the -wal file) is marked `sqlite_only`, with the reason.

STORES = ("sqlite", "postgres")


def pytest_addoption(parser):
    parser.addoption("--store", default=os.environ.get("DESKCLI_TEST_STORES", "sqlite,postgres"),
                     help="the stores to run the suite on: sqlite, postgres or both "
                          "(comma-separated; default: both)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a test of the SQLite store only")
    kinds = [k.strip() for k in config.getoption("--store").split(",") if k.strip()]
    unknown = set(kinds) - set(STORES)
    if unknown or not kinds:
        raise pytest.UsageError(f"--store takes sqlite, postgres or both, not {unknown}")
    config.stores = kinds


def pytest_generate_tests(metafunc):
    if "store_kind" in metafunc.fixturenames:
        kinds = list(metafunc.config.stores)
        if metafunc.definition.get_closest_marker("sqlite_only"):
            kinds = [k for k in kinds if k == "sqlite"]
        metafunc.parametrize("store_kind", kinds, scope="function")


@pytest.fixture(scope="session")
def pg_cluster():
    from pg_cluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def new_location(store_kind, path, request):
    """A place for a desk of the leg's store: `path`, or a fresh PostgreSQL database
    (dropped after the test)."""
    if store_kind == "sqlite":
        yield str(path)
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def desk_location(store_kind, tmp_path, request):
    """Where this test's desk lives: a file in tmp_path, or a fresh PostgreSQL database."""
    yield from new_location(store_kind, tmp_path / "desk.db", request)


@pytest.fixture
def other_location(store_kind, tmp_path, request):
    """Where a second desk of the same store can live (empty: no desk yet)."""
    yield from new_location(store_kind, tmp_path / "other.db", request)


def is_pg(location) -> bool:
    return str(location).startswith("postgresql://")


def db_location(location=None) -> str:
    """The desk a raw-SQL helper reads: `location` (a path or URL), else $DESKCLI_DB."""
    return str(location) if location is not None else os.environ["DESKCLI_DB"]


def query(location, sql: str, params=()) -> list[tuple]:
    """Rows of a query on the desk at `location` (file or URL), read with its own engine's
    driver: the one helper for tests that read a desk with raw SQL (written in SQLite's
    dialect; deskcli.store.pg.connection translates it for PostgreSQL)."""
    return _raw(location, sql, params, write=False)


def execute(location, sql: str, params=()) -> int:
    """Run a change on the desk at `location` outside deskcli (a state a test needs);
    returns the rows changed."""
    return _raw(location, sql, params, write=True)


def queries(location, sqls: list[str]) -> list[list[tuple]]:
    """The rows of several queries read on one connection, by query's rules: for a test
    that reads many tables at once (a desk's snapshot), where a connection each costs
    more than the queries on PostgreSQL."""
    return _raw_all(location, [(sql, ()) for sql in sqls], write=False)


def _raw(location, sql, params, write):
    return _raw_all(location, [(sql, params)], write)[0]


def _raw_all(location, statements, write) -> list:
    location = db_location(location)
    if is_pg(location):
        import psycopg2

        from deskcli.store.pg.connection import translate

        conn = psycopg2.connect(location)
        conn.autocommit = True
        try:
            cur = conn.cursor()
            found = []
            for sql, params in statements:
                cur.execute(translate(sql)[0].removesuffix(" RETURNING id"), params)
                found.append(cur.rowcount if write else [tuple(r) for r in cur.fetchall()])
            return found
        finally:
            conn.close()
    import sqlite3

    conn = sqlite3.connect(location)
    try:
        found = []
        for sql, params in statements:
            cur = conn.execute(sql, params)
            found.append(cur.rowcount if write else [tuple(r) for r in cur.fetchall()])
        if write:
            conn.commit()
        return found
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, desk_location):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("DESKCLI_DB", desk_location)
    monkeypatch.setenv("DESKCLI_NOW", NOW)
    # COLUMNS and LINES too: pytest-xdist's workers have them (80x24), and a test's
    # commands write to a pipe that has no terminal width unless the test gives one
    for name in ("DESKCLI_USER", "DESKCLI_DEBUG", "EDITOR", "VISUAL", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "nobody-here")
    monkeypatch.setenv("LOGNAME", "nobody-here")
    return tmp_path


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"Result(code={self.code}, out={self.out[:400]!r}, err={self.err[:400]!r})"


def run(*args, as_user: str | None = "alice", input: str | None = None, env=None,
        now: str | None = None) -> Result:
    """Run `deskcli ARGS` in-process. A single string argument is split like a shell."""
    if len(args) == 1 and isinstance(args[0], str):
        args = tuple(shlex.split(args[0]))
    full_env = dict(env or {})
    if as_user:
        full_env["DESKCLI_USER"] = as_user
    if now:
        full_env["DESKCLI_NOW"] = now
    result = CliRunner().invoke(main, list(args), input=input, env=full_env,
                                catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def ok(*args, **kwargs) -> Result:
    """Run and insist on exit 0 (the failure message shows stderr)."""
    result = run(*args, **kwargs)
    assert result.code == 0, result
    return result


def seed_desk():
    """A small school group: departments, staff with managers, customers, two types."""
    ok("init --admin alice --name 'Alice Admin' --email alice@example.com "
       "--desk-name 'Test desk'", as_user=None)
    ok("dept add support --name Support --head alice")
    ok("dept add sales --name Sales")
    ok("dept add teaching --name Teaching")
    ok("user add mgr --name 'Mona Manager' --dept support --role manager")
    ok("user add bob --name 'Bob Li' --dept support --manager mgr --email bob@example.com")
    ok("user add carol --name 'Carol Chen' --dept support --manager mgr")
    ok("user add zhao --name 'Zhao Lei' --dept sales --role manager")
    ok("user add sun --name 'Sun Mei' --dept sales --manager zhao")
    ok("user add viv --name 'Viv Viewer' --role viewer")
    ok("dept update sales --head zhao")
    ok("customer add C1 --name 'Zhang Wei' --email zw@example.com --consultant sun")
    ok("customer add C2 --name 'Li Na' --phone 13800000002")
    ok("type add crash --name 'App crash' --priority high --field phone_model:text! "
       "--field 'os:choice!=iOS|Android' --field app_version:text "
       "--pattern 'app_version=\\d+\\.\\d+' --hint 'app_version=like 3.2' "
       "--route least-loaded:support --cc dept:sales --accept-within 2h "
       "--resolve-within 2d")
    ok("type add renewal --name Renewal --route consultant "
       "--field 'package:choice!=12|24|48' --step 'Call the parent' --step 'Send the contract'")


@pytest.fixture
def desk(isolated, desk_location):
    """The seeded desk: its file (sqlite) or its URL (postgres)."""
    seed_desk()
    return desk_location if is_pg(desk_location) else isolated / "desk.db"


# --- added for the foundation tests (test_desk, test_people, test_open, test_list ...) ----

def set_active(db_path, login: str, active: bool = False) -> None:
    """Mark a user inactive (or active) directly in the desk file, the state a departure
    leaves behind, so routing fallbacks can be tested without the departure command."""
    changed = execute(db_path, "UPDATE users SET active = ? WHERE login = ?",
                      (int(active), login))
    assert changed == 1, f"no user {login!r}"


def db_count(db_path, table: str) -> int:
    """Rows in a table of the desk file (to prove that nothing was written)."""
    return query(db_path, f"SELECT count(*) FROM {table}")[0][0]


class isolated_env:
    """The environment of the `isolated` fixture, for desks built once per session:
    `with isolated_env(base) as path:` points $DESKCLI_DB at base/desk.db."""

    def __init__(self, base, location=None):
        self.base = base
        self.location = location  # a PostgreSQL desk's URL; None: base/desk.db
        self.mp = pytest.MonkeyPatch()

    def __enter__(self):
        home = self.base / "home"
        home.mkdir(exist_ok=True)
        self.mp.setenv("HOME", str(home))
        self.mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        self.mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        self.mp.setenv("DESKCLI_DB", self.location or str(self.base / "desk.db"))
        self.mp.setenv("DESKCLI_NOW", NOW)
        self.mp.setenv("USER", "nobody-here")
        self.mp.setenv("LOGNAME", "nobody-here")
        for name in ("DESKCLI_USER", "DESKCLI_DEBUG", "EDITOR", "VISUAL", "COLUMNS", "LINES"):
            self.mp.delenv(name, raising=False)
        return self.location or self.base / "desk.db"

    def __exit__(self, *exc):
        self.mp.undo()


def copy_desk(source, target):
    """Copy a desk file with SQLite's backup API (consistent, WAL included), owner-only."""
    import os
    import sqlite3

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    return target


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """seed_desk() run once per session, in the same kind of isolated environment."""
    with isolated_env(tmp_path_factory.mktemp("seeded-template")) as path:
        seed_desk()
    return path


@pytest.fixture(scope="session")
def pg_templates():
    """Template databases of the postgres leg, built once per session: name -> database."""
    return {}


def pg_copy(request, name: str, build, base_template: str | None = None) -> str:
    """On the postgres leg: make this test's database a copy of the template `name`, built
    once per session by `build()` (run against a copy of `base_template`, if given)."""
    cluster = request.getfixturevalue("pg_cluster")
    templates = request.getfixturevalue("pg_templates")
    if name not in templates:
        base = request.getfixturevalue("tmp_path_factory").mktemp(f"pg-{name}")
        database = cluster.new_database(templates[base_template] if base_template
                                        else "deskcli_template")
        with isolated_env(base, cluster.url(database)):
            build()
        templates[name] = database
    location = os.environ["DESKCLI_DB"]
    current = location.split("@/", 1)[1].split("?")[0]
    cluster.drop_database(current)
    cluster.create_database(current, templates[name])
    return location


@pytest.fixture
def seeded_desk(isolated, seeded_template, store_kind, request):
    """The same desk as the `desk` fixture, copied from a template seeded once per
    session: seeding through the CLI for every test is slow."""
    if store_kind == "postgres":
        return pg_copy(request, "seeded", seed_desk)
    return copy_desk(seeded_template, isolated / "desk.db")


# --- added for the ticket-life tests (test_workflow, test_policy, test_life, test_views,
# test_scenarios, test_concurrency) ----------------------------------------------------------

def seed_life():
    """seed_desk() plus what the ticket life needs: a queue-routed type, a type routed to bob
    with an SLA, approval types (a named approver and `manager`), a chain of agents two levels
    deep (tina <- lee <- dan, none with ticket.manage), a third customer of sun's, and the
    sales system as an access client granted renewals."""
    ok("type add task --name Task --route manual")
    ok("type add help --name Help --route user:bob --accept-within 4h --resolve-within 1d "
       "--field ref:text")
    ok("type add purchase --name Purchase --route user:carol --approver zhao")
    ok("type add leave --name Leave --route user:carol --approver manager")
    ok("user add tina --name 'Tina Top' --dept teaching")
    ok("user add lee --name 'Lee Lead' --dept teaching --manager tina")
    ok("user add dan --name 'Dan Doer' --dept teaching --manager lee")
    ok("type add lesson --name Lesson --route user:dan")
    ok("customer add C3 --name 'Wang Fang' --consultant sun")
    ok("access add sales-system --name 'Sales system' --types renewal")


@pytest.fixture(scope="session")
def life_template(tmp_path_factory, seeded_template):
    base = tmp_path_factory.mktemp("life-template")
    copy_desk(seeded_template, base / "desk.db")
    with isolated_env(base) as path:
        seed_life()
    return path


@pytest.fixture
def life_desk(isolated, life_template, store_kind, request):
    """The seeded desk plus seed_life(), copied from a per-session template."""
    if store_kind == "postgres":
        if "seeded" not in request.getfixturevalue("pg_templates"):
            pg_copy(request, "seeded", seed_desk)
        return pg_copy(request, "life", seed_life, base_template="seeded")
    return copy_desk(life_template, isolated / "desk.db")


def drain(leader: int) -> bytes:
    """All a pseudo-terminal's other end wrote, once that end is closed."""
    import os

    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


# --- added for the tickets area on PostgreSQL (test_policy, test_list, ...) -----------------

def pg_copy_on(request, name: str, build, base: str) -> str:
    """pg_copy() of a template built on top of the session's `seeded` or `life` template,
    which is built first if no test has needed it yet."""
    templates = request.getfixturevalue("pg_templates")
    if "seeded" not in templates:
        pg_copy(request, "seeded", seed_desk)
    if base == "life" and "life" not in templates:
        pg_copy(request, "life", seed_life, base_template="seeded")
    return pg_copy(request, name, build, base_template=base)


def second_desk(request, tmp_path, name: str = "other") -> str:
    """Where a test puts a second desk (to move things into) on the store under test: a
    file beside the first, or a second database of the cluster (no desk in it yet)."""
    if request.getfixturevalue("store_kind") == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        return cluster.url(cluster.new_database())
    return str(tmp_path / f"{name}.db")
