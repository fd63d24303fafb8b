"""The desk itself: init, where the desk file is, whoami, version, config, db."""

import json
import os
import sqlite3
import stat

import pytest
from conftest import NOW, execute, is_pg, ok, query, run

from deskcli import __version__


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def user_version(path) -> int:
    """The desk's schema version: SQLite's user_version, PostgreSQL's migrations applied."""
    if is_pg(path):
        return query(path, "SELECT count(*) FROM migrations")[0][0]
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()



@pytest.fixture
def desk(seeded_desk):
    """conftest's seeded desk, copied from a per-session template (same content, faster)."""
    return seeded_desk

# --- init and where the desk lives ----------------------------------------------------------

def test_init_creates_a_private_desk_with_its_admin_and_name(isolated):
    result = ok("init --admin alice --name 'Alice Wang' --email alice@example.com "
                "--desk-name 'Brand A' --timezone Asia/Shanghai --locale zh", as_user=None)
    path = os.environ["DESKCLI_DB"]
    assert result.out.strip() == path
    assert "deskcli dept add" in result.err  # tells a newcomer what to do next
    who = ok("whoami --json").json
    assert (who["login"], who["name"], who["role"], who["email"]) == (
        "alice", "Alice Wang", "admin", "alice@example.com")
    assert who["desk_name"] == "Brand A"
    assert ok("config get timezone").out.strip() == "Asia/Shanghai"
    assert ok("config get locale").out.strip() == "zh"
    if not is_pg(path):  # the file's own mechanics: owner-only, in WAL mode
        assert mode(path) == 0o600
        assert query(path, "PRAGMA journal_mode") == [("wal",)]


def test_init_mode_is_owner_only_whatever_the_umask(isolated):
    old = os.umask(0)
    try:
        ok(f"--db {isolated / 'open.db'} init --admin alice", as_user=None)
    finally:
        os.umask(old)
    assert mode(isolated / "open.db") == 0o600


def test_init_over_an_empty_file_makes_it_owner_only(isolated):
    path = isolated / "touched.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    ok(f"--db {path} init --admin alice", as_user=None)
    assert mode(path) == 0o600


def test_init_refuses_an_existing_desk_and_leaves_it_alone(desk):
    before = None if is_pg(desk) else desk.read_bytes()
    users = query(desk, "SELECT count(*) FROM users")
    result = run("init --admin mallory", as_user=None)
    assert result.code == 5
    assert "already exists" in result.err
    assert ok("user list --json").json[0]["login"] == "alice"
    assert query(desk, "SELECT count(*) FROM users") == users
    if before is not None:
        assert len(desk.read_bytes()) == len(before)


def test_init_rejects_bad_input_and_writes_no_file(isolated):
    for args, word in (("init --admin 'bad login'", "not a valid login"),
                       ("init --admin alice --email nope", "not an e-mail"),
                       ("init --admin alice --timezone Mars/Base", "unknown time zone")):
        result = run(args, as_user=None)
        assert result.code == 2, result
        assert word in result.err
        assert not (isolated / "desk.db").exists()


def test_db_option_wins_over_desk_option_and_environment(isolated):
    ok(f"--db {isolated / 'a.db'} init --admin alice", as_user=None)
    assert (isolated / "a.db").exists()
    assert not (isolated / "desk.db").exists()
    ok("config set desks.other " + str(isolated / "other.db"))
    # --db beats --desk and $DESKCLI_DB
    who = ok(f"--db {isolated / 'a.db'} --desk other whoami --json").json
    assert who["desk"] == str(isolated / "a.db")


def test_deskcli_db_environment_names_the_file(isolated):
    ok("init --admin alice", as_user=None, env={"DESKCLI_DB": str(isolated / "env.db")})
    assert (isolated / "env.db").exists()
    who = ok("whoami --json", env={"DESKCLI_DB": str(isolated / "env.db")}).json
    assert who["desk"] == str(isolated / "env.db")


