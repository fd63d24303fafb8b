"""Reports (issue 6): every number is checked against a small desk built through the CLI
with DESKCLI_NOW moving, and computed by hand below — never against the code's output.

Desk A ("brand-a", time zone UTC) adds a `bug` type (manual routing, accept within 1h,
resolve within 1d, fields model A|B|C and ver) to the conftest desk. Its timeline, in
order (all 2026, UTC):

  #1 bug C  10-28 10:00 opened; 11:00 closed by alice                (previous period)
  #2 bug A  11-01 10:00 opened, assigned to bob; 11-02 09:00 bob accepts (23h: accept
            due 11:00 missed by 22h); 11-02 12:00 bob resolves (due 11-02 10:00: 2h late);
            11-10 09:00 closed (after the period)
  #3 bug A  11-03 08:00 opened; 08:30 carol accepts (30m); 09:00 reply --wait; 13:00 reply
            (4h waiting: resolve due 11-04 08:00 -> 12:00); 11-04 10:00 resolved; 11:00
            rated 5; 11-05 09:00 reopened (due 11-06 09:00); 15:00 resolved again; 11-06
            10:00 closed
  #4 bug B  11-04 10:00 opened (title with HTML); 10:30 assigned to bob; 11:00 bob
            declines; 12:00 assigned to carol; 12:30 carol accepts (2h30m: 1h30m late);
            11-05 09:00 carol transfers to bob; 11-06 09:00 alice nudges (-> bob); still in
            progress: resolve due 11-05 10:00 -> late by the end of the period
  #5 renewal 11-05 10:00 opened for C1 (routed to sun, no SLA); 14:00 sun accepts;
            11-06 10:00 steps ticked, resolved
  #6 bug B  11-06 09:00 opened (title and ver start with '='); never accepted
  #7 bug A  11-08 20:00 opened; 20:10 bob accepts; 11-09 10:00 resolved (after the period)

The period P is --since 2026-11-02 --until 2026-11-08 = [11-02 00:00, 11-09 00:00); the
previous period is [10-26, 11-02).

Desk B ("brand-b"): #1 bug A 11-03 10:00 opened, 10:20 alice accepts, 12:00 resolves;
#2 bug C 11-05 09:00 opened, never accepted.
"""

import csv
import html
import io
import json
import re
import shlex
from html.parser import HTMLParser

import pytest
from conftest import is_pg, ok, pg_copy, query, run, seed_desk

PERIOD = "--since 2026-11-02 --until 2026-11-08"
H = 3600
BUG = ("type add bug --name Bug --route manual --accept-within 1h --resolve-within 1d "
       "--field 'model:choice=A|B|C' --field ver:text")
EVIL_TITLE = "<b>bold</b> & <script>x</script>"
FORMULA_TITLE = '=HYPERLINK("http://evil")'


def at(when: str) -> str:
    """'11-03 08:00' -> '2026-11-03T08:00:00Z'."""
    return f"2026-{when[:5]}T{when[6:]}:00Z"


def act(when: str, command: str, who: str = "alice"):
    return ok(command, as_user=who, now=at(when))


def bug(when: str, title: str, model: str, ver: str) -> int:
    return act(when, f"ticket open --type bug --title {shlex.quote(title)} --field model={model} "
                     f"--field ver={shlex.quote(ver)} --json").json["id"]


