#!/usr/bin/env python3
"""Generate man/deskcli.1 from man/deskcli.1.in and the live click tree.

    python tools/gen_man.py            write man/deskcli.1
    python tools/gen_man.py --check    exit 1 if man/deskcli.1 is out of date

The hand-written sections (NAME, DESCRIPTION, CONCEPTS, ENVIRONMENT, FILES, EXAMPLES, ...)
live in man/deskcli.1.in as troff. This script fills its placeholders from the code, so
the page cannot drift from it:

  @VERSION@         deskcli.__version__
  @DATE@            the version's date: its CHANGELOG.md heading ("## 0.2.0 - 2026-12-20"
                    or "## [0.2.0] (2026-12-20)"), else deskcli.__date__; never the clock
  @GLOBAL_OPTIONS@  the root group's options
  @COMMANDS@        every command and subcommand, walked through the click tree (lazy
                    groups are loaded): usage, help (`\\b` blocks kept as .nf/.fi), options
  @EXIT_STATUS@     the `exit_code` of every deskcli.errors class, click's usage-error
                    status, and every literal exit status in deskcli/ (ctx.exit(130), ...)

and refuses to run when an environment variable that deskcli reads (or that a help text
mentions as $NAME) has no entry under ENVIRONMENT in the template. The output is
deterministic: no clock, nothing from the terminal, only ASCII (other characters are
written as \\[uXXXX]).
"""

import argparse
import ast
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "man" / "deskcli.1.in"
OUTPUT = ROOT / "man" / "deskcli.1"

# The deskcli in this checkout, not whichever one is installed.
sys.path.insert(0, str(ROOT))

import click  # noqa: E402

# Exit statuses that no deskcli.errors class documents (or whose base class says nothing
# useful to a user). Any other status found in the code is described by the docstring of
# the error classes that carry it; a literal status with no description stops generation.
EXIT_TEXT = {
    0: "Success. An empty listing is a success too.",
    1: "Any other error: a file other than the desk that cannot be read or written, "
       "problems found by \\fBdeskcli db check\\fR, a \\fBpostgresql://\\fR desk without "
       "its driver (\\fBpip install \\(aqdeskcli[postgres]\\(aq\\fR), an unexpected "
       "failure.",
    75: "Try again later: the desk stayed locked by another process beyond the busy "
        "timeout, or (\\fBoutbox send\\fR) the mail server cannot be reached.",
    130: "Interrupted (Ctrl\\-C) before the change was written; nothing was changed.",
}
USAGE_TEXT = ("or a usage error: an unknown command or option, a missing or malformed "
              "argument (the message names it; \\fB\\-\\-help\\fR shows the usage).")
EXIT_CALLS = {"exit", "Exit", "SystemExit"}  # ctx.exit(N), sys.exit(N), SystemExit(N), ...


# --- troff -----------------------------------------------------------------------------

def escape(text: str, *, argument: bool = False) -> str:
    """Plain text as troff: backslashes, hyphens (as \\-, so options copy and paste),
    quotes and apostrophes, and non-ASCII characters."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\e")
        elif ch == "-":
            out.append("\\-")
        elif ch == "'":
            out.append("\\(aq")
        elif ch == "`":
            out.append("\\(ga")
        elif ch == '"' and argument:
            out.append("\\(dq")
        elif ord(ch) > 127:
            out.append(f"\\[u{ord(ch):04X}]")
        elif ch < " " and ch != "\t":
            continue
        else:
            out.append(ch)
    return "".join(out)


def line(text: str) -> str:
    """One input line of text: a leading dot or apostrophe would be read as a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def ascii_only(troff: str) -> str:
    """Hand-written troff with its non-ASCII characters as \\[uXXXX]."""
    return "".join(ch if ord(ch) < 128 else f"\\[u{ord(ch):04X}]" for ch in troff)


def bold_options(text: str) -> str:
    """An option's names and metavar ('-m, --body TEXT') with the names in bold."""
    parts = re.split(r"((?<![\w-])--?[A-Za-z0-9][\w-]*)", text)
    return "".join(f"\\fB{escape(part)}\\fR" if index % 2 else escape(part)
                   for index, part in enumerate(parts))