def test_default_desk_lives_under_the_xdg_data_folder(isolated):
    env = {"DESKCLI_DB": None}
    result = ok("init --admin alice", as_user=None, env=env)
    expected = isolated / "home" / ".local" / "share" / "deskcli" / "desk.db"
    assert result.out.strip() == str(expected)
    assert mode(expected) == 0o600
    assert ok("whoami --json", env=env).json["desk"] == str(expected)


def test_named_desks_come_from_the_config_file_or_the_data_folder(isolated):
    env = {"DESKCLI_DB": None}
    data = isolated / "home" / ".local" / "share" / "deskcli"
    # a name not in the config file lives in the data folder
    ok("--desk brand-a init --admin alice", as_user=None, env=env)
    assert (data / "brand-a.db").exists()
    # a name in the config file's [desks] table lives where it says
    ok(f"config set desks.brand-b {isolated / 'elsewhere' / 'b.db'}", as_user=None, env=env)
    ok("--desk brand-b init --admin bob", as_user=None, env=env)
    assert mode(isolated / "elsewhere" / "b.db") == 0o600
    assert ok("--desk brand-b whoami --json", as_user="bob", env=env).json["login"] == "bob"
    assert run("--desk brand-a whoami", as_user="bob", env=env).code == 4
    # --desk beats $DESKCLI_DB
    env_set = {"DESKCLI_DB": str(isolated / "nothing-here.db")}
    assert ok("--desk brand-a whoami --json", env=env_set).json["desk"] == str(
        data / "brand-a.db")
    # the personal `desk` setting picks the desk when nothing else is given
    ok("config set desk brand-b", as_user=None, env=env)
    assert ok("whoami --json", as_user="bob", env=env).json["desk"] == str(
        isolated / "elsewhere" / "b.db")
    # ... but $DESKCLI_DB beats it
    assert run("whoami", as_user="bob", env=env_set).code == 3


def test_bad_desk_name_is_invalid(isolated):
    result = run("--desk '../etc' whoami")
    assert result.code == 2
    assert "not a desk name" in result.err


@pytest.mark.parametrize("args", ["ticket list", "whoami", "user list", "db check",
                                  "type show x", "config get locale"])
def test_a_missing_desk_says_how_to_create_one(isolated, desk_location, args):
    result = run(args)
    assert result.code in (2, 3), result
    assert result.out == ""
    assert "deskcli init --admin" in result.err or "needs a desk" in result.err
    assert "Traceback" not in result.err
    # looking does not create a desk
    if is_pg(desk_location):
        assert query(desk_location, "SELECT count(*) FROM users") == [(0,)]
    else:
        assert not (isolated / "desk.db").exists()


def test_missing_desk_message_names_the_path(isolated, desk_location):
    result = run("ticket list")
    assert result.code == 3
    assert desk_location in result.err
    assert "deskcli init --admin LOGIN" in result.err


@pytest.mark.sqlite_only(reason="a file of other bytes where the SQLite desk file should be; "
                                "a PostgreSQL database holds no file of ours")
def test_a_file_that_is_not_a_desk_is_reported_without_a_traceback(isolated):
    (isolated / "desk.db").write_text("this is not sqlite " * 100)
    result = run("ticket list")
    assert result.code == 65  # damaged, or not a desk at all
    assert result.err.startswith("Error: ")
    assert "not a deskcli desk" in result.err


# --- whoami and version ---------------------------------------------------------------------

def test_whoami_shows_identity_role_permissions_and_desk(desk):
    who = ok("whoami --json", as_user="bob").json
    assert who["login"] == "bob"
    assert who["role"] == "agent"
    assert who["dept"] == "support"
    assert who["manager"] == "mgr"
    assert who["identity_from"] == "$DESKCLI_USER"
    assert who["desk"] == str(desk)
    assert who["desk_name"] == "Test desk"
    assert "ticket.open" in who["permissions"]
    assert "type.manage" not in who["permissions"]
    table = ok("whoami", as_user="bob").out
    assert "bob" in table and "agent" in table


