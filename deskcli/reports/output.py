"""Rendering a Report: terminal table, Markdown, HTML, CSV, JSON, or a custom template.

Markdown and HTML (and `--template FILE`) are Jinja templates from templates/reports/, run
in a sandbox; HTML templates autoescape, so ticket text can never become markup. jinja2 is
imported only for those formats. Table, CSV and JSON are rendered here in Python: CSV and
JSON carry the raw numbers (durations in seconds, shares as fractions), the others the
same numbers for people (1h 30m, 85.7%). CSV cells that a spreadsheet would run as a
formula are neutralised by deskcli.output.
"""

from __future__ import annotations

from pathlib import Path

from deskcli import output
from deskcli.errors import Invalid
from deskcli.reports.locale import for_people
from deskcli.reports.locale import text as words
from deskcli.reports.model import Column, Report, Section, human

FORMATS = ("table", "md", "html", "csv", "json")
MIN_FREE = 24  # free text is cut to this before a table is split into blocks
MIN_TEXT = 8  # and never narrower than this


def render(report: Report, fmt: str, *, template: str | None = None,
           section: str | None = None, width: int | None = None, mail: bool = False) -> str:
    """The report as text in `fmt` (or through a custom template file); `mail`: the HTML
    for mail clients (tables only, inline styles, no SVG charts)."""
    if template:
        return render_template(report, template, html=fmt == "html")
    if fmt == "json":
        return output.to_json(report.to_dict()) + "\n"
    report = for_people(report)
    if fmt == "csv":
        chosen = report.section(section) if section else report.main
        keys = [c.key for c in chosen.columns]
        text = output.render_rows(chosen.rows, keys, "csv")
        if report.locale == "en":  # the keys head the columns; in Chinese, the headers
            return text
        header = output.render_rows([{c.key: c.header for c in chosen.columns}], keys, "csv")
        return header.partition("\n")[2] + text.partition("\n")[2]
    if fmt == "table":
        return table(report, width, section)
    if fmt in ("md", "html"):
        return render_template(report, f"report.{fmt}.j2", builtin=True, mail=mail)
    raise Invalid(f"unknown report format {fmt!r}", f"use one of {', '.join(FORMATS)}")


# --- values for people ----------------------------------------------------------------------

def shower(report: Report):
    """show(value, kind): human() plus stored timestamps in the report's time zone, in the
    report's language."""
    from deskcli import clock
    from deskcli.reports.model import duration

    tz = clock.zone(report.timezone)
    zh = report.locale == "zh"

    def show(value, kind: str = "text") -> str:
        if kind == "stamp" and value:
            return local(value, tz)
        if zh and kind == "duration" and value is not None:
            return duration(value, "zh")
        if zh and isinstance(value, bool):
            return "是" if value else "否"
        return human(value, kind)

    return show


def local(stamp: str, tz) -> str:
    from deskcli import clock

    return clock.local_minutes(stamp, tz)


def period_text(report: Report) -> str:
    from deskcli import clock
    from deskcli.locales import zone_name

    tz = clock.zone(report.timezone)
    if report.locale == "zh":
        return (f"{local(report.since, tz)} 至 {local(report.until, tz)}"
                f"（{zone_name(tz, 'zh')}）")
    return f"{local(report.since, tz)} to {local(report.until, tz)} ({report.timezone})"


def filters_text(report: Report) -> list[tuple[str, str]]:
    """(name, value) of the filters that are set, for people."""
    out = []
    for key, value in sorted(report.filters.items()):
        if not value or key == "previous_since":
            continue
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        out.append((words(key.capitalize(), report.locale), words(shown, report.locale)))
    return out


def desks_text(report: Report) -> str:
    return ", ".join(d["title"] or d["name"] if len(report.desks) == 1 else d["name"]
                     for d in report.desks)


# --- terminal table -------------------------------------------------------------------------

def table(report: Report, width: int | None, only: str | None = None) -> str:
    """Every section as an aligned table; on a terminal (width given) long text is cut and
    columns that still do not fit continue in a second block under the first."""
    show = shower(report)
    head = [f"{report.title} · {desks_text(report)} · {period_text(report)}"]
    filters = ", ".join(f"{k}={v}" for k, v in filters_text(report))
    if filters:
        head.append(f"{words('filters', report.locale)}: {filters}")
    head += [f"{words('note', report.locale)}: {n}" for n in report.notes]
    out = [piece for line in head
           for piece in (output.wrap(line, width, "  ") if width else [line])]
    for section in [report.section(only)] if only else report.sections:
        out += ["", *(output.wrap(section.title, width, "  ") if width else [section.title])]
        out.append(grid(section, show, width, report.locale))
        if section.note:
            out += ["  " + line for line in output.wrap(section.note,
                                                          min(width or 100, 100) - 2)]
    return "\n".join(out).rstrip("\n") + "\n"


