"""setup.py declares exactly what the code imports: every library in install_requires and
the runtime extras is imported by deskcli/, every library deskcli/ imports is declared,
and the test extra covers what tests/, bench/ and tools/ import (plus the tools the test
suite and CI run as commands). Read with `ast`, so nothing needs to be installed."""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# distribution name -> the name it is imported by, where the two differ
IMPORT_NAMES = {
    "chinesecalendar": "chinese_calendar",
    "python-dateutil": "dateutil",
    "sqlite-utils": "sqlite_utils",
    "tomli-w": "tomli_w",
    "pyyaml": "yaml",
    "psycopg2-binary": "psycopg2",
}
# declared for the test run but run as commands, never imported
COMMANDS = {
    "ruff": "CI's lint step (.ci/run) and the README's check",
    "wheel": "`pip wheel --no-build-isolation` in tests/test_docs.py",
    "pytest_xdist": "`pytest -n auto`: the README's test command and .ci/run",
}


def setup_call() -> dict:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "setup")
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords
            if kw.arg in ("install_requires", "extras_require")}


def import_name(requirement: str) -> str:
    dist = re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower().replace("_", "-")
    return IMPORT_NAMES.get(dist, dist.replace("-", "_").replace(".", "_"))


def imported(*folders: str) -> set[str]:
    """Top-level names of the absolute imports in the folders' .py files, neither the
    standard library nor our own modules."""
    names: set[str] = set()
    local = {"deskcli", "conftest", *folders}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            local.add(path.stem)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - local


def test_runtime_dependencies_are_exactly_what_the_package_imports():
    setup = setup_call()
    runtime = {import_name(r) for r in setup["install_requires"]}
    extras = {import_name(r) for name, reqs in setup["extras_require"].items()
              if name != "test" for r in reqs}
    used = imported("deskcli")
    assert used - runtime - extras == set(), "imported by deskcli/ but not declared"
    assert runtime - used == set(), "declared in install_requires but never imported"
    assert extras - used == set(), "declared in an extra but never imported by deskcli/"


def test_the_test_extra_covers_what_tests_bench_and_tools_import():
    setup = setup_call()
    declared = {import_name(r) for reqs in setup["extras_require"].values() for r in reqs}
    declared |= {import_name(r) for r in setup["install_requires"]}
    test_extra = {import_name(r) for r in setup["extras_require"]["test"]}
    used = imported("tests", "bench", "tools")
    assert used - declared == set(), "imported by tests/bench/tools but not declared"
    assert test_extra - used - set(COMMANDS) - imported("deskcli") == set(), (
        "in the test extra but neither imported nor run as a command")


def test_the_checker_sees_lazy_imports_and_names_distributions_right():
    # a library imported inside a function counts (all of deskcli's heavy imports are lazy)
    assert {"jinja2", "tomli_w", "chinese_calendar", "click"} <= imported("deskcli")
    assert import_name("python-dateutil>=2.8") == "dateutil"
    assert import_name("sqlite-utils>=3.35") == "sqlite_utils"
    assert import_name("Jinja2>=3.1") == "jinja2"
    assert import_name("flufl.bounce") == "flufl_bounce"