def build_a():
    seed_desk()
    ok(BUG)
    assert bug("10-28 10:00", "Old crash", "C", "1.0") == 1
    act("10-28 11:00", "ticket close 1")
    assert bug("11-01 10:00", "Crash at start", "A", "1.0") == 2
    act("11-01 10:00", "ticket assign 2 --to bob")
    act("11-02 09:00", "ticket accept 2", "bob")
    act("11-02 12:00", "ticket resolve 2 -m fixed", "bob")
    assert bug("11-03 08:00", "Crash on login", "A", "1.0") == 3
    act("11-03 08:30", "ticket accept 3", "carol")
    act("11-03 09:00", "ticket reply 3 --wait -m 'Which phone?'", "carol")
    act("11-03 13:00", "ticket reply 3 -m Thanks", "carol")
    assert bug("11-04 10:00", EVIL_TITLE, "B", "1.0") == 4
    act("11-04 10:00", "ticket resolve 3 -m 'update the app'", "carol")
    act("11-04 10:30", "ticket assign 4 --to bob")
    act("11-04 11:00", "ticket decline 4 -m 'not mine'", "bob")
    act("11-04 11:00", "ticket rate 3 5")
    act("11-04 12:00", "ticket assign 4 --to carol")
    act("11-04 12:30", "ticket accept 4", "carol")
    act("11-05 09:00", "ticket reopen 3 -m 'still broken'")
    act("11-05 09:00", "ticket transfer 4 --to bob", "carol")
    five = act("11-05 10:00", "ticket open --type renewal --title Renew --customer C1 "
                              "--field package=12 --json").json
    assert (five["id"], five["assignee"]) == (5, "sun")
    act("11-05 14:00", "ticket accept 5", "sun")
    act("11-05 15:00", "ticket resolve 3 -m 'really fixed'", "carol")
    assert bug("11-06 09:00", FORMULA_TITLE, "B", "=SUM(A1)") == 6
    act("11-06 09:00", "ticket nudge 4")
    for step in (1, 2):
        act("11-06 10:00", f"ticket check 5 {step}", "sun")
    act("11-06 10:00", "ticket resolve 5 -m renewed", "sun")
    act("11-06 10:00", "ticket close 3", "carol")
    assert bug("11-08 20:00", "Crash again", "A", "2.0") == 7
    act("11-08 20:10", "ticket accept 7", "bob")
    act("11-09 10:00", "ticket resolve 7 -m ok", "bob")
    act("11-10 09:00", "ticket close 2", "bob")


def build_b(path):
    db = f"--db {path}"
    ok(f"{db} init --admin alice --name Alice --desk-name 'Brand B'", as_user=None)
    ok(f"{db} {BUG}")
    assert act("11-03 10:00", f"{db} ticket open --type bug --title 'B crash' --field model=A "
                              "--json").json["id"] == 1
    act("11-03 10:20", f"{db} ticket accept 1")
    act("11-03 12:00", f"{db} ticket resolve 1 -m done")
    act("11-05 09:00", f"{db} ticket open --type bug --title 'B other' --field model=C")


@pytest.fixture(scope="module")
def desks(tmp_path_factory):
    """Both desks, built once for the module (reports only read them)."""
    base = tmp_path_factory.mktemp("reports")
    home = base / "home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        mp.setenv("DESKCLI_DB", str(base / "brand-a.db"))
        for name in ("DESKCLI_USER", "DESKCLI_DEBUG", "EDITOR", "VISUAL", "COLUMNS"):
            mp.delenv(name, raising=False)
        build_a()
        build_b(base / "brand-b.db")
    return base / "brand-a.db", base / "brand-b.db"


