"""`deskcli remind crontab`: the printed lines run under cron's bare environment.

The installed `deskcli` script of the Python running the tests (the project's virtual
environment) is called through a symlink, the way /usr/local/bin/deskcli often points
into a venv; the printed line is then run by /bin/sh under `env -i` with only what cron
gives a job (HOME, LOGNAME, PATH=/usr/bin:/bin, SHELL=/bin/sh)."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from deskcli.store import label
from tests.conftest import is_pg, ok, query, run

SCRIPT = Path(sys.executable).parent / "deskcli"
needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason="no installed deskcli script")


def deskcli(link: Path, *args, env: dict, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(link), *args], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 or not check, (args, proc.stdout, proc.stderr)
    return proc


def job_lines(text: str) -> list[str]:
    """The commands of a crontab's job lines (after the five time fields)."""
    return [line.split(None, 5)[5] for line in text.splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]


@needs_script
def test_printed_crontab_runs_under_cron_environment(tmp_path, desk_location):
    """On the store under test: a file in a folder of its own, or a PostgreSQL database
    (named by its URL in the jobs, with its log in deskcli's data folder)."""
    link = tmp_path / "bin" / "deskcli"
    link.parent.mkdir()
    link.symlink_to(SCRIPT)
    desk = desk_location if is_pg(desk_location) else tmp_path / "srv" / "brand-a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKCLI_")}
    env.update(DESKCLI_DB=str(desk), DESKCLI_USER="alice",
               DESKCLI_NOW="2026-11-28T09:00:00Z")
    deskcli(link, "init", "--admin", "alice", "--email", "alice@example.com", env=env)
    deskcli(link, "role", "add", "cron", "--permissions", "outbox.send,ticket.manage", env=env)
    deskcli(link, "user", "add", "desk-cron", "--name", "Desk cron", "--role", "cron",
            env=env)
    deskcli(link, "user", "add", "bob", "--name", "Bob", "--email", "bob@example.com", env=env)
    deskcli(link, "type", "add", "it", "--name", "IT", "--route", "user:bob",
            "--accept-within", "1h", "--nudge-every", "1h", env=env)
    deskcli(link, "ticket", "open", "--type", "it", "--title", "Printer", "-m", "Room 3",
            env=env)
    maildir = tmp_path / "mail"
    deskcli(link, "config", "set", "outbox.via", f"maildir:{maildir}", env=env)
    deskcli(link, "config", "set", "mail.from", "Desk <desk@example.com>", env=env)
    # the outbox holds the assignment notice; deliver it later, from cron
    printed = deskcli(link, "--as", "desk-cron", "remind", "crontab", env=env).stdout
    assert "SHELL=/bin/sh" in printed
    jobs = job_lines(printed)
    assert len(jobs) == 2
    program = os.path.realpath(SCRIPT)
    for job in jobs:
        words = shlex.split(job.split(" >>")[0])
        assert words[0] == program  # the symlink resolved to the venv's own script
        assert words[1:5] == ["--db", str(desk), "--as", "desk-cron"]
    assert jobs[0].split(" >>")[0].endswith("remind run")
    assert jobs[1].split(" >>")[0].endswith("outbox send")
    if is_pg(desk):
        log = Path(os.environ["XDG_DATA_HOME"]) / "deskcli" / f"{label(desk)}.cron.log"
    else:
        log = tmp_path / "srv" / "brand-a.cron.log"
    assert f">>{log} 2>&1" in jobs[0]

    home = tmp_path / "home-cron"
    home.mkdir()
    cron_env = {"HOME": str(home), "LOGNAME": "desk", "PATH": "/usr/bin:/bin",
                "SHELL": "/bin/sh"}
    for job in jobs:
        proc = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in cron_env.items()),
                               "/bin/sh", "-c", job], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, (job, proc.stdout, proc.stderr, log.read_text())
    # remind run (at the real time, long after the 1h accept SLA) nudged bob, and
    # outbox send delivered the notices into the maildir: the jobs worked on this desk
    kinds = [r[0] for r in query(desk, "SELECT kind FROM events ORDER BY id")]
    assert "nudged" in kinds
    assert query(desk, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == [(0,)]
    assert len(list((maildir / "new").iterdir())) >= 2
    assert log.read_text() == ""  # silent when all is well


@needs_script
def test_documented_line_without_full_path_fails_under_cron(tmp_path):
    """The reason for the command: a bare `deskcli` is not found with cron's PATH."""
    proc = subprocess.run(["env", "-i", "HOME=/", "PATH=/usr/bin:/bin", "SHELL=/bin/sh",
                           "/bin/sh", "-c", "deskcli remind run"],
                          capture_output=True, text=True, timeout=60)
    if Path("/usr/bin/deskcli").exists() or Path("/bin/deskcli").exists():
        pytest.skip("deskcli is installed system-wide here")
    assert proc.returncode == 127


def test_crontab_options_and_refusals(tmp_path):
    ok("init --admin alice", as_user=None)
    printed = ok("remind crontab --mailto ops@school.example").out
    assert "MAILTO=ops@school.example" in printed
    assert ">>" not in printed  # cron mails the output instead
    assert "outbox.via is not set" in run("remind crontab").err
    both = ok(f"remind crontab --mailto '' --log {tmp_path}/x%y.log").out
    assert "MAILTO=\n" in both and "x\\%y.log" in both  # % is a newline to cron
    ok("user add agent1 --name A")
    refused = run("remind crontab --user agent1")
    assert refused.code == 4 and "ticket.manage" in refused.err
    assert run("remind crontab --user ghost").code == 4

