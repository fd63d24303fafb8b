"""A desk shared by a Unix group (`init --group`) and `mail check`.

The group is the test process's own primary group, so the tests need no root; the checks
of a user who is locked out run only as a non-root user (root may enter any folder)."""

import grp
import json
import os
import sqlite3
import stat

import pytest

from tests.conftest import is_pg, ok, run

GROUP = grp.getgrgid(os.getegid()).gr_name


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_group_creates_a_shared_desk_in_a_setgid_folder(tmp_path):
    desk = tmp_path / "srv" / "desks" / "brand-a.db"
    ok(f"--db {desk} init --admin alice --group {GROUP}", as_user=None)
    folder = desk.parent
    assert mode(folder) == 0o2770 and os.stat(folder).st_gid == os.getegid()
    assert mode(desk) == 0o660 and os.stat(desk).st_gid == os.getegid()
    # while someone holds the desk open, a command's -wal and -shm get the desk's mode
    holder = sqlite3.connect(desk)
    holder.execute("SELECT count(*) FROM users").fetchone()
    ok(f"--db {desk} dept add support --name Support")
    for suffix in ("-wal", "-shm"):
        assert mode(f"{desk}{suffix}") == 0o660, suffix
        assert os.stat(f"{desk}{suffix}").st_gid == os.getegid()
    holder.close()
    backup = tmp_path / "backups" / "a.db"
    ok(f"--db {desk} db backup {backup}")
    assert mode(backup) == 0o660 and os.stat(backup).st_gid == os.getegid()


@pytest.mark.sqlite_only(reason="the modes of the desk file and of its backup file")
def test_without_group_the_desk_and_its_backups_stay_private(tmp_path):
    ok("init --admin alice", as_user=None)
    assert mode(tmp_path / "desk.db") == 0o600
    ok(f"db backup {tmp_path / 'b.db'}")
    assert mode(tmp_path / "b.db") == 0o600


def test_init_group_in_an_existing_folder_says_what_it_lacks(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir(mode=0o755)
    result = ok(f"--db {folder / 'a.db'} init --admin alice --group {GROUP}", as_user=None)
    assert "not a setgid folder" in result.err and f"chmod 2770 {folder}" in result.err
    assert mode(folder / "a.db") == 0o660
    assert mode(folder) == 0o755  # deskcli does not change a folder it did not create


def test_init_with_an_unknown_group_creates_nothing(tmp_path):
    result = run(f"--db {tmp_path / 'x' / 'a.db'} init --admin alice "
                 "--group no-such-group-here", as_user=None)
    assert result.code == 3 and "groupadd no-such-group-here" in result.err
    assert not (tmp_path / "x").exists()


def mail_ready_desk():
    ok("init --admin alice", as_user=None)
    ok("type add email --name E-mail --route manual")
    ok("access add mail-in --name 'Mail in' --types email")


def test_mail_check_passes_on_a_ready_desk(tmp_path):
    mail_ready_desk()
    ok("config set mail.type email")
    ok("config set mail.from 'Desk <desk@example.com>'")
    result = ok("--as mail-in mail check", as_user=None)
    lines = result.out.splitlines()
    files = [] if is_pg(os.environ["DESKCLI_DB"]) else [  # a PostgreSQL desk has no files
        ["ok", "folder"], ["ok", "desk"], ["ok", "desk-wal"], ["ok", "desk-shm"]]
    assert [line.split()[:2] for line in lines] == [
        *files, ["ok", "open"], ["ok", "write"], ["ok", "mail.type"], ["ok", "identity"],
        ["ok", "mail.from"]]
    assert "mail is filed as mail-in, an active access client (from --as)" in result.out
    checks = json.loads(ok("--as mail-in mail check --json", as_user=None).out)
    assert {c["check"]: c["state"] for c in checks}["identity"] == "ok"
    if files == []:
        return
    # a shared desk in a folder that is not setgid: -wal and -shm may get the wrong group
    os.chmod(tmp_path / "desk.db", 0o660)
    os.chmod(tmp_path, 0o770)
    warned = ok("--as mail-in mail check", as_user=None).out
    assert "warn  desk-wal" in warned and f"fix: chmod g+s {tmp_path}" in warned


def test_mail_check_fails_with_the_fix(tmp_path):
    mail_ready_desk()
    result = run("--as mail-in mail check", as_user=None)
    assert result.code == 1
    assert "FAIL  mail.type" in result.out and "fix: deskcli config set mail.type" in result.out
    ok("type add other --name Other")
    ok("config set mail.type other")
    refused = run("--as mail-in mail check", as_user=None)
    assert refused.code == 1 and "may not open other tickets" in refused.out
    unknown = run("--as ghost mail check", as_user=None)
    assert unknown.code == 1 and "FAIL  identity  unknown user 'ghost'" in unknown.out


def test_mail_check_without_a_desk(tmp_path):
    result = run(f"--db {tmp_path / 'none' / 'a.db'} --as mail-in mail check", as_user=None)
    assert result.code == 1 and "FAIL  folder" in result.out and "does not exist" in result.out
    result = run("--as mail-in mail check", as_user=None)
    if is_pg(os.environ["DESKCLI_DB"]):  # an empty database: it opens no desk
        assert result.code == 1 and "FAIL  open      no desk in the database" in result.out
    else:
        assert result.code == 1 and "FAIL  desk      no desk at" in result.out


@pytest.mark.skipif(os.geteuid() == 0, reason="root may enter any folder")
def test_mail_check_as_a_user_locked_out(tmp_path):
    mail_ready_desk()
    os.chmod(tmp_path / "desk.db", 0o400)
    result = run("--as mail-in mail check", as_user=None)
    assert result.code == 1 and "FAIL  desk" in result.out and "chmod 660" in result.out
    os.chmod(tmp_path / "desk.db", 0o600)
    locked = tmp_path / "locked"
    locked.mkdir()
    os.rename(tmp_path / "desk.db", locked / "desk.db")
    os.chmod(locked, 0o600)
    try:
        result = run(f"--db {locked / 'desk.db'} --as mail-in mail check", as_user=None)
    finally:
        os.chmod(locked, 0o700)
    assert result.code == 1 and "cannot enter" in result.out


@pytest.mark.skipif(os.geteuid() == 0, reason="root may give files to any group")
def test_init_group_refuses_a_group_you_are_not_in(tmp_path):
    mine = {os.getegid(), *os.getgroups()}
    other = next((g.gr_name for g in grp.getgrall() if g.gr_gid not in mine), None)
    if other is None:
        pytest.skip("no group here that this user is not in")
    result = run(f"--db {tmp_path / 'x' / 'a.db'} init --admin alice --group {other}",
                 as_user=None)
    assert result.code == 4 and "not a member" in result.err
    assert not (tmp_path / "x").exists()