@pytest.fixture
def a(desks, monkeypatch, store_kind, request):
    """Desk A: on the postgres leg a copy of a database built once by build_a (the group
    tests combine the two desk files of `desks`, by their names brand-a and brand-b)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    if store_kind == "postgres":
        return pg_copy(request, "reports-a", build_a)
    monkeypatch.setenv("DESKCLI_DB", str(desks[0]))
    return desks[0]


@pytest.fixture
def group(desks, a, store_kind, request):
    """The two desks of the group view: brand-a.db and brand-b.db on the sqlite leg; on the
    postgres leg a PostgreSQL desk A (a database named brand-a, a copy of the leg's desk A)
    and the SQLite file of desk B: the group view mixes the two stores."""
    if store_kind != "postgres":
        yield desks
        return
    cluster = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("pg_templates")["reports-a"]
    admin = cluster.admin.cursor()
    admin.execute('DROP DATABASE IF EXISTS "brand-a" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "brand-a" TEMPLATE {template}{cluster.strategy}')
    yield cluster.url("brand-a"), desks[1]
    admin.execute('DROP DATABASE IF EXISTS "brand-a" WITH (FORCE)')


def report(args: str, **kwargs):
    return ok(f"report {args}", **kwargs)


def named(keys, values) -> dict:
    return dict(zip(keys, values, strict=True))


def rows_by(data: dict, key: str, section: str = "rows") -> dict:
    return {r[key]: r for r in data[section]}


# --- summary --------------------------------------------------------------------------------

def test_summary_numbers(a):
    data = report(f"summary {PERIOD} --json").json
    assert (data["since"], data["until"]) == ("2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z")
    rows = rows_by(data, "type")
    counts = ("opened", "accepted", "resolved", "closed", "reopened", "backlog", "overdue")
    # backlog at 11-09 00:00: #4 (in progress), #6 (new), #7 (resolved only on 11-09);
    # overdue: #4 (resolve due 11-05) and #6 (accept due 11-06)
    assert {k: rows["bug"][k] for k in counts} == named(counts, (4, 4, 2, 1, 1, 3, 2))
    assert {k: rows["renewal"][k] for k in counts} == named(counts, (1, 1, 1, 0, 0, 0, 0))
    assert set(rows) == {"bug", "renewal"}  # crash had nothing in the period
    assert {k: data["totals"][k] for k in counts} == named(counts, (5, 5, 3, 1, 1, 3, 2))
    # the five tickets opened in the period, by their status now
    assert {r["status"]: r["count"] for r in data["by_status"]} == {
        "new": 1, "in_progress": 1, "resolved": 2, "closed": 1}
    assert rows_by(data, "status", "by_status")["resolved"]["share"] == 0.4


def test_summary_backlog_at_an_earlier_moment(a):
    # at 11-05 00:00: #2 resolved, #3 resolved (reopened only at 09:00), #4 in progress
    data = report("summary --since 2026-11-01 --until 2026-11-04 --json").json
    assert rows_by(data, "type")["bug"]["backlog"] == 1
    # at 11-05 12:00 #3 had been reopened: #3 and #4 are open, #4 past its resolve due time
    data = report("summary --since 2026-11-05 --until 2026-11-05T12:00 --json").json
    bug_row = rows_by(data, "type")["bug"]
    assert (bug_row["backlog"], bug_row["overdue"], bug_row["reopened"]) == (2, 1, 1)


def test_summary_filters(a):
    data = report(f"summary {PERIOD} --type renewal --json").json
    assert [r["type"] for r in data["rows"]] == ["renewal"]
    assert data["filters"]["type"] == ["renewal"]
    # the sales department: tickets owned (or, unaccepted, assigned) by sales people
    data = report(f"summary {PERIOD} --dept sales --json").json
    assert [(r["type"], r["opened"]) for r in data["rows"]] == [("renewal", 1)]
    assert run(f"report summary {PERIOD} --type nope").code == 3
    assert run(f"report summary {PERIOD} --dept nope").code == 3


def test_default_period_is_the_last_30_days(a):
    data = report("summary --json", now=at("11-09 00:00")).json
    assert data["since"] == "2026-10-10T00:00:00Z"
    assert data["totals"]["opened"] == 7


# --- SLA ------------------------------------------------------------------------------------

def test_sla_numbers(a):
    data = report(f"sla {PERIOD} --json").json
    bug_row = rows_by(data, "type")["bug"]
    # accept: #2 23h (late), #3 30m, #4 2h30m (late), #7 10m; #6 never accepted (late)
    assert {k: bug_row[k] for k in ("accepted", "accept_sla", "accept_met", "accept_share")} \
        == {"accepted": 4, "accept_sla": 5, "accept_met": 2, "accept_share": 0.4}
    # times 10m, 30m, 2h30m, 23h: median (30m + 2h30m) / 2; p90 = 2h30m + 0.7 * 20h30m
    assert (bug_row["accept_median"], bug_row["accept_p90"]) == (90 * 60, 9000 + 51660)
    # resolve: #2 26h (late), #3 51h (55h minus 4h waiting, in time after the reopening);
    # #4 and #6 still open past their resolve due time; #7 resolved after the period
    assert {k: bug_row[k] for k in ("resolved", "resolve_sla", "resolve_met", "resolve_share")} \
        == {"resolved": 2, "resolve_sla": 4, "resolve_met": 1, "resolve_share": 0.25}
    assert (bug_row["resolve_median"], bug_row["resolve_p90"]) == (
        (26 * H + 51 * H) // 2, 26 * H + 0.9 * 25 * H)
    renewal = rows_by(data, "type")["renewal"]
    assert (renewal["accepted"], renewal["accept_sla"], renewal["accept_share"],
            renewal["accept_median"], renewal["resolve_median"]) == (1, 0, None, 4 * H, 24 * H)
    total = data["totals"]
    assert (total["accepted"], total["accept_sla"], total["accept_met"]) == (5, 5, 2)
    # 10m, 30m, 2h30m, 4h, 23h: median 2h30m; p90 = 4h + 0.6 * 19h
    assert (total["accept_median"], total["accept_p90"]) == (9000, 4 * H + 0.6 * 19 * H)
    # 24h, 26h, 51h: median 26h; p90 = 26h + 0.8 * 25h
    assert (total["resolved"], total["resolve_median"], total["resolve_p90"]) == (
        3, 26 * H, 26 * H + 0.8 * 25 * H)


def test_sla_by_department_and_worst_breaches(a):
    data = report(f"sla {PERIOD} --json").json
    depts = rows_by(data, "dept", "by_dept")
    assert set(depts) == {"support", "sales", None}  # None: #6, nobody to accept it
    assert (depts["support"]["accept_sla"], depts["support"]["accept_met"],
            depts["support"]["resolve_sla"], depts["support"]["resolve_met"]) == (4, 2, 3, 1)
    assert (depts[None]["accept_sla"], depts[None]["accept_met"],
            depts[None]["resolve_sla"]) == (1, 0, 1)
    assert depts["sales"]["accepted"] == 1
    worst = [(b["ticket"], b["sla"], b["late_by"]) for b in data["breaches"]]
    assert worst == [(4, "resolve", 86 * H), (6, "accept", 62 * H), (6, "resolve", 39 * H),
                     (2, "accept", 22 * H), (2, "resolve", 2 * H), (4, "accept", 90 * 60)]
    first = data["breaches"][0]
    assert (first["person"], first["status"], first["title"], first["due_at"]) == (
        "carol", "in_progress", EVIL_TITLE, "2026-11-05T10:00:00Z")
    assert [b["ticket"] for b in report(f"sla {PERIOD} --worst 2 --json").json["breaches"]] \
        == [4, 6]


def test_sla_counts_business_hours_when_the_desk_has_them(a, tmp_path):
    import shutil

    copy = a  # on the postgres leg, already this test's own copy
    if not is_pg(a):
        copy = tmp_path / "hours.db"
        shutil.copy(a, copy)
    ok(f"--db {copy} config set business-hours 'Mon-Fri 09:00-18:00'")
    data = report(f"sla {PERIOD} --db {copy} --json").json
    # #2: opened Sun 11-01 10:00, accepted Mon 11-02 09:00: no working time passed
    # #3: Tue 08:00 -> 08:30 also before 09:00; #4: Wed 10:00 -> 12:30 = 2h30m;
    # #7: Sun evening; #5: Thu 10:00 -> 14:00 = 4h  -> 0, 0, 0, 2h30m, 4h
    assert (data["totals"]["accept_median"], data["totals"]["accept_p90"]) == (
        0, 9000 + 0.6 * (4 * H - 9000))


# --- agents ---------------------------------------------------------------------------------

def test_agents_numbers(a):
    data = report(f"agents {PERIOD} --json").json
    assert [r["agent"] for r in data["rows"]] == ["bob", "carol", "sun"]
    people = rows_by(data, "agent")
    keys = ("accepted", "resolved", "reopened", "transferred", "nudged", "escalated",
            "accept_median", "resolve_median", "rated", "satisfaction")
    # bob: accepted #2 (offered 11-01 10:00: 23h) and #7 (10m); resolved #2 3h after
    # accepting it; nudged once about #4 (he was handling it)
    assert {k: people["bob"][k] for k in keys} == named(keys, (
        2, 1, 0, 0, 1, 0, (23 * H + 600) // 2, 3 * H, 0, None))
    # carol: #3 (30m) and #4 (30m after it was assigned to her); resolved #3 twice:
    # 25h30m and 54h30m after accepting, minus 4h waiting; #3 was reopened; one transfer;
    # #3 rated 5
    assert {k: people["carol"][k] for k in keys} == named(keys, (
        2, 1, 1, 1, 0, 0, 1800, (21 * H + 1800 + 50 * H + 1800) // 2, 1, 5.0))
    assert {k: people["sun"][k] for k in keys} == named(keys, (
        1, 1, 0, 0, 0, 0, 4 * H, 20 * H, 0, None))
    total = data["totals"]
    # accept times 10m 30m 30m 4h 23h; resolve times 3h 20h 21h30m 50h30m
    assert {k: total[k] for k in keys} == named(keys, (
        5, 3, 1, 1, 1, 0, 1800, (20 * H + 21 * H + 1800) // 2, 1, 5.0))
    assert people["sun"]["dept"] == "sales" and people["sun"]["name"] == "Sun Mei"


def test_agents_dept_filter_and_permission(a):
    data = report(f"agents {PERIOD} --dept sales --json").json
    assert [r["agent"] for r in data["rows"]] == ["sun"]
    refused = run(f"report agents {PERIOD}", as_user="bob")
    assert refused.code == 4 and "report.view" in refused.err
    assert report(f"agents {PERIOD} --json", as_user="viv").json["totals"]["accepted"] == 5


# --- fields ---------------------------------------------------------------------------------

def test_fields_shares_and_change(a):
    data = report(f"fields --type bug --by model {PERIOD} --json").json
    # this period: A #3 #7, B #4 #6; the previous one: A #2, C #1
    assert [(r["model"], r["count"], r["share"], r["previous"], r["change"], r["change_pct"])
            for r in data["rows"]] == [("A", 2, 0.5, 1, 1, 1.0), ("B", 2, 0.5, 0, 2, None),
                                       ("C", 0, 0.0, 1, -1, -1.0)]
    assert (data["totals"]["count"], data["totals"]["previous"], data["totals"]["share"]) == (
        4, 2, 1.0)
    assert data["filters"]["previous_since"] == "2026-10-26T00:00:00Z"


def test_fields_two_fields_limit_and_errors(a):
    data = report(f"fields --type bug --by model --by ver {PERIOD} --json").json
    pairs = {(r["model"], r["ver"]): (r["count"], r["previous"]) for r in data["rows"]}
    assert pairs == {("A", "1.0"): (1, 1), ("A", "2.0"): (1, 0), ("B", "1.0"): (1, 0),
                     ("B", "=SUM(A1)"): (1, 0), ("C", "1.0"): (0, 1)}
    limited = report(f"fields --type bug --by model --by ver {PERIOD} --limit 2 --json").json
    assert [(r["model"], r["count"], r["previous"]) for r in limited["rows"]] == [
        ("A", 1, 1), ("(other)", 3, 1)]
    assert run(f"report fields --by model {PERIOD}").code == 2  # no --type
    missing = run(f"report fields --type bug --by colour {PERIOD}")
    assert missing.code == 3 and "model, ver" in missing.err


# --- trend ----------------------------------------------------------------------------------

def test_trend_by_day(a):
    data = report(f"trend {PERIOD} --json").json
    days = {r["day"]: r for r in data["rows"]}
    assert list(days) == [f"2026-11-0{d}" for d in range(2, 9)]
    keys = ("opened", "accepted", "resolved", "closed", "reopened")
    expected = {"02": (0, 1, 1, 0, 0), "03": (1, 1, 0, 0, 0), "04": (1, 1, 1, 0, 0),
                "05": (1, 1, 1, 0, 1), "06": (1, 0, 1, 1, 0), "07": (0, 0, 0, 0, 0),
                "08": (1, 1, 0, 0, 0)}
    for day, values in expected.items():
        assert tuple(days[f"2026-11-{day}"][k] for k in keys) == values, day
    assert tuple(data["totals"][k] for k in keys) == (5, 5, 4, 1, 1)


def test_trend_by_week_defaults_to_13_whole_weeks(a):
    data = report("trend --by week --json", now=at("11-11 12:00")).json
    assert data["since"] == "2026-08-17T00:00:00Z"  # a Monday, 12 weeks before 11-09
    weeks = {r["week"]: r["opened"] for r in data["rows"]}
    assert len(weeks) == 13
    assert (weeks["2026-10-26"], weeks["2026-11-02"], weeks["2026-11-09"]) == (2, 5, 0)


# --- every format agrees --------------------------------------------------------------------

class Tables(HTMLParser):
    """The text of every table cell of an HTML page, table by table."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


KINDS = {"share": "share", "median": "duration", "p90": "duration", "satisfaction": "score",
         "change_pct": "pct", "change": "change"}


def shown(column: str, value) -> str:
    """How people see a JSON value of a column (the units are tested separately)."""
    from deskcli.reports.model import human

    kind = next((k for suffix, k in KINDS.items() if column.endswith(suffix)), "int")
    return human(value, kind) if isinstance(value, int | float) else \
        ("-" if value is None else str(value))


def test_every_format_agrees(a):
    for name, args in (("summary", ""), ("sla", ""), ("agents", ""),
                       ("fields", "--type bug --by model"), ("trend", "")):
        base = f"{name} {args} {PERIOD}"
        data = report(f"{base} --json").json
        columns = list(data["rows"][0])
        key = columns[0]
        expected = {str(r[key]): r for r in data["rows"]}
        # CSV: the raw numbers
        rows = list(csv.DictReader(io.StringIO(report(f"{base} --format csv").out)))
        assert list(rows[0]) == columns, name
        for row in rows:
            for column, value in row.items():
                raw = expected[row[key]][column]
                assert value == ("" if raw is None else str(raw)), (name, column)
        # table, Markdown and HTML: the same numbers for people
        want = [[shown(c, r[c]) for c in columns] for r in data["rows"]]
        page = Tables()
        page.feed(report(f"{base} --format html").out)
        assert [cells for cells in page.tables[0][1:len(want) + 1]] == want, name
        md = [line for line in report(f"{base} --format md").out.splitlines()
              if line.startswith("| ")]
        md_rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in md[2:]]
        assert md_rows[:len(want)] == want, name
        table = report(f"{base} --format table").out.splitlines()
        for cells in want:
            line = next(li for li in table if li.startswith(cells[0] + " "))
            assert re.split(r"\s{2,}", line.strip()) == [c for c in cells if c != ""], name