def help_paragraphs(help_text: str) -> list[str]:
    """A command's help as troff: prose paragraphs are filled; `\\b` blocks (examples)
    stay as they are, between .nf and .fi."""
    text = inspect.cleandoc(help_text).split("\f")[0]
    paragraphs, current = [], []
    for raw in text.splitlines() + [""]:
        if raw.strip():
            current.append(raw)
        elif current:
            paragraphs.append(current)
            current = []
    out = []
    for paragraph in paragraphs:
        out.append(".PP")
        if paragraph[0].strip() == "\b":
            body = paragraph[1:]
            indent = min((len(x) - len(x.lstrip()) for x in body), default=0)
            out.append(".nf")
            out += [line(escape(x[indent:].rstrip())) for x in body]
            out.append(".fi")
        else:
            out += [line(escape(x.strip())) for x in paragraph]
    return out


def option_entries(command: click.Command, ctx: click.Context, *, with_help: bool = False):
    help_option = command.get_help_option(ctx)
    out = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if param is help_option and not with_help:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        out += [".TP", line(bold_options(names))]
        text = " ".join(text.split())
        if text:
            out.append(line(escape(text)))
    return out


# --- the click tree --------------------------------------------------------------------

def walk(command: click.Command, ctx: click.Context):
    """(path, command, context) for the command and everything below it, depth first, in
    the order `--help` lists them; lazy groups load their commands on the way."""
    yield ctx.command_path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


def root_context() -> click.Context:
    from deskcli.cli import main

    return click.Context(main, info_name="deskcli")


def commands_section(root: click.Context) -> list[str]:
    out = []
    for path, command, ctx in walk(root.command, root):
        if ctx is root:
            continue
        usage = " ".join(command.collect_usage_pieces(ctx))
        out += [f'.SS "{escape(path, argument=True)}"',
                f'.B "{escape(path, argument=True)}"', line(escape(usage))]
        out += help_paragraphs(command.help or command.short_help or "")
        if isinstance(command, click.Group):
            names = [n for n in command.list_commands(ctx)
                     if not getattr(command.get_command(ctx, n), "hidden", True)]
            out += [".PP", "Commands: " + ", ".join(f"\\fB{escape(n)}\\fR" for n in names)
                    + "."]
        options = option_entries(command, ctx)
        if options:
            out += [".PP", "Options:"] + options
    return out


# --- exit statuses and environment, read from the code -------------------------------

