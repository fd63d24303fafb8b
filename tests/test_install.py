"""Install the package the way a newcomer does -- `pip install .` (not editable) into a
fresh virtual environment -- and run a ticket round trip through the installed `deskcli`
command, so a schema.sql, template, glossary or man page missing from the wheel fails here."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import query

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist",
                                ".venv", "venv", "tests", "bench", ".pytest_cache",
                                ".ruff_cache", "*.db", "*.db-wal", "*.db-shm")


def venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with deskcli installed from a copy of the tree (not editable)."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(
        [str(venv_bin(venv, "python")), "-m", "pip", "install", "--quiet", str(source)],
        env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    # the installed copy must stand on its own: the tree moves away (kept for the
    # postgres extra, installed later into this venv by the PostgreSQL desk's test)
    source.rename(base / "kept")
    return venv


@pytest.fixture
def deskcli(installed, tmp_path):
    """Run the installed `deskcli` in an empty folder with an isolated environment."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DESKCLI_", "XDG_")) and k not in ("PYTHONPATH",)}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"),
               DESKCLI_DB=str(tmp_path / "desk.db"), DESKCLI_NOW="2026-11-28T09:00:00Z",
               DESKCLI_USER="alice")
    work = tmp_path / "work"
    work.mkdir()

    def run(*args, input=None, check=True):
        proc = subprocess.run([str(venv_bin(installed, "deskcli")), *args], cwd=work, env=env,
                              input=input, capture_output=True, text=True, timeout=120)
        if check:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    run.env, run.cwd = env, work
    return run