def test_csv_neutralises_formulas(a):
    text = report(f"sla {PERIOD} --section breaches --format csv").out
    rows = list(csv.DictReader(io.StringIO(text)))
    six = next(r for r in rows if r["ticket"] == "6")
    assert six["title"] == "'" + FORMULA_TITLE
    fields = report(f"fields --type bug --by ver {PERIOD} --format csv").out
    assert "'=SUM(A1)" in fields
    assert all(not line.startswith(("=", "+", "@")) for line in fields.splitlines())


def test_html_is_self_contained_and_escapes_ticket_text(a, tmp_path):
    out = tmp_path / "sla.html"
    result = report(f"sla {PERIOD} --format html --output {out}")
    assert result.out == "" and str(out) in result.err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<svg" in page and "<rect" in page  # the chart is inline
    assert not re.search(r"<script|<link|src=|href=|@import|url\(", page)
    assert "&lt;script&gt;x&lt;/script&gt;" in page and html.escape(EVIL_TITLE) in page
    assert "<b>bold</b>" not in page
    trend = report(f"trend {PERIOD} --format html").out
    assert "<polyline" in trend
    md = report(f"sla {PERIOD} --format md").out
    assert "<script>" not in md and "&lt;script&gt;x" in md


# --- templates, terminal width, mail -------------------------------------------------------