def test_version_with_and_without_a_desk(isolated):
    bare = ok("version --json", as_user=None).json
    assert bare["version"] == __version__
    assert bare["desk"] is None and bare["schema_version"] is None
    assert bare["schema_version_supported"] >= 1
    ok("init --admin alice", as_user=None)
    info = ok("version --json", as_user=None).json
    assert info["schema_version"] == bare["schema_version_supported"]
    assert info["desk"] == os.environ["DESKCLI_DB"]
    assert ok("--version", as_user=None).out.strip() == f"deskcli {__version__}"


# --- config ---------------------------------------------------------------------------------

def test_desk_settings_live_in_the_desk_and_are_shared(desk, isolated):
    assert ok("config get locale").out.strip() == "en"  # the default
    assert ok("config set locale zh").out.strip() == "locale=zh"
    # another user of the same desk sees it
    assert ok("config get locale", as_user="bob").out.strip() == "zh"
    got = ok("config get locale --json", as_user="bob").json
    assert got == {"key": "locale", "value": "zh", "scope": "desk", "default": "en"}
    # it is stored in the desk file, not in anyone's config file
    assert query(desk, "SELECT value FROM settings WHERE key='locale'") == [("zh",)]
    config_file = isolated / "home" / ".config" / "deskcli" / "config.toml"
    assert not config_file.exists()
    # another desk does not share it
    other = isolated / "other.db"
    ok(f"--db {other} init --admin alice", as_user=None)
    assert ok(f"--db {other} config get locale").out.strip() == "en"


def test_personal_settings_live_in_the_xdg_config_file(desk, isolated):
    ok("config set user bob")
    config_file = isolated / "home" / ".config" / "deskcli" / "config.toml"
    assert 'user = "bob"' in config_file.read_text()
    assert ok("config get user --json").json["scope"] == "personal"
    # and the personal user becomes the identity when nothing else names one
    assert ok("whoami --json", as_user=None).json["login"] == "bob"
    # the desk holds no such row
    assert query(desk, "SELECT count(*) FROM settings WHERE key='user'") == [(0,)]


def test_personal_config_file_escapes_control_characters(desk, isolated):
    import tomllib

    # a desk path with a tab, a newline, a quote, a backslash and a DEL: the old writer
    # escaped only the quote and the backslash, and the file no longer parsed
    odd = str(isolated / 'we"ird\\dir\tx\ny\x7f') + "/d.db"
    ok("config", "set", "desks.odd", odd)
    ok("config set user bob")
    config_file = isolated / "home" / ".config" / "deskcli" / "config.toml"
    with open(config_file, "rb") as handle:
        assert tomllib.load(handle) == {"user": "bob", "desks": {"odd": odd}}
    assert ok("config get desks.odd --json").json["value"] == odd
    # the desk is looked for where the path says (there is none there: not found)
    missing = run("--desk odd whoami", as_user="bob")
    assert missing.code == 3 and "x" in missing.err


def test_config_list_shows_scopes_and_all_shows_defaults(desk):
    ok("config set locale zh")
    ok("config set user alice")
    rows = {r["key"]: r for r in ok("config list --json").json}
    assert rows["locale"]["value"] == "zh" and rows["locale"]["scope"] == "desk"
    assert rows["locale"]["is_default"] is False
    assert rows["user"]["value"] == "alice" and rows["user"]["scope"] == "personal"
    assert rows["timezone"]["is_default"] is True
    assert "desk" not in rows  # unset personal setting without a default
    every = {r["key"] for r in ok("config list --all --json").json}
    assert {"desk", "user", "locale", "timezone", "visibility", "desk.name"} <= every
    assert "locale" in ok("config list").out


