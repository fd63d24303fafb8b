"""Property-based tests over the CLI's inputs (hypothesis): field values of every kind at
`ticket open` and `ticket set`, dates and durations, JSONL lines for `ticket import`, CSV
and JSON records for `customer import`. Whatever the input, the command ends with a
documented exit status, no traceback, and when it refuses, the desk is byte for byte the
same (every table's row count and content checksum).

Reproducible in CI: derandomize=True (the same examples every run), no example database.
`pytest tests/test_properties.py --hypothesis-show-statistics` shows the cases run.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import is_pg, ok, queries, query, run

pytestmark = pytest.mark.slow  # 480 commands in all: 12 s on a quiet machine

DOCUMENTED = {0, 1, 2, 3, 4, 5, 65, 74, 75, 77}
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def snapshot(path) -> dict:
    """Every table's row count and a checksum of its rows: equal snapshots, same desk."""
    import sqlite3

    if is_pg(path):
        names = [r[0] for r in query(
            path, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                  "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
        rows = queries(path, [f'SELECT r::text FROM "{name}" r ORDER BY 1' for name in names])
        return {name: hash(tuple(found)) for name, found in zip(names, rows, strict=True)}
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
            "'CREATE VIRTUAL%' ORDER BY name")]
        return {name: hash(tuple(conn.execute(f'SELECT * FROM "{name}"').fetchall()))
                for name in names}
    finally:
        conn.close()


def violations(result, desk, before) -> list[str]:
    """What breaks the property (a documented exit status, no traceback, nothing written
    on refusal); empty when it holds."""
    found = []
    if result.code not in DOCUMENTED:
        found.append(f"undocumented exit status {result.code}")
    if "Traceback" in result.out + result.err:
        found.append("a traceback")
    if result.code != 0:
        if not result.err.startswith("Error: "):
            found.append("a refusal without 'Error: '")
        if snapshot(desk) != before:
            found.append("a refusal that wrote to the desk")
    return [f"{problem}: {result!r}" for problem in found]


@pytest.fixture
def every_kind(seeded_desk):
    """A type with a field of every kind, and one ticket of it."""
    ok("type add every --name Every --route manual --field t:text --field i:int "
       "--field n:number --field d:date --field b:bool --field 'c:choice=Red|Green|Blue' "
       "--field p:text --pattern 'p=[A-Z]{2}[0-9]+'")
    ok("ticket open --type every --title first")
    return seeded_desk


# --- strategies ----------------------------------------------------------------------------

not_utf8 = st.text(st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1,
                   max_size=3)  # what Python makes of bytes that are not UTF-8
texts = st.one_of(st.text(max_size=40), not_utf8.map(lambda s: "x" + s),
                  st.text(st.characters(codec="utf-8"), max_size=10))
numbers = st.one_of(st.integers().map(str), st.integers(10 ** 18, 10 ** 30).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.from_regex(r"[+-]?\d{1,6}(\.\d{0,4})?([eE][+-]?\d{1,4})?",
                                  fullmatch=True),
                    st.just("9" * 5000))
dates = st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()),
                  st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True))
durations = st.from_regex(r"[+-]?(\d{1,25}\s?[smhdwy]){1,3}", fullmatch=True)
values = st.one_of(texts, numbers, dates, st.sampled_from(
    ["yes", "no", "true", "FALSE", "1", "0", "", " ", "red", "GREEN", "Purple", "AB12",
     "ab12", "AB", "none", "null", "-", "=1+1", "\n", "\x00"]))
field_names = st.sampled_from(["t", "i", "n", "d", "b", "c", "p", "unknown", "T", ""])
assignments = st.lists(st.tuples(field_names, values), max_size=4)
whens = st.one_of(dates, durations, texts, st.sampled_from(
    ["today", "yesterday", "tomorrow", "now", "9999-12-31", "0001-01-01",
     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-02-30",
     "+99999999999999999999d", "-1w", "0m", "1d12h"]))


def field_args(pairs) -> list[str]:
    args = []
    for name, value in pairs:
        args += ["--field", f"{name}={value}"]
    return args


# --- field values ----------------------------------------------------------------------------