def grid(section: Section, show, width: int | None, locale: str = "en") -> str:
    columns = section.columns
    rows = section.rows + ([section.totals] if section.totals else [])
    if not section.rows:
        return "  " + words("(nothing in this period)", locale)
    cells = [[output.cut(show(row.get(c.key), c.kind).replace("\n", " ")) for c in columns]
             for row in rows]
    heads = [_header_lines(c, [line[i] for line in cells]) for i, c in enumerate(columns)]
    widths = [max([output.width(h) for h in heads[i]] + [output.width(line[i])
                                                          for line in cells])
              for i in range(len(columns))]
    if width:  # first cut long free text a little, to keep one block if that suffices
        _shrink(columns, cells, heads, widths, width, range(len(columns)), MIN_FREE)
    # the identifying columns (the leading text ones, or the first) start every block
    first_number = next((j for j, c in enumerate(columns) if c.numeric), len(columns))
    lead = list(range(first_number)) or [0]
    blocks, current = [], list(lead)
    for i in range(len(columns)):
        if i in lead:
            continue
        if width and len(current) > len(lead) and _span(widths, current + [i]) > width:
            blocks.append(current)
            current = list(lead)
        current.append(i)
    blocks.append(current)
    if width:
        for block in blocks:
            _shrink(columns, cells, heads, widths, width, block, MIN_TEXT)
    text = []
    for block in blocks:
        if text:
            text.append("")
        depth = max(len(heads[i]) for i in block)
        for level in range(depth):  # headers sit on the bottom line(s)
            text.append(_line([_head_at(heads[i], level, depth) for i in block],
                              [widths[i] for i in block], [columns[i] for i in block]))
        for line in cells:
            text.append(_line([line[i] for i in block], [widths[i] for i in block],
                              [columns[i] for i in block]))
    return "\n".join(text)


def _head_at(lines: list[str], level: int, depth: int) -> str:
    offset = depth - len(lines)
    return lines[level - offset] if level >= offset else ""


def _header_lines(column: Column, values: list[str]) -> list[str]:
    """A header on one line, or two when it has a space and is wider than its values."""
    head = column.header
    widest = max((output.width(v) for v in values), default=0)
    if " " not in head or len(head) <= max(widest, 6):
        return [head]
    spaces = [i for i, ch in enumerate(head) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(head) / 2))
    return [head[:cut], head[cut + 1:]]


def _shrink(columns, cells, heads, widths, width: int, block, floor: int) -> None:
    """Cut the widest free-text column of the block (names, titles) until the block fits
    or they reach `floor`; identifiers are never cut (what does not fit goes to another
    block)."""
    block = list(block)
    while _span(widths, block) > width:
        texts = [i for i in block if columns[i].free and
                 widths[i] > max([floor] + [output.width(h) for h in heads[i]])]
        if not texts:
            return
        i = max(texts, key=lambda j: widths[j])
        widths[i] -= 1
        for line in cells:
            line[i] = output.cut(line[i], widths[i])


def _span(widths: list[int], indexes) -> int:
    indexes = list(indexes)
    return sum(widths[i] for i in indexes) + 2 * (len(indexes) - 1)


def _line(cells: list[str], widths: list[int], columns: list[Column]) -> str:
    parts = []
    for text, w, column in zip(cells, widths, columns, strict=True):
        pad = " " * (w - output.width(text))
        parts.append(pad + text if column.numeric else text + pad)
    return "  ".join(parts).rstrip()


# --- templates ------------------------------------------------------------------------------

def mdcell(value) -> str:
    """Text safe inside a Markdown table cell: no line breaks, pipes escaped, and no raw
    HTML (a Markdown viewer would render it)."""
    text = " ".join(str(value).split())
    for old, new in (("\\", "\\\\"), ("|", "\\|"), ("&", "&amp;"), ("<", "&lt;"),
                     (">", "&gt;")):
        text = text.replace(old, new)
    return text


def _is_html(name: str | None) -> bool:
    return bool(name) and any(part in name.lower() for part in (".html", ".htm", ".xml",
                                                                ".svg"))


def environment(search: list[str], html: bool = False):
    """A sandboxed Jinja environment over `search` folders and the shipped templates."""
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from deskcli.resources import resource

    loaders = [FileSystemLoader(folder) for folder in search]
    loaders.append(FileSystemLoader(str(resource("templates") / "reports")))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=lambda name: html or _is_html(name))


def context(report: Report) -> dict:
    from deskcli import __version__

    data = report.to_dict()
    data["sections"] = [s.to_dict() for s in report.sections]
    data["period_text"] = period_text(report)
    data["desks_text"] = desks_text(report)
    data["filters_text"] = filters_text(report)
    data["locale"] = report.locale
    data["mail"] = False
    return {"report": data, "version": __version__}


def render_template(report: Report, name: str, *, builtin: bool = False,
                    html: bool = False, mail: bool = False) -> str:
    """Render through a shipped template (`builtin`) or a template file of the user's."""
    from jinja2 import TemplateError, TemplateNotFound

    search = []
    if not builtin:
        path = Path(name).expanduser()
        if not path.is_file():
            raise Invalid(f"no template file {name}", "give the path of a Jinja template")
        search, name = [str(path.parent.resolve())], path.name
    env = environment(search, html)
    report = for_people(report)
    env.filters.update(show=shower(report), human=human, mdcell=mdcell,
                       t=lambda value: words(value, report.locale))
    try:
        data = context(report)
        data["report"]["mail"] = mail
        return env.get_template(name).render(**data)
    except TemplateNotFound as exc:
        raise Invalid(f"template {name}: cannot find {exc.name}") from None
    except TemplateError as exc:
        where = f" line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise Invalid(f"template {name}{where}: {exc.message or exc}",
                      "the context is `report` (see `--format json` for its keys)") from None
