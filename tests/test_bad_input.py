"""Malformed input is refused with exit status 2, naming the argument, or the line and the
field, and nothing is written: bytes that are not UTF-8 (in arguments, on stdin, in import
files), JSON values of the wrong type, a lone surrogate escape, a huge CSV cell, dates and
durations out of range. And output never depends on the locale for machine formats.

Arguments that are not UTF-8 reach Python as surrogate escapes, so they are tried both
through CliRunner (the string Python would make of them) and through a real process."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import db_count, ok, run


def counts(path) -> tuple[int, ...]:
    return tuple(db_count(path, table) for table in ("tickets", "events", "customers"))


@pytest.fixture
def desk_with_ticket(seeded_desk):
    ok("ticket open --type renewal --customer C1 --title 'Renew' --field package=12")
    return seeded_desk


def refused(result, *words):
    assert result.code == 2, result
    assert "Traceback" not in result.err + result.out
    assert result.err.startswith("Error: "), result
    for word in words:
        assert word in result.err, result


# --- not UTF-8 ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["ticket", "note", "1", "-m", "\udcc3("],
    ["ticket", "open", "--type", "renewal", "--customer", "C1", "--title", "bad \udcff",
     "--field", "package=12"],
    ["ticket", "open", "--type", "renewal", "--customer", "C1", "--title", "ok",
     "--field", "package=1\udcff"],
    ["ticket", "set", "1", "--field", "package=\udcff"],
])
def test_arguments_that_are_not_utf8_are_refused(desk_with_ticket, args):
    before = counts(desk_with_ticket)
    refused(run(*args), "is not UTF-8 text", "\\x")
    assert counts(desk_with_ticket) == before


def deskcli(*args, input=None, env=None):
    """deskcli in a real process (arguments as bytes reach it as the shell passes them)."""
    full = {**os.environ, **(env or {}), "DESKCLI_USER": "alice"}
    return subprocess.run([sys.executable, "-m", "deskcli", *args], input=input,
                          capture_output=True, env=full)


def test_a_real_process_refuses_an_argument_that_is_not_utf8(desk_with_ticket):
    before = counts(desk_with_ticket)
    done = deskcli("ticket", "note", "1", "-m", b"\xc3\x28")
    assert done.returncode == 2, done
    assert b"argument 5 is not UTF-8 text: \\xc3(" in done.stderr
    assert b"Traceback" not in done.stderr
    assert counts(desk_with_ticket) == before


def test_stdin_that_is_not_utf8_is_refused(desk_with_ticket):
    before = counts(desk_with_ticket)
    done = deskcli("ticket", "note", "1", "--body-file", "-", input=b"ok \xff")
    assert done.returncode == 2, done
    assert b"standard input is not UTF-8 text: byte 0xff on line 1" in done.stderr
    refused(run("ticket note 1 -m -", input="ok \udcff".encode("utf-8", "surrogateescape")),
            "byte 0xff")
    assert counts(desk_with_ticket) == before


@pytest.mark.parametrize("content, words", [
    (b'{"type":"renewal","title":"caf\xe9","customer":"C1","fields":{"package":"12"}}\n',
     ["line 1", "title", "not UTF-8"]),
    (b'{"type":"renewal","title":"ok","customer":"C1","fields":{"package":"12"}}\n'
     b'{"type":"renewal","title":"\\ud800","customer":"C1","fields":{"package":"12"}}\n',
     ["line 2", "title", "not UTF-8"]),
    (b'{"type":"renewal","title":"ok","customer":"C1","fields":{"package":"\\udfff"}}\n',
     ["line 1", "fields.package"]),
    (b'{"type":"gen","title":5}\n', ["line 1", "'title' must be a string"]),
    (b'{"type":"renewal","title":"t","customer":"C1","fields":{"package":["12"]}}\n',
     ["line 1", "'package'"]),
])
def test_bad_ticket_import_lines_are_named(desk_with_ticket, tmp_path, content, words):
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    before = counts(desk_with_ticket)
    refused(run("ticket", "import", str(source)), *words)
    assert counts(desk_with_ticket) == before


@pytest.mark.parametrize("name, content, words", [
    ("c.csv", b"key,name\nK1,caf\xe9\n", ["line 2", "name", "not UTF-8"]),
    ("c.csv", b"key,na\xffme\nK1,x\n", ["line 1", "not UTF-8"]),
    ("c.json", b'[{"key":"K2","name":"x","email":5}]', ["record 1", "'email' must be text"]),
    ("c.json", b'[{"key":"K2","name":"\\ud800"}]', ["record 1", "name", "not UTF-8"]),
    ("c.jsonl", b'{"key":"K2","name":"x","note":{"a":1}}\n', ["record 1", "'note'"]),
    ("c.csv", b"key,name,note\nK3,x," + b"a" * 140_000 + b"\n",
     ["line 2", "'note'", "longer than 131072"]),
])
def test_bad_customer_import_records_are_named(seeded_desk, tmp_path, name, content, words):
    source = tmp_path / name
    source.write_bytes(content)
    before = counts(seeded_desk)
    refused(run("customer", "import", str(source)), *words)
    assert counts(seeded_desk) == before


# --- dates and durations out of range ------------------------------------------------------

@pytest.mark.parametrize("args", [
    "ticket list --until 999999999999w",
    "ticket list --since 999999999999w",
    "ticket list --since +99999999999999999999d",
    "ticket list --until 9999-12-31",
    "report summary --since 999999999999w",
    "report sla --until 999999999999w",
    "type update renewal --accept-within 999999999999999999999999w",
])
def test_dates_and_durations_out_of_range_are_refused(seeded_desk, args):
    before = counts(seeded_desk)
    refused(run(args))
    assert counts(seeded_desk) == before


# --- the locale ----------------------------------------------------------------------------

def locale_available(name: str) -> bool:
    done = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    wanted = name.lower().replace("-", "")
    return any(line.lower().replace("-", "") == wanted for line in done.stdout.split())


ENCODINGS = [  # (how the terminal is set, the encoding it then uses)
    ({"PYTHONIOENCODING": "gb18030"}, "gb18030"),
    ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
    ({"LC_ALL": "zh_CN.GB18030"}, "gb18030"),
    ({"LC_ALL": "en_US.ISO-8859-1"}, "latin-1"),
]


@pytest.fixture(params=ENCODINGS, ids=lambda p: next(iter(p[0].values())))
def terminal(request, desk_with_ticket):
    settings, encoding = request.param
    if "LC_ALL" in settings and not locale_available(settings["LC_ALL"]):
        pytest.skip(f"the locale {settings['LC_ALL']} is not generated on this machine "
                    "(PYTHONIOENCODING simulates it in the other cases)")
    ok("customer update C1 --name '张伟 Zhang'")
    ok("ticket set 1 --title '续费提醒 renewal'")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL",
                                                            "LANG", "PYTHONUTF8")}
    return {**env, **settings}, encoding


@pytest.mark.parametrize("args", [
    ["ticket", "list", "--json"],
    ["ticket", "list", "--format", "jsonl"],
    ["ticket", "show", "1", "--json"],
    ["customer", "list", "--format=json"],
])
def test_json_is_utf8_whatever_the_locale(terminal, args):
    env, _ = terminal
    done = deskcli(*args, env=env)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert "续费提醒" in text or "张伟" in text
    for line in (text.splitlines() if "jsonl" in args else [text]):
        json.loads(line)


def test_csv_is_utf8_whatever_the_locale(terminal):
    env, _ = terminal
    done = deskcli("ticket", "list", "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    assert "续费提醒 renewal" in done.stdout.decode("utf-8")


@pytest.mark.parametrize("args", [["ticket", "list"], ["ticket", "show", "1"],
                                  ["customer", "show", "C1"]])
def test_tables_follow_the_terminal_and_never_crash(terminal, args):
    env, encoding = terminal
    done = deskcli(*args, env=env)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    text = done.stdout.decode(encoding)
    if encoding == "gb18030":
        assert "续费提醒" in text or "张伟" in text
    else:  # a wide character becomes "??": the columns stay aligned
        assert "????????" in text or "???? Zhang" in text


def test_a_file_named_in_another_encoding_is_still_a_file(seeded_desk, tmp_path):
    """Only text is refused: an argument naming an existing file is a path, whatever its
    bytes (a file saved under a GB18030 or Latin-1 locale)."""
    name = os.fsencode(tmp_path) + b"/caf\xe9.csv"
    with open(name, "wb") as handle:
        handle.write(b"key,name\nK7,Seven\n")
    done = deskcli("customer", "import", name)
    assert done.returncode == 0, done.stderr
    assert ok("customer show K7 --json").json["name"] == "Seven"


@pytest.mark.parametrize("line, maybe", [
    ('{"title": "登录 ok"}', False), ('{"title": "\\u767b"}', False),
    ('{"title": "\\ud800"}', True), ('{"title": "\\uDFFF"}', True),
    ('{"t\\udc80": 1}', True), ('{"title": "caf\udce9"}', True),
    ('{"title": "\\ud83d\\ude00"}', True),  # a pair: walked, and found clean
])
def test_lines_that_cannot_hold_bad_text_skip_the_walk(line, maybe):
    """bad_text's walk over every value is skipped only for lines that cannot hold a lone
    surrogate: encodable as UTF-8, no \\uD800-\\uDFFF escape."""
    from deskcli.records import bad_text, may_hold_bad_text

    assert may_hold_bad_text(line) is maybe
    if not maybe:
        assert bad_text(json.loads(line)) is None
