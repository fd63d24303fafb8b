"""Reading records (CSV with a header, a JSON array, or JSON lines) for imports."""

import json
from collections.abc import Iterator
from typing import TextIO

from deskcli.errors import Invalid


def read_records(handle: TextIO, fmt: str = "auto") -> Iterator[tuple[int, dict]]:
    """Yield (record number, dict). CSV records are numbered by their line in the file."""
    if fmt == "auto":
        fmt, handle = _guess(handle)
    if fmt == "csv":
        import csv

        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for row in reader:
            if None in row:
                raise Invalid(f"line {reader.line_num}: more cells than the header has columns")
            yield reader.line_num, {k.strip(): (v.strip() if isinstance(v, str) else v)
                                    for k, v in row.items() if k}
    elif fmt == "json":
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise Invalid(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, list):
            raise Invalid("expected a JSON array of objects", "or use --format jsonl")
        yield from enumerate(data, start=1)
    else:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise Invalid(f"line {number}: not valid JSON ({exc.msg})") from None


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
