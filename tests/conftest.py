"""Every test runs against its own desk file in tmp_path, at a fixed moment, with no
trace of the user's own settings: $DESKCLI_DB, $DESKCLI_NOW, $XDG_* and $HOME point into
tmp_path. Commands run through click's CliRunner the way a user types them."""

import json
import shlex
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from deskcli.cli import main

NOW = "2026-11-28T09:00:00Z"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("DESKCLI_DB", str(tmp_path / "desk.db"))
    monkeypatch.setenv("DESKCLI_NOW", NOW)
    for name in ("DESKCLI_USER", "DESKCLI_DEBUG", "EDITOR", "VISUAL"):
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
def desk(isolated):
    seed_desk()
    return isolated / "desk.db"


# --- added for the foundation tests (test_desk, test_people, test_open, test_list ...) ----

def set_active(db_path, login: str, active: bool = False) -> None:
    """Mark a user inactive (or active) directly in the desk file, the state a departure
    leaves behind, so routing fallbacks can be tested without the departure command."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        changed = conn.execute("UPDATE users SET active = ? WHERE login = ?",
                               (int(active), login)).rowcount
        conn.commit()
    finally:
        conn.close()
    assert changed == 1, f"no user {login!r}"


def db_count(db_path, table: str) -> int:
    """Rows in a table of the desk file (to prove that nothing was written)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


class isolated_env:
    """The environment of the `isolated` fixture, for desks built once per session:
    `with isolated_env(base) as path:` points $DESKCLI_DB at base/desk.db."""

    def __init__(self, base):
        self.base = base
        self.mp = pytest.MonkeyPatch()

    def __enter__(self):
        home = self.base / "home"
        home.mkdir(exist_ok=True)
        self.mp.setenv("HOME", str(home))
        self.mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        self.mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        self.mp.setenv("DESKCLI_DB", str(self.base / "desk.db"))
        self.mp.setenv("DESKCLI_NOW", NOW)
        self.mp.setenv("USER", "nobody-here")
        self.mp.setenv("LOGNAME", "nobody-here")
        for name in ("DESKCLI_USER", "DESKCLI_DEBUG", "EDITOR", "VISUAL"):
            self.mp.delenv(name, raising=False)
        return self.base / "desk.db"

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


@pytest.fixture
def seeded_desk(isolated, seeded_template):
    """The same desk as the `desk` fixture, copied from a template seeded once per
    session: seeding through the CLI for every test is slow."""
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
def life_desk(isolated, life_template):
    """The seeded desk plus seed_life(), copied from a per-session template."""
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