@pytest.mark.slow
def test_the_installed_package_is_not_the_source_tree(installed, tmp_path):
    code = ("import deskcli, deskcli.resources as r; print(deskcli.__file__); "
            "print(r.resource('schema.sql')); print(r.resource('templates'))")
    proc = subprocess.run([str(venv_bin(installed, "python")), "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    module, schema, templates = (Path(line) for line in proc.stdout.splitlines())
    for path in (module, schema, templates):
        assert installed in path.parents, path
    assert schema.read_text(encoding="utf-8") == (ROOT / "schema.sql").read_text(
        encoding="utf-8")
    shipped = sorted(p.relative_to(ROOT / "templates").as_posix()
                     for p in (ROOT / "templates").rglob("*") if p.is_file())
    got = sorted(p.relative_to(templates).as_posix() for p in templates.rglob("*")
                 if p.is_file())
    assert shipped and got == shipped
    glossary = templates.parent / "glossary" / "synonyms.txt"  # the starter synonyms
    assert glossary.read_text(encoding="utf-8") == (ROOT / "glossary" / "synonyms.txt"
                                                    ).read_text(encoding="utf-8")
    assert (installed / "share" / "man" / "man1" / "deskcli.1").exists()
    # every module of every folder (find_packages finds the sub-packages: tickets/, faq/, ...)
    sources = sorted(p.relative_to(ROOT / "deskcli").as_posix()
                     for p in (ROOT / "deskcli").rglob("*.py"))
    got = sorted(p.relative_to(module.parent).as_posix() for p in module.parent.rglob("*.py"))
    assert "tickets/life.py" in sources and got == sources


@pytest.mark.slow
def test_init_and_a_ticket_round_trip_through_the_installed_command(deskcli, tmp_path):
    assert "Usage: deskcli" in deskcli("--help").stdout
    assert deskcli("--version").stdout.startswith("deskcli ")
    missing = deskcli("ticket", "list", check=False)
    assert missing.returncode == 3 and "deskcli init --admin" in missing.stderr
    assert deskcli("init", "--admin", "alice", "--desk-name", "Installed").stdout.strip() == \
        str(tmp_path / "desk.db")
    assert oct((tmp_path / "desk.db").stat().st_mode & 0o777) == "0o600"
    deskcli("dept", "add", "support", "--name", "Support", "--head", "alice")
    deskcli("user", "add", "bob", "--name", "Bob", "--dept", "support")
    deskcli("customer", "add", "C1", "--name", "张伟", "--consultant", "bob")
    deskcli("type", "add", "crash", "--name", "App crash", "--field", "phone_model:text!",
            "--field", "os:choice!=iOS|Android", "--route", "least-loaded:support",
            "--cc", "dept:support", "--accept-within", "2h", "--step", "Reproduce")
    bad = deskcli("ticket", "open", "--type", "crash", "--title", "x", "--field", "os=Symbian",
                  check=False)
    assert bad.returncode == 2 and "phone_model is required" in bad.stderr
    opened = deskcli("ticket", "open", "--type", "crash", "--title", "登录闪退",
                     "--customer", "C1", "--field", "phone_model=iPhone 15", "--field", "os=iOS",
                     "--body-file", "-", "--source", "phone", input="Crashes at login\n")
    assert opened.stdout.strip() == "1"
    listed = json.loads(deskcli("ticket", "list", "--json").stdout)
    assert [(t["id"], t["title"], t["assignee"], t["cc"]) for t in listed] == [
        (1, "登录闪退", "bob", ["alice"])]
    shown = json.loads(deskcli("ticket", "show", "1", "--json").stdout)
    assert shown["accept_due_at"] == "2026-11-28T11:00:00Z"
    assert shown["body"] == "Crashes at login\n"
    assert [s["text"] for s in shown["checklist"]] == ["Reproduce"]
    assert [e["kind"] for e in shown["events"]][:2] == ["opened", "assigned"]
    assert "登录闪退" in deskcli("ticket", "show", "1").stdout
    assert json.loads(deskcli("ticket", "list", "--search", "登录", "--json").stdout)[0]["id"] == 1
    # init loaded the shipped glossary: 登陆 (a common typo) finds 登录
    assert json.loads(deskcli("faq", "synonym", "list", "--source", "glossary", "--json").stdout)
    assert json.loads(deskcli("ticket", "list", "--search", "登陆闪退", "--json").stdout)[0][
        "id"] == 1
    exported = deskcli("ticket", "export").stdout
    assert json.loads(exported)["title"] == "登录闪退"
    assert deskcli("db", "check").stdout.strip() == "ok"
    assert json.loads(deskcli("version", "--json").stdout)["schema_version"] >= 1
    completion = deskcli("completion", "bash").stdout
    assert "_DESKCLI_COMPLETE" in completion


@pytest.mark.slow
@pytest.mark.slow
def test_a_postgresql_desk_needs_the_extra_and_works_with_it(installed, deskcli, store_kind,
                                                             request):
    """Without psycopg2 a postgresql:// desk names the package to install (exit 1, the
    documented status of any other error) and writes nothing; after
    `pip install '.[postgres]'` into the same venv the installed deskcli inits a desk on
    the leg's PostgreSQL server, opens a ticket and lists it."""
    if store_kind != "postgres":
        pytest.skip("needs the postgres leg's server (and installs the extra into the venv)")
    cluster = request.getfixturevalue("pg_cluster")
    database = cluster.new_database("template1")  # an empty database, as from createdb
    url = cluster.url(database)
    try:
        python = str(venv_bin(installed, "python"))
        has_driver = subprocess.run([python, "-c", "import psycopg2"], capture_output=True)
        assert has_driver.returncode != 0, "the plain install brought psycopg2 in"
        for args in (("init", "--admin", "alice"), ("ticket", "list")):
            missing = deskcli("--db", url, *args, check=False)
            assert missing.returncode == 1, missing
            assert missing.stderr.startswith("Error: this desk is on PostgreSQL, and the "
                                             "PostgreSQL driver is not installed")
            assert "pip install 'deskcli[postgres]'" in missing.stderr
            assert "psycopg2-binary" in missing.stderr and "Traceback" not in missing.stderr
        assert query(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == \
            [(0,)]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        kept = installed.parent / "kept"
        added = subprocess.run([python, "-m", "pip", "install", "--quiet", f"{kept}[postgres]"],
                               env=env, capture_output=True, text=True, timeout=900)
        assert added.returncode == 0, added.stdout + added.stderr
        assert deskcli("--db", url, "init", "--admin", "alice", "--desk-name", "Server"
                       ).stdout.strip() == url
        deskcli("--db", url, "type", "add", "it", "--name", "IT", "--route", "user:alice")
        opened = deskcli("--db", url, "ticket", "open", "--type", "it", "--title", "打印机卡纸",
                         "--json")
        assert json.loads(opened.stdout)["id"] == 1
        listed = json.loads(deskcli("--db", url, "ticket", "list", "--json").stdout)
        assert [(t["id"], t["title"], t["assignee"]) for t in listed] == [
            (1, "打印机卡纸", "alice")]
        assert query(url, "SELECT title FROM tickets") == [("打印机卡纸",)]
    finally:
        cluster.drop_database(database)


@pytest.mark.slow
def test_python_dash_m_runs_the_installed_package(installed, deskcli):
    proc = subprocess.run([str(venv_bin(installed, "python")), "-m", "deskcli", "version",
                           "--json"], cwd=deskcli.cwd, env=deskcli.env, capture_output=True,
                          text=True, check=True)
    assert json.loads(proc.stdout)["desk"] is None


@pytest.mark.slow
def test_man_page_found_through_a_symlink_to_the_venv(installed, deskcli, tmp_path):
    """/usr/local/bin/deskcli -> venv/bin/deskcli: `man deskcli` cannot find the page from
    PATH, `deskcli man` can, and --manpath names a folder man(1) searches."""
    bin_dir = tmp_path / "usr-local-bin"
    bin_dir.mkdir()
    (bin_dir / "deskcli").symlink_to(venv_bin(installed, "deskcli"))
    env = dict(deskcli.env, PATH=f"{bin_dir}:/usr/bin:/bin")
    env.pop("MANPATH", None)

    def linked(*args):
        return subprocess.run(["deskcli", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    page = installed / "share" / "man" / "man1" / "deskcli.1"
    assert linked("man", "--path").stdout.strip() == str(page)
    folder = linked("man", "--manpath").stdout.strip()
    assert folder == str(installed / "share" / "man")
    if shutil.which("man") is None:
        pytest.skip("man(1) is not installed")
    found = subprocess.run(["man", "-w", "deskcli"], env=dict(env, MANPATH=folder),
                           capture_output=True, text=True)
    assert found.stdout.strip() == str(page)
    shown = linked("man")
    assert shown.returncode == 0, shown.stderr
    assert "deskcli" in shown.stdout and "EXIT STATUS" in shown.stdout
