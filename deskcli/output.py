"""Rendering results: table, plain, csv, tsv, json, jsonl. The only module that formats.

Machine formats are a stable contract (SPEC §9): snake_case keys, RFC 3339 UTC times,
null for missing values, lists as arrays, and the same bytes whether stdout is a terminal
or a pipe. Tables for people cut long text at a fixed width, and wide (Chinese) characters
count as two columns; a table wider than the terminal ($COLUMNS, else the terminal's
width; never in a pipe) is printed as one block of 'TITLE  value' lines per row.

The layout is hand-written, not tabulate (issue 11; measured 2026-12-04, warm
`python -X importtime`): `import tabulate` costs 50 ms (wcwidth alone 19 ms) against 3.4 ms
for this whole module, on every command that prints a table: `ticket list`, a 43 ms
process in all, would take twice as long. Nor does tabulate do what the tables here
need: the cut at MAX_CELL, the fall-back to 'TITLE  value' blocks in a narrow terminal,
the CSV formula guard. width() counts what wcwidth counts for combining marks,
zero-width characters and emoji sequences (the same result on 20,000 random mixes of CJK,
Hangul, accents and emoji).
"""

import sys

# json and unicodedata are imported where they are used: a command printing a plain id or
# an ASCII table (whoami, most write commands) does not pay for them at start-up.

FORMATS = ("table", "plain", "csv", "tsv", "json", "jsonl")
MAX_CELL = 48
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(data) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, indent=2)