@FAST
@given(title=texts, pairs=assignments)
def test_open_with_any_field_values(every_kind, title, pairs):
    before = snapshot(every_kind)
    result = run("ticket", "open", "--type", "every", "--title", title, *field_args(pairs))
    assert not violations(result, every_kind, before)


@FAST
@given(title=st.one_of(st.none(), texts), pairs=assignments)
def test_set_with_any_field_values(every_kind, title, pairs):
    before = snapshot(every_kind)
    title_args = [] if title is None else ["--title", title]
    result = run("ticket", "set", "1", *title_args, *field_args(pairs))
    assert not violations(result, every_kind, before)


# --- dates and durations ---------------------------------------------------------------------

@FAST
@given(option=st.sampled_from(["--since", "--until", "--updated-since", "--updated-until"]),
       when=whens)
def test_ticket_list_with_any_date(every_kind, option, when):
    before = snapshot(every_kind)
    assert not violations(run("ticket", "list", option, when), every_kind, before)


@FAST
@given(report=st.sampled_from(["summary", "sla", "agents", "trend"]),
       option=st.sampled_from(["--since", "--until"]), when=whens)
def test_reports_with_any_date(every_kind, report, option, when):
    before = snapshot(every_kind)
    assert not violations(run("report", report, option, when), every_kind, before)


@FAST
@given(option=st.sampled_from(["--accept-within", "--resolve-within"]),
       duration=st.one_of(durations, texts, st.just("none")))
def test_sla_durations(every_kind, option, duration):
    before = snapshot(every_kind)
    assert not violations(run("type", "update", "every", option, duration), every_kind, before)


# --- import lines ----------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
ticket_keys = st.sampled_from(["type", "title", "body", "customer", "fields", "priority",
                               "cc", "source", "external_id", "other"])
ticket_records = st.one_of(
    st.dictionaries(ticket_keys, json_values, max_size=6),
    st.fixed_dictionaries({"type": st.sampled_from(["every", "renewal", "nope"]),
                           "title": texts},
                          optional={"fields": st.dictionaries(field_names, st.one_of(
                              values, json_scalars), max_size=4),
                              "customer": st.sampled_from(["C1", "C2", "nobody", 5]),
                              "priority": st.sampled_from(["low", "urgent", "bad", 1]),
                              "external_id": st.one_of(texts, st.integers()),
                              "cc": st.lists(st.sampled_from(["bob", "dept:sales", "zz"]),
                                             max_size=2)}))


def encoded(text: str) -> bytes:
    """Text as file bytes: the surrogate escapes back to the bytes they stand for."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


@FAST
@given(records=st.lists(st.one_of(ticket_records.map(lambda r: json.dumps(r).encode()),
                                  st.binary(max_size=30),
                                  texts.map(encoded)), min_size=1, max_size=4))
def test_ticket_import_of_any_lines(every_kind, tmp_path, records):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(r.replace(b"\n", b" ") for r in records) + b"\n")
    before = snapshot(every_kind)
    assert not violations(run("ticket", "import", str(source)), every_kind, before)


customer_columns = st.sampled_from(["key", "name", "email", "phone", "consultant", "note",
                                    "created_at", "x"])
cells = st.one_of(texts, st.sampled_from(["", "C99", "sun", "none", "a@b.c", "not-mail",
                                          '"quoted, comma"', "line\nbreak", "13800000000"]))


@FAST
@given(header=st.lists(customer_columns, min_size=1, max_size=5, unique=True),
       rows=st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=3))
def test_customer_import_of_any_csv(seeded_desk, tmp_path, header, rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    source = tmp_path / "in.csv"
    source.write_bytes(encoded(buffer.getvalue()))
    before = snapshot(seeded_desk)
    assert not violations(run("customer", "import", str(source)), seeded_desk, before)


@FAST
@given(records=st.lists(st.one_of(
    st.dictionaries(customer_columns, st.one_of(json_values, cells), max_size=5),
    json_values), max_size=3), fmt=st.sampled_from(["json", "jsonl"]))
def test_customer_import_of_any_json(seeded_desk, tmp_path, records, fmt):
    source = tmp_path / f"in.{fmt}"
    if fmt == "json":
        source.write_text(json.dumps(records))
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
    before = snapshot(seeded_desk)
    assert not violations(run("customer", "import", str(source)), seeded_desk, before)
