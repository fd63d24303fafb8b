"""FAQ files: CSV, JSON, JSON lines and Markdown, read into import records and written from
export records (key, category, question, answer, keywords, types). Pure: no I/O, no SQL.

Markdown is one ``##`` heading per entry (the question), the answer below it, and an
HTML comment with the entry's key, keywords and ticket types, which renders invisibly::

    # 账号与登录

    ## 学员登录时提示“账号不存在”怎么办？
    <!-- key: faq-001; keywords: 登录, 账号不存在; types: app-crash -->

    学员账号由校区在报名缴费后创建……

A ``#`` heading sets the category of the entries below it (a subcategory is written as
a path: ``# 账号与登录/微信登录``); ``category:`` in the comment overrides it. Headings
inside fenced code blocks are text; an answer may use ``###`` headings but not ``##``.
"""

FORMATS = ("jsonl", "json", "csv", "md")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
              ".md": "md", ".markdown": "md"}
FIELDS = ("key", "category", "question", "answer", "keywords", "types")


def format_of(name: str | None, given: str | None) -> str | None:
    """The format chosen with --format, else the one the file name's extension says."""
    if given:
        return given
    if not name or name == "-":
        return None
    lowered = name.lower()
    for ext, fmt in EXTENSIONS.items():
        if lowered.endswith(ext):
            return fmt
    return None


def format_of_text(text: str) -> str:
    """The format of text without a file name (stdin): Markdown when it starts with a
    heading, else JSON, JSON lines or CSV by its first character."""
    from deskcli.records import format_of_text as records_format

    return "md" if text.lstrip("\ufeff \t\r\n").startswith("#") else records_format(text)


def parse(text: str, fmt: str) -> list[dict]:
    """Records from a file's text. Raises ValueError with the line or entry at fault."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if fmt == "json":
        import json

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if isinstance(data, dict) and isinstance(data.get("faq"), list):
            data = data["faq"]
        if not isinstance(data, list):
            raise ValueError("a JSON FAQ file is an array of objects")
        return data
    if fmt == "jsonl":
        import json

        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"line {number} is not valid JSON ({exc.msg})") from None
        return records
    if fmt == "csv":
        return _parse_csv(text)
    if fmt == "md":
        return _parse_markdown(text)
    raise ValueError(f"unknown format {fmt!r}")


def _parse_csv(text: str) -> list[dict]:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"question", "answer"} <= set(reader.fieldnames):
        raise ValueError("the CSV header must name at least question and answer "
                         f"(columns: {', '.join(FIELDS)})")
    records = []
    for row in reader:
        if None in row:
            raise ValueError(f"line {reader.line_num} has more cells than the header")
        records.append({k: (v if v != "" else None) for k, v in row.items() if k in FIELDS
                        or v not in ("", None)})
    return records


def _parse_markdown(text: str) -> list[dict]:
    import re

    records: list[dict] = []
    category = None
    current: dict | None = None
    body: list[str] = []
    fence = None

    def finish():
        if current is not None:
            records.append(_markdown_entry(current, "\n".join(body), re))

    for line in text.splitlines():
        stripped = line.strip()
        marker = stripped[:3]
        if fence is None and marker in ("```", "~~~"):
            fence = marker
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and line.startswith("## "):
            finish()
            current, body = {"question": line[3:].strip(), "category": category}, []
            continue
        elif fence is None and line.startswith("# "):
            finish()
            current, body = None, []
            category = line[2:].strip() or None
            continue
        if current is not None:
            body.append(line)
    finish()
    return records


def _markdown_entry(entry: dict, body: str, re) -> dict:
    """The answer, and the key/keywords/types/category of the leading HTML comments."""
    rest = body.strip()
    while rest.startswith("<!--"):
        end = rest.find("-->")
        if end < 0:
            break
        for item in re.split(r"[;\n]", rest[4:end]):
            name, sep, value = item.partition(":")
            name = name.strip().lower()
            if sep and name in ("key", "keywords", "types", "category"):
                entry[name] = value.strip() or None
        rest = rest[end + 3:].strip()
    entry["answer"] = rest
    return entry


def render(records: list[dict], fmt: str) -> str:
    """The text of a FAQ file of `records` in `fmt`."""
    import json

    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FIELDS)
        for r in records:
            writer.writerow([", ".join(r.get(f) or []) if f in ("keywords", "types")
                             else r.get(f) or "" for f in FIELDS])
        return buffer.getvalue()
    if fmt == "md":
        return _render_markdown(records)
    raise ValueError(f"unknown format {fmt!r}")


def _render_markdown(records: list[dict]) -> str:
    out: list[str] = []
    # entries without a category first, before any `#` heading
    ordered = sorted(records, key=lambda r: (r.get("category") or "", r["key"]))
    category = None
    for r in ordered:
        if r.get("category") != category or not out:
            category = r.get("category")
            if category:
                out.append(f"# {category}\n")
        meta = [f"key: {r['key']}"]
        if r.get("keywords"):
            meta.append(f"keywords: {', '.join(r['keywords'])}")
        if r.get("types"):
            meta.append(f"types: {', '.join(r['types'])}")
        question = " ".join(r["question"].split())
        out.append(f"## {question}\n<!-- {'; '.join(meta)} -->\n\n{r['answer'].strip()}\n")
    return "\n".join(out)
