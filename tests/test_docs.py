"""The documentation contract: every command has help with examples that really parse, the
man page is current, complete and shipped, and shell completion works.

The commands are found by walking the live click tree (lazy groups are loaded), so a new
command is checked the moment it is registered.
"""

import ast
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path

import click
import pytest

from deskcli import errors
from deskcli.cli import main

ROOT = Path(__file__).resolve().parent.parent
MAN = ROOT / "man" / "deskcli.1"
GEN_MAN = ROOT / "tools" / "gen_man.py"


# --- the click tree --------------------------------------------------------------------

def walk(command: click.Command, ctx: click.Context):
    yield ctx.command_path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{ctx.command_path} lists {name!r} but cannot load it"
            if not sub.hidden:
                yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


TREE = dict(walk(main, click.Context(main, info_name="deskcli")))
# The root group's help has a "Start here:" block (with a COMMAND placeholder) instead of
# examples; it is checked for its exit statuses below instead.
COMMANDS = sorted(path for path in TREE if path != "deskcli")


def help_text(command: click.Command) -> str:
    return inspect.cleandoc(command.help or "").split("\f")[0]


def example_blocks(text: str) -> list[tuple[bool, list[str]]]:
    """(protected, lines) for each paragraph with an Example(s): heading; `protected` is
    whether it is a \\b block, which click prints as written instead of rewrapping."""
    blocks, paragraph = [], []
    for raw in text.splitlines() + [""]:
        if raw.strip():
            paragraph.append(raw)
            continue
        protected = bool(paragraph) and paragraph[0].strip() == "\b"
        lines = paragraph[1:] if protected else paragraph
        for index, heading in enumerate(lines):
            if re.fullmatch(r"\s*Examples?:?\s*", heading):
                blocks.append((protected, lines[index + 1:]))
                break
        paragraph = []
    return blocks


def join_continuations(lines: list[str]) -> list[str]:
    """Example commands, with `\\` continuation lines joined."""
    joined, pending = [], ""
    for raw in lines:
        text = raw.strip()
        if text.endswith("\\") and not text.endswith("\\\\"):
            pending += text[:-1] + " "
        else:
            joined.append(pending + text)
            pending = ""
    if pending:
        joined.append(pending.strip())
    return [x for x in joined if x]


def examples(path: str) -> list[str]:
    return [x for _, lines in example_blocks(help_text(TREE[path]))
            for x in join_continuations(lines)]


# --- from an example line to deskcli argument vectors ----------------------------------

SHELL_VALUE = "\x1fshell-value\x1f"  # stands for $VAR, $(...) and `...`: unknown until run
SEPARATORS = {"|", "||", "&&", ";", "&", "|&", "(", ")"}
PREFIXES = {"then", "do", "else", "time", "exec", "!", "eval", "command"}


def _substitutions(text: str) -> tuple[str, list[str]]:
    """Replace $VAR, ${VAR}, $(...) and `...` (outside single quotes) by SHELL_VALUE and
    cut a # comment; returns the text and the commands inside the substitutions."""
    out, inner, quote, i = [], [], None, 0
    while i < len(text):
        ch = text[i]
        if quote == "'":
            quote = None if ch == "'" else quote
            out.append(ch)
        elif ch == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 1
        elif ch == "'" and quote is None:
            quote = ch
            out.append(ch)
        elif ch == '"':
            quote = None if quote == ch else ch
            out.append(ch)
        elif text.startswith("$(", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            inner.append(text[i + 2:j - 1])
            out.append(SHELL_VALUE)
            i = j - 1
        elif ch == "`":
            j = text.find("`", i + 1)
            j = len(text) if j < 0 else j
            inner.append(text[i + 1:j])
            out.append(SHELL_VALUE)
            i = j
        elif m := re.match(r"\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[0-9#?@*$!-])", text[i:]):
            out.append(SHELL_VALUE)
            i += m.end() - 1
        elif ch == "#" and quote is None and (not out or out[-1][-1:].isspace()):
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out), inner


