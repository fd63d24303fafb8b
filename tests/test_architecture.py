"""Data flows one way: cli -> services -> store. Read every module's imports and string
literals with `ast` and keep it that way:

* only deskcli/cli/ (and the program's entry points, deskcli/__main__.py and
  deskcli/launch.py) import click or print;
* nothing imports deskcli.cli except those entry points and deskcli/cli itself;
* no module outside deskcli/store/ holds SQL in a string literal (docstrings aside);
* the folders keep their layering (MAY_IMPORT: cli -> the domain folders -> store, the
  search core pure), pure modules stay pure, and no modules import each other in a cycle.
"""

import ast
import functools
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "deskcli"
MODULES = sorted(PACKAGE.rglob("*.py"))
SQL = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|(UNIQUE\s+)?INDEX|TRIGGER|VIRTUAL\s+TABLE|VIEW)|ALTER\s+TABLE|"
    r"DROP\s+(TABLE|INDEX|TRIGGER|VIEW)|PRAGMA\s+\w|BEGIN(\s+IMMEDIATE|\s+DEFERRED)?\s*$|"
    r"COMMIT\s*$|ROLLBACK\s*$|WHERE\s+\w+\s*(=|IN\b|IS\b|LIKE\b|MATCH\b)|"
    r"ON\s+CONFLICT|JOIN\s+\w+\s+\w+\s+ON)",
    re.MULTILINE)  # upper case, as our SQL is written: prose says "select" in lower case


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


