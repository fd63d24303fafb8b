"""Files with personal data (issue 10, point 4): `ticket export -o`, `report ... -o` and
`ticket attachment` create their files 0600 whatever the umask, never write through a
symbolic link (a dangling one included), replace an existing file named with -o as a
whole, and leave it untouched when the command fails."""

import os
import stat

import pytest
from conftest import ok, run


@pytest.fixture
def here(seeded_desk, tmp_path, monkeypatch):
    """A seeded desk with one ticket carrying an attachment; the user's usual umask."""
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    (tmp_path / "plan.txt").write_text("Zhang Wei, 13800000001\n")
    ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=12")
    ok("ticket attach 1 plan.txt", as_user="sun")
    (tmp_path / "plan.txt").unlink()
    yield tmp_path
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


WRITERS = {  # how each command writes FILE
    "export": "ticket export -o {}",
    "report": "report summary -o {}",
    "attachment -o": "ticket attachment 1 plan.txt -o {}",
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_created_for_the_owner_only(here, writer):
    ok(WRITERS[writer].format("out.txt"))
    assert mode(here / "out.txt") == 0o600
    assert (here / "out.txt").read_text()


def test_an_attachment_without_o_is_created_for_the_owner_only(here):
    assert ok("ticket attachment 1 plan.txt").out.strip() == "plan.txt"
    assert mode(here / "plan.txt") == 0o600
    assert (here / "plan.txt").read_text() == "Zhang Wei, 13800000001\n"


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_an_existing_file_named_with_o_is_replaced_and_made_private(here, writer):
    (here / "out.txt").write_text("old\n")
    os.chmod(here / "out.txt", 0o644)
    ok(WRITERS[writer].format("out.txt"))
    assert (here / "out.txt").read_text() != "old\n"
    assert mode(here / "out.txt") == 0o600
    assert [p.name for p in here.iterdir() if p.name.endswith(".part")] == []


def test_an_existing_file_is_not_replaced_by_an_attachment_without_o(here):
    (here / "plan.txt").write_text("mine\n")
    result = run("ticket attachment 1 plan.txt")
    assert result.code == 5 and "plan.txt already exists" in result.err
    assert "-o FILE" in result.err
    assert (here / "plan.txt").read_text() == "mine\n"


@pytest.mark.parametrize("writer", sorted(WRITERS) + ["attachment"])
@pytest.mark.parametrize("dangling", [True, False])
def test_never_through_a_symbolic_link(here, writer, dangling):
    name = "plan.txt" if writer == "attachment" else "out.txt"
    victim = here / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    if not dangling:
        victim.write_text("keep me\n")
    os.symlink(victim, here / name)
    command = "ticket attachment 1 plan.txt" if writer == "attachment" else \
        WRITERS[writer].format(name)
    result = run(command)
    assert result.code == 5, result
    assert f"{name} is a symbolic link" in result.err
    assert ("dangling" in result.err) == dangling
    assert "does not write files through links" in result.err
    assert os.path.islink(here / name)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "keep me\n"


def test_a_refused_export_leaves_the_old_file_as_it_was(here):
    (here / "out.txt").write_text("yesterday's export\n")
    result = run("ticket export -o out.txt", as_user="viv")  # a viewer may not export
    assert result.code == 4
    assert (here / "out.txt").read_text() == "yesterday's export\n"
    assert sorted(p.name for p in here.iterdir() if p.name.startswith((".out", "out"))) == \
        ["out.txt"]


def test_a_folder_or_a_missing_folder_is_a_clear_error(here):
    for target, says in ((".", "is a folder"), ("nodir/x.jsonl", "cannot write nodir/x.jsonl")):
        result = run(f"ticket export -o {target}")
        assert result.code == 2 and says in result.err and "Traceback" not in result.err