def invocations(example: str) -> list[list[str]]:
    """The argument vectors of every `deskcli` the example runs: after a pipe, `&&` or
    `;`, inside $(...), after VAR=value; redirections (> file, 2>&1, < file) dropped."""
    text, inner = _substitutions(example)
    text = re.sub(r"(?<![^\s])\d+(?=[<>])", "", text)  # 2>/dev/null: drop the fd number
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    found, words, skip = [], [], False
    for token in [*lexer, ";"]:
        if skip:
            skip = False
        elif token in SEPARATORS:
            while words and (words[0] in PREFIXES or re.match(r"[A-Za-z_]\w*=", words[0])):
                words.pop(0)
            if words[:1] == ["deskcli"]:
                found.append(words[1:])
            words = []
        elif set(token) <= set("<>&") and set(token) & set("<>"):
            skip = True  # the redirection's target
        else:
            words.append(token)
    for command in inner:
        found += invocations(command)
    return found


@pytest.fixture
def lenient_types(monkeypatch):
    """Examples name files that do not exist here, and shell values that are unknown
    until they run: let those through the parameter types; check every other value."""
    original = click.ParamType.__call__

    def call(self, value, param=None, ctx=None):
        if isinstance(self, click.File | click.Path):
            return value
        if isinstance(value, str) and SHELL_VALUE in value:
            return value
        return original(self, value, param, ctx)

    monkeypatch.setattr(click.ParamType, "__call__", call)


def parse(argv: list[str]) -> str | None:
    """Parse `deskcli ARGV` strictly down to the last subcommand without running it; the
    usage error, or None. (Resilient parsing would swallow exactly the errors this looks
    for: unknown commands and options, missing or extra arguments, bad choices.)"""
    with ExitStack() as stack:
        try:
            ctx = stack.enter_context(main.make_context("deskcli", list(argv)))
            while isinstance(ctx.command, click.Group):
                # click keeps the subcommand's name apart from its arguments (its own shell
                # completion reads the same attribute); click < 8.2 called it protected_args.
                protected = vars(ctx).get("_protected_args", vars(ctx).get("protected_args"))
                name, command, rest = ctx.command.resolve_command(ctx, [*protected, *ctx.args])
                ctx = stack.enter_context(command.make_context(name, rest, parent=ctx))
        except click.exceptions.Exit:
            return None  # --help, --version
        except click.UsageError as exc:
            return f"{exc.ctx.command_path if exc.ctx else 'deskcli'}: {exc.format_message()}"
    return None


# --- help and examples -----------------------------------------------------------------

def test_the_tree_is_walked():
    """The walk reaches the lazy groups' commands (a broken walk would check nothing)."""
    for path in ("deskcli init", "deskcli ticket", "deskcli ticket open", "deskcli ticket show",
                 "deskcli user add", "deskcli type add", "deskcli db backup"):
        assert path in TREE


@pytest.mark.parametrize("path", COMMANDS)
def test_help_has_examples(path):
    text = help_text(TREE[path])
    assert text.strip(), f"{path} has no help text (its docstring is the help)"
    blocks = example_blocks(text)
    assert blocks, f"{path}: no 'Examples:' heading in its help"
    for protected, _ in blocks:
        assert protected, (f"{path}: the examples are not in a \\b block, so click rewraps "
                           f"them into one paragraph")
    assert any(x.startswith("deskcli ") for x in examples(path)), (
        f"{path}: no example line starts with 'deskcli '")


@pytest.mark.parametrize("path", COMMANDS)
def test_examples_parse(path, lenient_types):
    problems = []
    for example in examples(path):
        for argv in invocations(example):
            error = parse(argv)
            if error:
                problems.append(f"{example}\n    -> {error}")
    assert not problems, f"{path}: examples that do not parse:\n" + "\n".join(problems)