def test_custom_template_sandboxed_and_autoescaped(a, tmp_path):
    plain = tmp_path / "mine.txt.j2"
    plain.write_text("{% for r in report.rows %}{{ r.type }}={{ r.opened }};{% endfor %}"
                     "{{ report.totals.backlog }}\n", encoding="utf-8")
    assert report(f"summary {PERIOD} --template {plain}").out == "bug=4;renewal=1;3\n"
    page = tmp_path / "mine.html"
    page.write_text("{{ report.breaches[0].title }}", encoding="utf-8")
    assert report(f"sla {PERIOD} --template {page}").out == html.escape(EVIL_TITLE)
    unsafe = tmp_path / "unsafe.j2"
    unsafe.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    refused = run(f"report summary {PERIOD} --template {unsafe}")
    assert refused.code == 2 and "Traceback" not in refused.err
    extends = tmp_path / "brand.html.j2"
    extends.write_text('{% extends "report.html.j2" %}', encoding="utf-8")
    assert "<svg" in report(f"summary {PERIOD} --template {extends}").out
    assert run(f"report summary --template {tmp_path / 'none.j2'}").code == 2


def test_tables_fit_the_terminal(a):
    for name in ("sla", "agents"):
        out = run(f"report {name} {PERIOD}", env={"COLUMNS": "72"}).out
        assert max(len(line) for line in out.splitlines()) <= 72, name
    sla = run(f"report sla {PERIOD}", env={"COLUMNS": "72"}).out
    assert "RESOLVE" in sla and "carol" in sla  # split into blocks, nothing dropped