def _package_sources():
    for path in sorted((ROOT / "deskcli").rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def literal_exit_statuses() -> dict[int, list[str]]:
    """Integer literals passed to ctx.exit / sys.exit / SystemExit / Exit in deskcli/."""
    found: dict[int, list[str]] = {}
    for path, tree in _package_sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name in EXIT_CALLS and isinstance(arg, ast.Constant) and type(arg.value) is int:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(arg.value, []).append(where)
    return found


def error_classes() -> list[type]:
    from deskcli.errors import DeskError

    seen, queue = [], [DeskError]
    while queue:
        cls = queue.pop(0)
        seen.append(cls)
        queue += sorted(cls.__subclasses__(), key=lambda c: c.__name__)
    return seen


def exit_statuses() -> dict[int, str]:
    """Every exit status deskcli can end with -> its description (troff)."""
    by_code: dict[int, list[type]] = {}
    for cls in error_classes():
        if "exit_code" in vars(cls):
            by_code.setdefault(cls.exit_code, []).append(cls)
    usage_code = click.UsageError.exit_code
    codes = {0, usage_code, *by_code, *literal_exit_statuses()}
    described = {}
    for code in sorted(codes):
        if code in EXIT_TEXT:
            text = EXIT_TEXT[code]
        elif code in by_code:
            text = " ".join(_describe(cls) for cls in by_code[code])
        else:
            places = ", ".join(literal_exit_statuses()[code])
            raise SystemExit(f"gen_man: exit status {code} ({places}) has no description; "
                             f"add it to EXIT_TEXT in tools/gen_man.py")
        if code == usage_code:
            text = text.rstrip(".") + "; " + USAGE_TEXT
        described[code] = text
    return described


def _describe(cls: type) -> str:
    """'NotFound' + 'A ticket ... that does not exist (exit 3).' -> 'Not found. A ticket
    ... that does not exist.'"""
    doc = " ".join(inspect.getdoc(cls).split())
    doc = re.sub(r"\s*\(exit \d+\)", "", doc).rstrip(".")
    words = re.findall(r"[A-Z][a-z]*", cls.__name__)
    title = " ".join([words[0]] + [w.lower() for w in words[1:]])
    return escape(f"{title}. {doc}.")


def exit_status_section() -> list[str]:
    out = []
    for code, text in exit_statuses().items():
        out += [".TP", f".B {code}", text]
    return out


def environment_read() -> dict[str, list[str]]:
    """Names read with os.environ.get / os.environ[...] / os.getenv / `in os.environ`."""
    def is_environ(node):
        return isinstance(node, ast.Attribute) and node.attr == "environ" or (
            isinstance(node, ast.Name) and node.id == "environ")

    def key_of(node):
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr == "getenv" or (func.attr in ("get", "pop", "setdefault")
                                         and is_environ(func.value)):
                return node.args[0]
        elif isinstance(node, ast.Subscript) and is_environ(node.value):
            return node.slice
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            return node.left
        return None

    found: dict[str, list[str]] = {}
    for path, tree in _package_sources():
        for node in ast.walk(tree):
            key = key_of(node)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.setdefault(key.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def environment_mentioned(root: click.Context) -> dict[str, list[str]]:
    """$NAME in the help of any command or option."""
    found: dict[str, list[str]] = {}
    for path, command, _ in walk(root.command, root):
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        for text in texts:
            for name in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", text):
                found.setdefault(name, []).append(path)
    return found


def documented_environment(troff: str) -> set[str]:
    """The names tagged with .TP under ENVIRONMENT in a man page (or its template)."""
    section = re.search(r"^\.SH ENVIRONMENT\n(.*?)(?=^\.SH |\Z)", troff, re.M | re.S)
    if not section:
        return set()
    tags = re.findall(r"^\.TP\n(.*)$", section.group(1), re.M)
    return {name for tag in tags for name in re.findall(r"\b[A-Z_][A-Z0-9_]{2,}\b", tag)}


def check_environment(template: str, root: click.Context) -> None:
    documented = documented_environment(template)
    missing = {name: places for source in (environment_read(), environment_mentioned(root))
               for name, places in source.items() if name not in documented}
    if missing:
        detail = "; ".join(f"{name} ({', '.join(places[:2])})"
                           for name, places in sorted(missing.items()))
        raise SystemExit(f"gen_man: undocumented environment variables: {detail}; add them "
                         f"under ENVIRONMENT in {TEMPLATE.relative_to(ROOT)}")


# --- the page --------------------------------------------------------------------------

CHANGELOG = ROOT / "CHANGELOG.md"


def version_date(version: str, fallback: str) -> str:
    """The date the CHANGELOG gives this version (YYYY-MM-DD), else `fallback`: the same
    on every run, so `--check` does not go stale overnight."""
    text = CHANGELOG.read_text(encoding="utf-8") if CHANGELOG.exists() else ""
    heading = re.compile(r"^##\s*\[?v?" + re.escape(version) + r"\]?\W+(\d{4}-\d{2}-\d{2})",
                         re.MULTILINE)
    found = heading.search(text)
    date = found.group(1) if found else fallback
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise SystemExit(f"gen_man: {date!r} is not a date (YYYY-MM-DD)")
    return date

def render() -> str:
    from deskcli import __date__, __version__

    template = TEMPLATE.read_text(encoding="utf-8")
    template = "".join(x for x in template.splitlines(keepends=True)
                       if not x.startswith('.\\"#'))
    root = root_context()
    check_environment(template, root)
    header = [
        '.\\" Generated by tools/gen_man.py from man/deskcli.1.in and the click tree.',
        '.\\" Do not edit: change the template or the commands\' help, then run',
        '.\\"     python tools/gen_man.py',
    ]
    parts = {
        "@VERSION@": escape(__version__),
        "@DATE@": version_date(__version__, __date__),
        "@GLOBAL_OPTIONS@": "\n".join(option_entries(root.command, root, with_help=True)),
        "@COMMANDS@": "\n".join(commands_section(root)),
        "@EXIT_STATUS@": "\n".join(exit_status_section()),
    }
    page = ascii_only(template)
    for placeholder, value in parts.items():
        if placeholder not in page:
            raise SystemExit(f"gen_man: {placeholder} is missing from {TEMPLATE}")
        page = page.replace(placeholder, value)
    return "\n".join(header) + "\n" + page.rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate man/deskcli.1.")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if man/deskcli.1 is not what this script would write")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT,
                        help="where to write the page (default: %(default)s)")
    args = parser.parse_args(argv)
    page = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != page:
            state = "missing" if current is None else "out of date"
            print(f"{args.output} is {state}: run `python tools/gen_man.py`",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page, encoding="utf-8", newline="\n")
    print(args.output, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