@pytest.mark.parametrize(("example", "expected"), [
    ('deskcli ticket list --field phone_model="iPhone 15" > out.csv',
     [["ticket", "list", "--field", "phone_model=iPhone 15"]]),
    ("other --dump | deskcli ticket import - --json 2>/dev/null",
     [["ticket", "import", "-", "--json"]]),
    ('eval "$(deskcli completion bash)"   # in ~/.bashrc', [["completion", "bash"]]),
    ("deskcli db backup /b/desk-$(date +%F).db && echo ok",
     [["db", "backup", f"/b/desk-{SHELL_VALUE}.db"]]),
    ("DESKCLI_NOW=2026-12-01 deskcli remind run; deskcli outbox send < mail.txt",
     [["remind", "run"], ["outbox", "send"]]),
    ("deskcli ticket reply 42 -m 'see #3 and $HOME'", [["ticket", "reply", "42", "-m",
                                                        "see #3 and $HOME"]]),
])
def test_invocations_follow_the_shell(example, expected):
    assert invocations(example) == expected


def test_quoted_pipe_and_hash_are_arguments():
    argv = invocations(shlex.join(["deskcli", "ticket", "note", "1", "-m", "a | b # c"]))
    assert argv == [["ticket", "note", "1", "-m", "a | b # c"]]


def test_a_bad_example_is_caught(lenient_types):
    assert parse(["ticket", "show", "42"]) is None
    assert parse(["ticket", "show", "--help"]) is None
    assert "No such command" in parse(["ticket", "no-such-verb", "1"])
    assert "No such option" in parse(["ticket", "show", "42", "--no-such-option"])
    assert "not a valid integer" in parse(["ticket", "show", "forty-two"])
    assert "Missing" in parse(["ticket", "show"])
    assert parse(["ticket", "show", SHELL_VALUE]) is None
    assert parse(["db", "backup", "/no/such/folder/x.db"]) is None
    assert parse(["ticket"]) is not None  # a group alone shows help and fails


# --- the man page ----------------------------------------------------------------------

def man_text() -> str:
    """The page's troff with the escapes this project uses turned back into text."""
    text = MAN.read_text(encoding="utf-8")
    for escape, plain in (("\\-", "-"), ("\\(aq", "'"), ("\\(ga", "`"), ("\\(dq", '"'),
                          ("\\&", ""), ("\\e", "\\")):
        text = text.replace(escape, plain)
    return text


def man_section(name: str) -> str:
    found = re.search(rf'^\.SH "?{re.escape(name)}"?\n(.*?)(?=^\.SH |\Z)', man_text(),
                      re.M | re.S)
    assert found, f"man/deskcli.1 has no {name} section"
    return found.group(1)