def test_jinja_is_imported_only_for_templates(a):
    import os
    import subprocess
    import sys

    code = ("import sys\nfrom deskcli.cli import main\ntry:\n"
            "    main(sys.argv[1:], standalone_mode=False)\nfinally:\n"
            "    sys.stderr.write(f'JINJA={\"jinja2\" in sys.modules}')\n")
    for fmt, loaded in (("json", False), ("csv", False), ("table", False), ("md", True),
                        ("html", True)):
        done = subprocess.run([sys.executable, "-c", code, "report", "summary", "--format",
                               fmt, *PERIOD.split()], capture_output=True, text=True,
                              env={**os.environ, "DESKCLI_USER": "alice"})
        assert done.returncode == 0 and f"JINJA={loaded}" in done.stderr, (fmt, done.stderr)


def test_mail_to_goes_through_the_outbox(a, tmp_path):
    """--mail-to queues the report; `outbox send` delivers it as a real message with the
    Markdown as text and a table-only HTML as the alternative: Gmail and Outlook drop
    inline SVG, so the mailed HTML has no charts and styles its tables inline."""
    import email
    import email.policy

    ok("config set mail.from 'Reports <desk@school.example>'")
    result = report(f"summary {PERIOD} --mail-to boss@example.com --mail-to ops@example.com")
    assert result.out == ""
    queued = [n for n in ok("outbox list --json").json if n["template"] == "report"]
    assert sorted(n["to"][0] for n in queued) == ["boss@example.com", "ops@example.com"]
    ok(f"outbox send --via maildir:{tmp_path / 'mail'}")
    messages = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                for f in sorted((tmp_path / "mail" / "new").iterdir())]
    reports = [m for m in messages if m["Subject"].startswith("Summary")]
    assert sorted(str(m["To"]) for m in reports) == ["boss@example.com", "ops@example.com"]
    message = reports[0]
    assert message["X-Deskcli-Ticket"] is None  # about no ticket
    assert "| bug | 4 |" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<svg" not in html and "<table style=" in html
    assert "<td class=\"num\" style=" in html and "--format html" in html
    file_version = report(f"summary {PERIOD} --format html").out
    assert "<svg" in file_version and "<table style=" not in file_version


