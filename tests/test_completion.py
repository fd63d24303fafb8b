"""Shell completion from the desk, through click's completion protocol: the shell sets
_DESKCLI_COMPLETE=bash_complete, COMP_WORDS and COMP_CWORD, and reads "type,value"
lines."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskcli.cli import main
from tests.conftest import ok


def complete(line: str, env: dict | None = None) -> list[str]:
    """The values bash would offer for the last word of `line` (a trailing space: a new
    word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    result = CliRunner().invoke(main, [], prog_name="deskcli", env={
        "_DESKCLI_COMPLETE": "bash_complete", "COMP_WORDS": line,
        "COMP_CWORD": str(cword), **(env or {})}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [item.split(",", 1)[1] for item in result.stdout.splitlines() if item]


def test_logins_types_departments_customers_from_the_desk(desk):
    assert complete("deskcli ticket assign 1 --to ") == [
        "alice", "bob", "carol", "mgr", "sun", "viv", "zhao"]
    assert complete("deskcli ticket assign 1 --to c") == ["carol"]
    assert complete("deskcli ticket list --assignee ") [:3] == ["@me", "none", "alice"]
    assert complete("deskcli ticket open --type ") == ["crash", "renewal"]
    assert complete("deskcli ticket list --type crash,r") == ["crash,renewal"]
    assert complete("deskcli user list --dept s") == ["sales", "support"]
    assert complete("deskcli ticket open --customer C") == ["C1", "C2"]
    assert complete("deskcli ticket open --cc dept:t") == ["dept:teaching"]
    assert "dept:" in complete("deskcli ticket open --cc d")
    assert complete("deskcli user show z") == ["zhao"]


def test_as_offers_access_clients_too(desk):
    ok("access add sales-system --name Sales --types renewal")
    assert complete("deskcli --as s") == ["sales-system", "sun"]


def test_statuses_and_ticket_ids(desk):
    assert complete("deskcli ticket list --status in") == ["in_progress"]
    assert complete("deskcli ticket list --status new,a") == [
        "new,awaiting_approval", "new,assigned"]
    for title in ("One", "Two"):
        ok(f"ticket open --type renewal --title {title} --customer C1 --field package=12")
    ok("ticket accept 1", as_user="sun")
    assert complete("deskcli ticket show ") == ["2", "1"]  # newest open first
    assert complete("deskcli ticket note ") == ["2", "1"]
    assert complete("deskcli ticket close 1 ") == ["2", "1"]


def test_saved_views_and_the_db_option(desk, tmp_path):
    ok("view add mine --assignee @me --status open")
    assert complete("deskcli ticket list --view m") == ["mine"]
    assert complete("deskcli view remove ") == ["mine"]
    assert complete("deskcli --db ") == [""]  # type "file": the shell lists files
    result = CliRunner().invoke(main, [], prog_name="deskcli", env={
        "_DESKCLI_COMPLETE": "bash_complete", "COMP_WORDS": "deskcli --db ",
        "COMP_CWORD": "2"})
    assert result.stdout.splitlines() == ["file,"]


def test_another_desk_named_on_the_line(desk, other_location):
    other = other_location  # (a file, or a database on the postgres leg)
    ok(f"--db {other} init --admin zed", as_user=None)
    assert complete(f"deskcli --db {other} ticket assign 1 --to ") == ["zed"]
    assert complete("deskcli --db /nowhere/x.db ticket assign 1 --to ") == []
    assert complete("deskcli --desk 'bad name' ticket assign 1 --to ") == []


SCRIPT = Path(sys.executable).parent / "deskcli"


@pytest.mark.skipif(not SCRIPT.exists(), reason="no installed deskcli script")
def test_installed_script_completes_fast(desk):
    env = dict(os.environ, _DESKCLI_COMPLETE="bash_complete",
               COMP_WORDS="deskcli ticket assign 1 --to b", COMP_CWORD="5")
    started = time.perf_counter()
    proc = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    elapsed = time.perf_counter() - started
    assert proc.stdout.splitlines() == ["plain,bob"], proc.stderr
    assert elapsed < 2.0  # on a busy CI machine; ~0.1 s when it is quiet
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", str(SCRIPT)], env=env, capture_output=True,
        text=True, timeout=60).stderr
    for heavy in ("jinja2", "dateutil", "tabulate", "email.message"):
        assert f" {heavy}\n" not in imports, heavy