def test_man_page_is_current():
    result = subprocess.run([sys.executable, str(GEN_MAN), "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


def test_man_page_check_notices_a_stale_page(tmp_path):
    stale = tmp_path / "deskcli.1"
    stale.write_text(MAN.read_text(encoding="utf-8").replace("deskcli", "deskcIi", 1))
    result = subprocess.run([sys.executable, str(GEN_MAN), "--check", "-o", str(stale)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "out of date" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("path", COMMANDS)
def test_man_page_names_the_command(path):
    assert f'.SS "{path}"\n' in man_text(), f"man/deskcli.1 does not document {path}"


def error_exit_codes() -> set[int]:
    codes, queue = set(), [errors.DeskError]
    while queue:
        cls = queue.pop()
        codes.add(cls.exit_code)
        queue += cls.__subclasses__()
    return codes


def literal_exit_codes() -> set[int]:
    """ctx.exit(130), sys.exit(1), SystemExit(1) ... with a literal status in deskcli/."""
    codes = set()
    for path in (ROOT / "deskcli").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                arg = node.args[0]
                if name in ("exit", "Exit", "SystemExit") and isinstance(arg, ast.Constant) \
                        and type(arg.value) is int:
                    codes.add(arg.value)
    return codes


def test_man_page_lists_every_exit_status():
    expected = {0, click.UsageError.exit_code} | error_exit_codes() | literal_exit_codes()
    assert {0, 1, 2, 3, 4, 5, 75} <= expected
    listed = {int(x) for x in re.findall(r"^\.TP\n\.B (\d+)$", man_section("EXIT STATUS"),
                                          re.M)}
    assert listed == expected


def test_root_help_lists_the_error_exit_statuses():
    """`deskcli --help` summarises the exit statuses; it must name every error class's."""
    text = " ".join(help_text(main).split())
    summary = re.search(r"Exit status:(.*)", text)
    assert summary, "the root group's help has no 'Exit status:' summary"
    listed = {int(x) for x in re.findall(r"\b(\d+) [a-z]", summary.group(1))}
    assert listed == {0} | error_exit_codes()


def environment_read() -> set[str]:
    """Names read with os.environ.get / os.environ[...] / os.getenv in deskcli/."""
    names = set()
    for path in (ROOT / "deskcli").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if node.func.attr == "getenv" or (
                        node.func.attr in ("get", "pop", "setdefault")
                        and getattr(owner, "attr", getattr(owner, "id", "")) == "environ"):
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and getattr(node.value, "attr", "") == "environ":
                key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
    return names


def test_man_page_documents_the_environment():
    section = man_section("ENVIRONMENT")
    documented = {name for tag in re.findall(r"^\.TP\n(.*)$", section, re.M)
                  for name in re.findall(r"\b[A-Z_][A-Z0-9_]{2,}\b", tag)}
    mentioned = {name for command in TREE.values()
                 for text in [command.help or ""] + [getattr(p, "help", None) or ""
                                                     for p in command.params]
                 for name in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", text)}
    read = environment_read()
    assert {"DESKCLI_DB", "DESKCLI_USER", "DESKCLI_NOW", "DESKCLI_DEBUG"} <= read
    # click.edit (long text from an editor) reads these two.
    required = read | mentioned | {"EDITOR", "VISUAL", "XDG_CONFIG_HOME", "XDG_DATA_HOME"}
    assert required - documented == set()


def test_man_page_examples_parse(lenient_types):
    """The EXAMPLES section's session uses real commands and options."""
    lines = []
    for text in man_section("EXAMPLES").splitlines():
        if text.startswith("$ "):
            lines.append(text[2:])  # a command typed at the prompt
        elif text.startswith("*/"):
            lines.append(text.split(None, 5)[5])  # a crontab line's command
        elif lines and lines[-1].endswith("\\"):
            lines.append(text)
    commands = join_continuations(lines)
    assert len(commands) >= 8
    problems = [f"{example}\n    -> {error}" for example in commands
                for argv in invocations(example) if (error := parse(argv))]
    assert not problems, "man page EXAMPLES that do not parse:\n" + "\n".join(problems)


@pytest.mark.slow
def test_wheel_ships_the_man_page(tmp_path):
    """`pip install` puts man/deskcli.1 in share/man/man1 (setup.py's data_files)."""
    source = tmp_path / "src"  # build from a copy: no build/ or egg-info in the work tree
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".venv", "bench", "tests"))
    out = tmp_path / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", str(out), str(source)],
        capture_output=True, text=True)
    assert result.returncode == 0, (
        "building the wheel failed (with setuptools < 70.1 the build needs the `wheel` "
        "package installed):\n" + result.stdout[-2000:] + result.stderr[-2000:])
    (wheel,) = out.glob("deskcli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        pages = [n for n in archive.namelist()
                 if n.endswith(".data/data/share/man/man1/deskcli.1")]
        assert pages, f"no share/man/man1/deskcli.1 in {wheel.name}"
        assert archive.read(pages[0]) == MAN.read_bytes()


# --- shell completion ------------------------------------------------------------------

def deskcli_executable() -> str:
    """The deskcli console script of the environment running the tests."""
    found = shutil.which("deskcli", path=str(Path(sys.executable).parent)) or \
        shutil.which("deskcli", path=str(Path(sys.prefix) / "bin")) or shutil.which("deskcli")
    assert found, "no deskcli executable: install the package (pip install -e .)"
    return found


def complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword),
           "_DESKCLI_COMPLETE": "bash_complete"}
    result = subprocess.run([deskcli_executable()], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_shell_code(shell):
    result = subprocess.run([deskcli_executable(), "completion", shell], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "_DESKCLI_COMPLETE" in result.stdout


def test_bash_completion_offers_commands():
    assert "plain,ticket" in complete("deskcli tic", 1)
    # through a lazy group, too
    assert "plain,show" in complete("deskcli ticket sh", 2)