# --- the group view -------------------------------------------------------------------------

def test_group_summary_has_a_desk_column_and_totals(group):
    first, second = group
    data = report(f"summary {PERIOD} --db {first} --db {second} --json").json
    assert [d["name"] for d in data["desks"]] == ["brand-a", "brand-b"]
    assert data["desks"][1]["title"] == "Brand B"
    keyed = {(r["desk"], r["type"]): r for r in data["rows"]}
    assert set(keyed) == {("brand-a", "bug"), ("brand-a", "renewal"), ("brand-b", "bug")}
    counts = ("opened", "accepted", "resolved", "closed", "reopened", "backlog", "overdue")
    assert {k: keyed[("brand-b", "bug")][k] for k in counts} == named(
        counts, (2, 1, 1, 0, 0, 1, 1))
    assert {k: data["totals"][k] for k in counts} == named(counts, (7, 6, 4, 1, 1, 4, 3))
    assert {r["desk"]: r["opened"] for r in data["by_desk"]} == {"brand-a": 5, "brand-b": 2}
    assert data["by_desk_totals"]["backlog"] == 4
    table = report(f"summary {PERIOD} --db {first} --db {second}").out
    assert "DESK" in table and "brand-b" in table and "By desk" in table
    assert re.search(r"^TOTAL\s+-?\s*7\s+6\s+4\s+1\s+1\s+4\s+3$", table, re.M)