def test_config_unset_restores_the_default(desk):
    ok("config set timezone Asia/Shanghai")
    assert ok("config get timezone").out.strip() == "Asia/Shanghai"
    assert ok("config unset timezone").out.strip() == "timezone"
    assert ok("config get timezone").out.strip() == "UTC"
    ok("config set user bob")
    ok("config unset user")
    assert ok("config get user --json").json["value"] is None


def test_config_rejects_unknown_keys_and_bad_values(desk):
    result = run("config set lokale zh")
    assert result.code == 2
    assert "unknown setting 'lokale'" in result.err and "locale" in result.err
    result = run("config set locale fr")
    assert result.code == 2 and "en, zh" in result.err
    result = run("config set timezone Nowhere/Land")
    assert result.code == 2 and "time zone" in result.err
    assert ok("config get locale").out.strip() == "en"


def test_desk_settings_need_desk_configure(desk):
    result = run("config set locale zh", as_user="bob")
    assert result.code == 4
    assert "desk.configure" in result.err
    assert ok("config get locale").out.strip() == "en"
    # personal settings need no permission at all
    ok("config set user bob", as_user="bob")


def test_personal_settings_work_without_a_desk(isolated):
    ok("config set user carol", as_user=None)
    assert ok("config get user", as_user=None).out.strip() == "carol"
    result = run("config set locale zh", as_user=None)
    assert result.code == 2
    assert "needs a desk" in result.err


# --- db backup, check, migrate --------------------------------------------------------------

@pytest.mark.sqlite_only(reason="a copy of the desk file through SQLite's backup API, made "
                                "owner-only; a PostgreSQL desk's backup is a SQLite file (below)")
def test_db_backup_is_a_consistent_private_copy(desk, isolated):
    ok("ticket open --type renewal --title Renewal --customer C1 --field package=12")
    target = isolated / "backups" / "copy.db"
    assert ok(f"db backup {target}").out.strip() == str(target)
    assert mode(target) == 0o600
    copy = ok(f"--db {target} ticket list --json").json
    assert [t["title"] for t in copy] == ["Renewal"]
    again = run(f"db backup {target}")
    assert again.code == 5 and "already exists" in again.err
    refused = run(f"db backup {isolated / 'other.db'}", as_user="bob")
    assert refused.code == 4 and "desk.configure" in refused.err
    assert not (isolated / "other.db").exists()


def test_db_backup_of_a_postgres_desk_is_a_sqlite_file(desk, isolated, store_kind):
    if store_kind != "postgres":
        pytest.skip("the SQLite leg copies the file (the test above)")
    target = isolated / "backups" / "copy.db"
    refused = run(f"db backup {target}", as_user="bob")  # the permission comes first
    assert refused.code == 4 and "desk.configure" in refused.err
    assert not target.exists()
    result = ok(f"db backup {target}", as_user="alice")
    assert result.out.strip() == str(target)
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        logins = sorted(r[0] for r in conn.execute("SELECT login FROM users"))
    finally:
        conn.close()
    assert logins == sorted(r[0] for r in query(desk, "SELECT login FROM users"))
    assert ok(f"--db {target} db check", as_user="alice").out.strip() == "ok"


def test_db_check_reports_a_healthy_desk(desk):
    result = ok("db check")
    assert result.out.strip() == "ok"


def test_db_check_reports_broken_foreign_keys(desk):
    # PostgreSQL enforces foreign keys: a restore with its triggers off can break them
    off = "SET session_replication_role = replica; " if is_pg(desk) else ""
    assert execute(desk, off + "UPDATE users SET dept_id = 999 WHERE login = 'bob'") == 1
    result = run("db check")
    assert result.code == 1
    assert "foreign key" in result.err


