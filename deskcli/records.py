"""Reading records (CSV with a header, a JSON array, or JSON lines) for imports.

Import files are opened with errors="surrogateescape", so a byte that is not UTF-8 is
named by its line here instead of ending the import with a decoding traceback.

Hand-written, not sqlite-utils' rows_from_file (issue 11; measured 2026-12-04 on 100,000
records): rows_from_file reads CSV in 171 ms against 374 ms here (JSON lines: 287 against
324), but `import sqlite_utils.utils` costs 62 ms, it numbers no lines, and a byte that is
not UTF-8 ends it with a UnicodeDecodeError for the whole file, where this module names
the line and the field. Reading is a small share of `ticket import`, whose time goes to
writing the tickets. sqlite-utils is therefore not a dependency.
"""

import json
import re
from collections.abc import Iterator
from typing import TextIO

from deskcli.errors import Invalid

CSV_FIELD_LIMIT = 128 * 1024  # characters in one CSV cell (the csv module's own default)


def bad_text(value, path: str = "") -> str | None:
    """Where `value` (a string, or lists and objects of them) holds text that is not
    UTF-8: a byte that did not decode, or a lone "\\ud800" escape. None when clean."""
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "the text"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = bad_text(key, f"{path}.{key!r}" if path else "a key") or bad_text(
                item, f"{path}.{key}" if path else str(key))
            if where:
                return where
    elif isinstance(value, list):
        for i, item in enumerate(value):
            where = bad_text(item, f"{path}[{i}]")
            if where:
                return where
    return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def may_hold_bad_text(line: str) -> bool:
    """Whether what a JSON line decodes to may hold text that is not UTF-8 (see bad_text).
    It cannot when the line encodes as UTF-8 (a byte that did not decode is a lone
    surrogate in the line itself) and has no \\uD800-\\uDFFF escape: then the values need
    no walk (a quarter of checking an import's line, in 24 calls of bad_text). An escaped
    pair (an emoji written as two escapes) or a backslash before "ud8" only takes the
    walk."""
    if _SURROGATE_ESCAPE.search(line):
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refuse_bad_text(value, where: str) -> None:
    """Invalid naming the line (`where`) and the field when `value` is not UTF-8 text."""
    field = bad_text(value)
    if field:
        raise Invalid(f"{where}: {field} is not UTF-8 text (a byte that is not UTF-8, or a "
                      "lone \\uD800-\\uDFFF escape)",
                      "convert the file to UTF-8 first, e.g. iconv -f GB18030 -t UTF-8")


def read_records(handle: TextIO, fmt: str = "auto") -> Iterator[tuple[int, dict]]:
    """Yield (record number, dict). CSV records are numbered by their line in the file."""
    if fmt == "auto":
        fmt, handle = _guess(handle)
    if fmt == "csv":
        import csv

        # a longer cell is named below with its column, not left to csv's own error
        csv.field_size_limit(max(csv.field_size_limit(), 64 * CSV_FIELD_LIMIT))
        reader = csv.DictReader(handle)
        try:
            if not reader.fieldnames:
                return
            refuse_bad_text(reader.fieldnames, "line 1 (the header)")
            for row in reader:
                if None in row:
                    raise Invalid(f"line {reader.line_num}: more cells than the header has "
                                  "columns")
                refuse_bad_text(row, f"line {reader.line_num}")
                for key, value in row.items():
                    if isinstance(value, str) and len(value) > CSV_FIELD_LIMIT:
                        raise Invalid(f"line {reader.line_num}: the field {key!r} is longer "
                                      f"than {CSV_FIELD_LIMIT} characters")
                yield reader.line_num, {k.strip(): (v.strip() if isinstance(v, str) else v)
                                        for k, v in row.items() if k}
        except csv.Error as exc:
            raise Invalid(f"line {reader.line_num}: not valid CSV ({exc})") from None
    elif fmt == "json":
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise Invalid(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, list):
            raise Invalid("expected a JSON array of objects", "or use --format jsonl")
        for number, record in enumerate(data, start=1):
            refuse_bad_text(record, f"record {number}")
            yield number, record
    else:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise Invalid(f"line {number}: not valid JSON ({exc.msg})") from None
                refuse_bad_text(record, f"line {number}")
                yield number, record


def _guess(handle: TextIO) -> tuple[str, TextIO]:
    """The format by the file name; for stdin, by the first character of the text."""
    name = getattr(handle, "name", "") or ""
    for suffix, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
                        (".json", "json")):
        if name.endswith(suffix):
            return fmt, handle
    import io

    text = handle.read()
    return format_of_text(text), io.StringIO(text)


def format_of_text(text: str) -> str:
    """json, jsonl or csv, by the first character of the text ([, { or anything else)."""
    first = text.lstrip("\ufeff \t\r\n")[:1]
    return "json" if first == "[" else "jsonl" if first == "{" else "csv"