def test_group_sla_pools_the_durations(group):
    data = report(f"sla {PERIOD} --db {group[0]} --db {group[1]} --json").json
    # accept times of both desks: 10m 20m 30m 2h30m 4h 23h -> median (30m + 2h30m) / 2;
    # under an SLA: 5 on A (2 met) + B's #1 (met) and #2 (never accepted) = 7, 3 met
    total = data["totals"]
    assert (total["accept_median"], total["accept_sla"], total["accept_met"],
            total["accept_share"]) == (90 * 60, 7, 3, 0.4286)
    assert {r["desk"] for r in data["breaches"]} == {"brand-a", "brand-b"}


def test_group_view_by_desk_names(group):
    ok(f"config set desks.brand-a {group[0]}")
    ok(f"config set desks.brand-b {group[1]}")
    data = report(f"agents {PERIOD} --desk all --json").json
    assert [d["name"] for d in data["desks"]] == ["brand-a", "brand-b"]
    alice = next(r for r in data["rows"] if r["desk"] == "brand-b")
    assert (alice["agent"], alice["accepted"], alice["accept_median"],
            alice["resolve_median"]) == ("alice", 1, 1200, 6000)
    assert data["totals"]["accepted"] == 6
    fields = report(f"fields --type bug --by model {PERIOD} --desk brand-a --desk brand-b "
                    "--json").json
    combined = {r["model"]: r["count"] for r in fields["combined"]}
    assert combined == {"A": 3, "B": 2, "C": 1}
    trend = report(f"trend {PERIOD} --desk all --json").json
    assert {r["day"]: r["opened"] for r in trend["combined"]}["2026-11-03"] == 2
    assert json.dumps(trend["totals"]) and trend["totals"]["opened"] == 7


def test_reports_only_read(group):
    def written():
        return [query(desk, "SELECT count(*), max(id) FROM events") for desk in group]

    before = written()
    report(f"summary {PERIOD} --db {group[0]} --db {group[1]}")
    assert written() == before


def test_working_clock_agrees_with_the_calendar():
    import random
    from datetime import UTC, date, datetime

    from deskcli import clock
    from deskcli.reminders import sla
    from deskcli.reports.model import Period, WorkingClock

    calendar = sla.Calendar(sla.parse_hours("Mon-Fri 09:00-12:00,13:00-18:00; Sat 09:00-12:00"),
                            {date(2026, 10, 1), date(2026, 10, 2)}, clock.zone("Asia/Shanghai"))
    p = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    fast = WorkingClock(calendar, p)
    rng = random.Random(6)
    lo, hi = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()), int(p.until.timestamp())
    for _ in range(500):
        a, b = sorted(rng.randrange(lo - 86400 * 400, hi + 86400 * 3) for _ in range(2))
        if rng.random() < 0.3:
            b = a + rng.randrange(0, 3 * 86400)
        assert fast.between(a, b) == calendar.working_seconds(
            datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC)), (a, b)