def test_db_migrate_on_a_current_desk_changes_nothing(desk):
    result = ok("db migrate")
    assert result.out.strip() == str(user_version(desk))
    assert "up to date" in result.err
    if not is_pg(desk):  # (a PostgreSQL desk's migration keeps no copy of a file)
        assert not list(desk.parent.glob("desk.db.before-*"))


def test_events_are_append_only_in_the_database(desk):
    ok("ticket open --type renewal --title Renewal --customer C1 --field package=12")
    with pytest.raises(Exception, match="append-only"):  # sqlite3's or psycopg2's error
        execute(desk, "UPDATE events SET message = 'rewritten'")
    with pytest.raises(Exception, match="append-only"):
        execute(desk, "DELETE FROM events")
    assert query(desk, "SELECT count(*) FROM events WHERE message = 'rewritten'") == [(0,)]


def m_extra_dept_phone(conn):
    conn.execute("ALTER TABLE departments ADD COLUMN phone TEXT")


@pytest.fixture
def older_desk(isolated, monkeypatch):
    """A desk created when deskcli knew only m001, opened by a deskcli that knows every
    real migration plus one more registered here."""
    from deskcli.store import migrations

    real = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", real[:1])
    ok("init --admin alice --desk-name Old", as_user=None)
    ok("dept add support --name Support")
    path = isolated / "desk.db"
    assert user_version(path) == 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*real, m_extra_dept_phone])
    return path, [m.__name__ for m in real] + ["m_extra_dept_phone"]


OLDER = ("a desk made by a deskcli that knew only m001, and the copy of its file kept "
         "before a migration: a PostgreSQL desk starts at the baseline (its counterpart: "
         "test_db_migrate_upgrades_a_postgres_desk)")


@pytest.mark.sqlite_only(reason=OLDER)
def test_db_migrate_upgrades_an_older_desk_and_keeps_a_copy(older_desk):
    path, names = older_desk
    result = ok("db migrate")
    assert result.out.strip() == str(len(names))
    assert "m_extra_dept_phone" in result.err
    assert user_version(path) == len(names)
    conn = sqlite3.connect(path)
    applied = [r[0] for r in conn.execute("SELECT name FROM migrations")]
    assert sorted(applied) == sorted(names)
    assert "phone" in [r[1] for r in conn.execute("PRAGMA table_info(departments)")]
    stamp = NOW.replace("-", "").replace(":", "")
    backup = path.with_name(f"desk.db.before-v2-{stamp}")
    assert backup.exists()
    assert mode(backup) == 0o600
    assert user_version(backup) == 1
    kept = sqlite3.connect(backup)
    assert kept.execute("SELECT key FROM departments").fetchall() == [("support",)]
    assert "phone" not in [r[1] for r in kept.execute("PRAGMA table_info(departments)")]
    # the data survived the migration
    assert [d["key"] for d in ok("dept list --json").json] == ["support"]
    again = ok("db migrate")
    assert "up to date" in again.err
    assert len(list(path.parent.glob("desk.db.before-*Z"))) == 1


@pytest.mark.sqlite_only(reason=OLDER)
def test_any_command_migrates_an_older_desk_automatically(older_desk):
    path, names = older_desk
    ok("whoami")
    assert ok("version --json").json["schema_version"] == len(names)
    assert user_version(path) == len(names)
    assert len(list(path.parent.glob("desk.db.before-v2-*Z"))) == 1


def columns(path, table: str) -> list[str]:
    if is_pg(path):
        return [r[0] for r in query(path, "SELECT column_name FROM information_schema.columns "
                                          "WHERE table_schema = current_schema() "
                                          "AND table_name = ?", (table,))]
    return [r[1] for r in query(path, f"PRAGMA table_info({table})")]


