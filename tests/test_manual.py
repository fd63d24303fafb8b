"""The man page's date, and `deskcli man` in a source checkout."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ok, run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import gen_man  # noqa: E402


def test_th_line_has_the_version_date():
    from deskcli import __date__, __version__

    th = next(line for line in (ROOT / "man" / "deskcli.1").read_text().splitlines()
              if line.startswith(".TH "))
    assert re.fullmatch(r'\.TH DESKCLI 1 \d{4}-\d{2}-\d{2} "deskcli [^"]+" "deskcli manual"',
                        th), th
    assert th.split()[3] == gen_man.version_date(__version__, __date__)


def test_version_date_comes_from_the_changelog(tmp_path, monkeypatch):
    changelog = tmp_path / "CHANGELOG.md"
    monkeypatch.setattr(gen_man, "CHANGELOG", changelog)
    changelog.write_text("# Changelog\n\n## Unreleased\n\n## 0.9.0 - 2026-01-02\n\n"
                         "## [0.8.1] (2025-11-30)\n")
    assert gen_man.version_date("0.9.0", "2020-01-01") == "2026-01-02"
    assert gen_man.version_date("0.8.1", "2020-01-01") == "2025-11-30"
    assert gen_man.version_date("0.8", "2020-01-01") == "2020-01-01"  # not 0.8.1's
    assert gen_man.version_date("1.0.0", "2020-01-01") == "2020-01-01"
    with pytest.raises(SystemExit):
        gen_man.version_date("1.0.0", "someday")


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="mandoc is not installed")
def test_mandoc_finds_no_warnings():
    proc = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                           str(ROOT / "man" / "deskcli.1")], capture_output=True, text=True)
    assert proc.stdout + proc.stderr == ""


def test_deskcli_man_path_in_a_source_checkout():
    page = Path(ok("man --path", as_user=None).out.strip())
    assert page.read_bytes() == (ROOT / "man" / "deskcli.1").read_bytes() or \
        page.name == "deskcli.1"
    assert "Examples:" in ok("man --help", as_user=None).out
    if page.parent.name != "man1":  # a checkout has no man folder to add to MANPATH
        missing = run("man --manpath", as_user=None)
        assert missing.code == 3 and "man -l" in missing.err