@functools.cache
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions (lazy imports)."""
    names = set()
    package = rel(path)[:-3].replace("/", ".")
    if not path.name == "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__" and node.args
              and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
    return names


ENTRY_POINTS = ("deskcli/__main__.py", "deskcli/launch.py")  # (run the CLI: in its layer)


def in_cli(path: Path) -> bool:
    return rel(path).startswith("deskcli/cli/") or rel(path) in ENTRY_POINTS


def docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value,
                                                                     ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_strings(path: Path) -> list[str]:
    tree = parse(path)
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # f-strings: their literal parts, joined
            text = "".join(v.value if isinstance(v, ast.Constant) else " x "
                           for v in node.values)
            if SQL.search(text):
                found.append(f"line {node.lineno}: {text[:60]!r}")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in skip and SQL.search(node.value)):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


def test_the_package_is_found():
    names = {rel(p) for p in MODULES}
    assert {"deskcli/__main__.py", "deskcli/cli/__init__.py", "deskcli/store/__init__.py",
            "deskcli/tickets/opening.py", "deskcli/people/staff.py"} <= names


def below_cli():
    return [path for path in MODULES if not in_cli(path)]


def test_only_the_cli_imports_click():
    offenders = {rel(path): sorted(name for name in imported(path)
                                   if name == "click" or name.startswith("click."))
                 for path in below_cli()}
    assert {k: v for k, v in offenders.items() if v} == {}, "only deskcli/cli/ may"


def test_nothing_imports_the_cli():
    offenders = {rel(path): sorted(name for name in imported(path)
                                   if name == "deskcli.cli" or name.startswith("deskcli.cli."))
                 for path in below_cli()}
    assert {k: v for k, v in offenders.items() if v} == {}, "nothing below the CLI may"


def test_nothing_below_the_cli_prints():
    offenders = {rel(path): [node.lineno for node in ast.walk(parse(path))
                             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                             and node.func.id in ("print", "input")]
                 for path in below_cli()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_sql_lives_only_in_the_store():
    offenders = {rel(path): sql_strings(path) for path in MODULES
                 if not rel(path).startswith("deskcli/store/")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_sql_detector_finds_the_stores_sql():
    for name in ("tickets.py", "people.py", "types.py", "migrations.py"):
        assert len(sql_strings(PACKAGE / "store" / name)) >= 2, name


def test_the_checks_can_fail(tmp_path):
    """The detectors find what they look for (so a passing suite means something)."""
    sample = tmp_path / "deskcli" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        '"""SELECT * FROM docstrings is fine."""\n'
        "import click\n"
        "from deskcli.cli import common\n"
        "def f(db, table):\n"
        "    from .cli.ticket import ticket\n"
        "    db.execute(f'SELECT id FROM {table} WHERE id = ?')\n"
        "    db.execute('UPDATE tickets SET status = ?', ('x',))\n"
        "    return 'select the right option'\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "deskcli"
    try:
        names = imported(sample)
        assert "click" in names
        assert "deskcli.cli" in names and "deskcli.cli.ticket" in names
        found = sql_strings(sample)
        assert [f.split(":")[0] for f in found] == ["line 6", "line 7"]
    finally:
        PACKAGE = saved


# -- the folders: what may import what ---------------------------------------------------------

DOMAINS = {"tickets", "types", "people", "mail", "reminders", "faq", "reports", "deskfile"}
# The layering, folder by folder (a module directly in deskcli/ is "core"). Read it top down:
# the CLI uses everything; a domain folder uses the other domains, the search core, the store
# and the core; the store uses the core (and the search core, to build its index in a
# migration); the search core is pure and uses nothing else of ours.
MAY_IMPORT = {
    "cli": DOMAINS | {"cli", "core", "search", "store"},
    **{domain: DOMAINS | {"core", "search", "store"} for domain in DOMAINS},
    "store": {"store", "core", "search"},
    "search": {"search"},
    "core": {"core", "store"},  # desk.py, the handle, opens the store
}
# The core's settings registry checks two settings with a domain's pure parser.
CORE_MAY_ALSO = {"deskcli.mail.charset", "deskcli.reminders.sla"}
# Pure modules (no desk, no I/O, no SQL) import only the pure core and other pure modules.
PURE = {"deskcli.types.workflow", "deskcli.types.routing", "deskcli.types.fields",
        "deskcli.policy", "deskcli.reminders.due", "deskcli.reminders.cron",
        "deskcli.mail.parse", "deskcli.mail.charset", "deskcli.faq.files",
        "deskcli.faq.synonyms", "deskcli.search.tokens", "deskcli.search.queries",
        "deskcli.search.snippets",
        "deskcli.search.stemmer", "deskcli.search.tables", "deskcli.search"}
PURE_CORE = {"deskcli", "deskcli.errors", "deskcli.plain", "deskcli.models",
             "deskcli.clock", "deskcli.records"}


def module_name(path: Path) -> str:
    name = rel(path)[:-3].replace("/", ".")
    return name.removesuffix(".__init__")


MODULE_NAMES = {module_name(path): path for path in MODULES}


def our_modules(path: Path) -> set[str]:
    """The deskcli modules a file imports (a name imported from a module is that module)."""
    found = set()
    for name in imported(path):
        while name and name not in MODULE_NAMES:
            name = name.rpartition(".")[0]
        if name.startswith("deskcli"):
            found.add(name)
    return found - {module_name(path)}


def folder(name: str) -> str:
    if name in ("deskcli.__main__", "deskcli.launch"):
        return "cli"  # the program (`deskcli`, `python -m deskcli`) runs the CLI
    parts = name.split(".")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "core"


def test_the_layering_of_the_folders():
    assert {folder(name) for name in MODULE_NAMES} == set(MAY_IMPORT)
    offenders = {}
    for name, path in MODULE_NAMES.items():
        allowed = MAY_IMPORT[folder(name)]
        bad = sorted(other for other in our_modules(path) if folder(other) not in allowed
                     and not (folder(name) == "core" and other in CORE_MAY_ALSO))
        if bad:
            offenders[name] = bad
    assert offenders == {}, "see MAY_IMPORT"


def test_the_layering_check_sees_imports():
    """our_modules finds top-level and lazy imports, so a passing layering test means
    something: the ticket life imports the store at the top and the FAQ inside a function."""
    found = our_modules(PACKAGE / "tickets" / "life.py")
    assert {"deskcli.store.life", "deskcli.faq.manage", "deskcli.types.workflow"} <= found
    assert folder("deskcli.store.life") == "store" and folder("deskcli.desk") == "core"
    assert "tickets" not in MAY_IMPORT["store"] and "store" not in MAY_IMPORT["search"]


def test_pure_modules_stay_pure():
    assert PURE <= set(MODULE_NAMES)
    offenders = {name: sorted(our_modules(MODULE_NAMES[name]) - PURE - PURE_CORE)
                 for name in PURE}
    assert {k: v for k, v in offenders.items() if v} == {}


# The store's package opens the desk and runs the migrations on open (a lazy import), and
# the migrations take the store's Store: one knot, inside the store, left for the store's
# rework (the PostgreSQL dialect) to untie.
KNOWN_CYCLES = [{"deskcli.store", "deskcli.store.migrations", "deskcli.store.browse",
                 "deskcli.store.pg", "deskcli.store.pg.migrations"}]


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    """Between modules, counting the imports inside functions too (they are still a
    dependency, only a later one)."""
    graph = {name: our_modules(path) for name, path in MODULE_NAMES.items()}
    assert [c for c in cycles(graph) if c not in KNOWN_CYCLES] == []


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [{"a", "b", "c"}]


INFLECTIONS = {"s", "es", "er", "ers", "ing", "ings", "ed", "ion", "ions"}


def suffix_twins(names: set[str]) -> list[tuple[str, str]]:
    """Sibling names told apart only by an ending (remind/reminders, report/reports; not
    cron/crontab, two different things)."""
    return sorted((a, b) for a in names for b in names
                  if a != b and b.startswith(a) and b[len(a):] in INFLECTIONS)


def test_no_siblings_told_apart_by_a_suffix():
    assert suffix_twins({"remind", "reminders", "faq", "faq_words", "cron", "crontab"}) == [
        ("remind", "reminders")]
    folders = {path.parent for path in MODULES}
    twins = {}
    for folder_path in folders:
        names = {p.stem for p in folder_path.glob("*.py")} | {
            p.name for p in folder_path.iterdir() if (p / "__init__.py").exists()}
        if found := suffix_twins(names - {"__init__", "__main__"}):
            twins[rel(folder_path / "x")[:-2]] = found
    assert twins == {}