def test_db_migrate_upgrades_a_postgres_desk(isolated, desk_location, monkeypatch):
    """A migration after the baseline runs its PostgreSQL twin, once, through `db migrate`
    or any command; the data stays."""
    from deskcli.store import migrations
    from deskcli.store.pg import migrations as pg_migrations

    if not is_pg(desk_location):
        pytest.skip("the SQLite leg migrates an older desk file (the tests above)")
    ok("init --admin alice --desk-name Old", as_user=None)
    ok("dept add support --name Support")
    current = user_version(desk_location)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m_extra_dept_phone])
    monkeypatch.setitem(pg_migrations.STEPS, "m_extra_dept_phone", m_extra_dept_phone)
    assert ok("version --json").json["schema_version"] == current
    result = ok("db migrate")
    assert result.out.strip() == str(current + 1)
    assert "m_extra_dept_phone" in result.err
    assert user_version(desk_location) == current + 1
    assert "phone" in columns(desk_location, "departments")
    assert [d["key"] for d in ok("dept list --json").json] == ["support"]
    assert "up to date" in ok("db migrate").err


def test_a_failing_migration_leaves_the_desk_as_it_was(isolated, desk_location, monkeypatch):
    from deskcli.store import migrations
    from deskcli.store.pg import migrations as pg_migrations

    ok("init --admin alice", as_user=None)
    path = desk_location
    current = user_version(path)

    def m_extra_broken(conn):
        conn.execute("ALTER TABLE departments ADD COLUMN phone TEXT")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m_extra_broken])
    monkeypatch.setitem(pg_migrations.STEPS, "m_extra_broken", m_extra_broken)
    result = run("ticket list")
    assert result.code == 1
    assert result.err.startswith("Error: ") and "Traceback" not in result.err
    assert user_version(path) == current
    assert "phone" not in columns(path, "departments")
    assert query(path, "SELECT count(*) FROM migrations") == [(current,)]


def test_a_desk_from_a_newer_deskcli_is_refused(desk):
    if is_pg(desk):  # its version is the number of migrations applied
        execute(desk, "INSERT INTO migrations (name, applied_at) SELECT 'm_future_' || g, "
                      "'2030-01-01T00:00:00Z' FROM generate_series(1, 99) g")
    else:
        execute(desk, "PRAGMA user_version = 99")
    result = run("ticket list")
    assert result.code == 1
    assert "newer" in result.err and "upgrade deskcli" in result.err


def test_json_from_version_is_parseable_on_its_own(isolated):
    out = ok("version --json", as_user=None).out
    assert json.loads(out)["version"] == __version__


# --- full-text index versions ------------------------------------------------------------------

def set_index_version(db, name: str, version: int) -> None:
    execute(db, "UPDATE search_index SET version = ? WHERE name = ?", (version, name))


def test_a_stale_ticket_index_is_reported_and_rebuilt_by_db_reindex(seeded_desk):
    for title in ("Printer jammed in room 3", "登录失败 after update"):
        ok(f"ticket open --type renewal --title '{title}' --customer C1 --field package=12")
    assert ok("db check").out.strip() == "ok"
    assert "db reindex" not in run("ticket list --search 登录").err
    set_index_version(seeded_desk, "ticket_fts", 0)  # as if built by an older tokenizer
    execute(seeded_desk, "DELETE FROM ticket_fts")  # and useless to this one
    checked = run("db check")
    assert checked.code == 1 and "tickets was built by another version" in checked.err
    searched = run("ticket list --search 登录 --json")
    assert searched.code == 0 and searched.json == [] and "deskcli db reindex" in searched.err
    assert run("db reindex", as_user="bob").code == 4  # an admin's job (desk.configure)
    counts = ok("db reindex --json", as_user="alice").json
    assert counts == {"tickets": 2, "faq": 0, "version": 1}
    assert [t["title"] for t in ok("ticket list --search 登录 --json").json] == [
        "登录失败 after update"]
    assert [t["title"] for t in ok("ticket list --search printers --json").json] == [
        "Printer jammed in room 3"]
    assert ok("db check").out.strip() == "ok"
    assert "db reindex" not in run("ticket list --search 登录").err