def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns;
    combining marks, format characters (zero-width joiner, space) and variation selectors
    none; an emoji made wide by U+FE0F, given a skin tone, or joined to others by U+200D,
    as one wide glyph (as wcwidth counts them: not imported, it costs 19 ms)."""
    if text.isascii():
        return len(text)
    import unicodedata

    kinds = list(map(unicodedata.east_asian_width, text))  # C all the way: no Python loop
    cats = list(map(unicodedata.category, text))
    if not (cats.count("Mn") or cats.count("Me") or cats.count("Cf")
            or max(text) >= _SKIN_TONES[0]):
        return len(text) + kinds.count("W") + kinds.count("F")
    return sum(_columns(text))


_SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")  # emoji modifiers: part of the emoji before


def _columns(text: str):
    """The columns each character of `text` adds (see width)."""
    import unicodedata

    joined = False
    previous = 0
    for ch in text:
        if ch == "\ufe0f":  # emoji presentation: the character before it shows wide
            used = 1 if previous == 1 else 0
        elif joined or _SKIN_TONES[0] <= ch <= _SKIN_TONES[1] or unicodedata.category(
                ch) in ("Mn", "Me", "Cf"):
            used = 0
        else:
            used = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        joined = ch == "\u200d"
        if used:
            previous = used
        yield used


def cut(text: str, limit: int = MAX_CELL) -> str:
    """Shorten to `limit` display columns, marking the cut with '…'."""
    if len(text) <= limit // 2 or width(text) <= limit:
        return text
    used = 0
    for i, columns in enumerate(_columns(text)):
        used += columns
        if used > limit - 1:
            return text[:i] + "…"
    return text


def cell(value) -> str:
    """A value as table/CSV text: lists comma-joined, objects as JSON, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def safe_cell(value) -> str:
    """CSV/TSV cell that a spreadsheet will not run as a formula: text starting with
    = + - @ (or a tab/CR) gets a leading apostrophe. Numbers are left alone."""
    text = cell(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def render_rows(rows: list[dict], columns: list[str], fmt: str,
                headers: dict[str, str] | None = None) -> str:
    """A listing in the chosen format. json/jsonl carry every key of every row; the text
    formats show `columns`."""
    if fmt == "json":
        return to_json(rows) + "\n"
    if fmt == "jsonl":
        import json

        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt in ("csv", "tsv"):
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t",
                            lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
        return buffer.getvalue()
    texts = [[cut(cell(row.get(c)).replace("\n", " ")) for c in columns] for row in rows]
    if fmt == "plain":
        return "".join("\t".join(line) + "\n" for line in texts)
    titles = [(headers or {}).get(c, c.upper()) for c in columns]
    lines = [[(text, width(text)) for text in line] for line in [titles, *texts]]
    widths = [max(line[i][1] for line in lines) for i in range(len(columns))]
    room = terminal_width()
    if room and sum(widths) + 2 * (len(widths) - 1) > room:
        return as_records(titles, texts, room) if texts else ""
    return "".join(_line(line, widths) + "\n" for line in lines)


def terminal_width() -> int | None:
    """The width people read tables at: $COLUMNS, else the terminal's; None in a pipe
    (so what a script reads never depends on a terminal)."""
    import os

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def as_records(titles: list[str], texts: list[list[str]], room: int) -> str:
    """A table too wide for the terminal, as one block per row: 'TITLE  value' lines,
    long values wrapped under themselves, a blank line between rows."""
    label = max(width(t) for t in titles)
    space = max(room - label - 2, 12)
    out: list[str] = []
    for line in texts:
        if out:
            out.append("")
        for title, text in zip(titles, line, strict=True):
            first, *rest = wrap(text, space)
            out.append((title + " " * (label - width(title)) + "  " + first).rstrip())
            out += [" " * (label + 2) + piece for piece in rest]
    return "\n".join(out) + "\n"


def wrap(text: str, limit: int, indent: str = "") -> list[str]:
    """Lines of at most `limit` display columns, broken at a space where there is one
    (Chinese text, which has none, anywhere); lines after the first start with
    `indent`."""
    lines: list[str] = []
    while True:
        room = max(limit - width(indent), 8) if lines else limit
        if width(text) <= room:
            break
        end = used = 0
        space = -1
        for i, ch in enumerate(text):
            used += width(ch)
            if used > room:
                break
            end = i + 1
            if ch == " ":
                space = i
        cut_at = space if space > 0 else max(end, 1)
        lines.append(text[:cut_at].rstrip())
        text = text[cut_at:].lstrip(" ")
    lines.append(text)
    return lines[:1] + [indent + line for line in lines[1:]]


def _line(cells: list[tuple[str, int]], widths: list[int]) -> str:
    """One table line from (text, display width) cells, padded to the column widths."""
    parts = [text + " " * (w - used) for (text, used), w in zip(cells, widths, strict=True)]
    return "  ".join(parts).rstrip()


def render_object(obj: dict, fmt: str, human=None) -> str:
    """One object: JSON for machines; for people, `human(obj)` or key: value lines."""
    if fmt == "json":
        return to_json(obj) + "\n"
    if fmt == "jsonl":
        import json

        return json.dumps(obj, ensure_ascii=False) + "\n"
    if fmt in ("csv", "tsv"):
        return render_rows([obj], list(obj), fmt)
    if human is not None:
        return human(obj)
    return key_values(obj)


def key_values(obj: dict) -> str:
    label = max((width(k) for k in obj), default=0)
    lines = []
    for key, value in obj.items():
        text = cell(value) if not isinstance(value, list) else ", ".join(cell(v) for v in value)
        lines.append(f"{key}:{' ' * (label - width(key) + 1)}{text}")
    return "\n".join(lines) + "\n"


def unshowable(exc: UnicodeEncodeError) -> tuple[str, int]:
    """An encoding error handler for terminals that cannot show every character (a
    Latin-1 locale): '?' for each, '??' for a wide one, so that tables stay aligned."""
    import unicodedata

    bad = exc.object[exc.start:exc.end]
    return "".join("??" if unicodedata.east_asian_width(ch) in "WF" else "?"
                   for ch in bad), exc.end


def write(text: str) -> None:
    sys.stdout.write(text)


def say(text: str) -> None:
    """A message for people: stderr, so stdout stays machine-readable."""
    sys.stderr.write(text.rstrip("\n") + "\n")
