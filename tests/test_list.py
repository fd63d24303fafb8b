"""`ticket list`: every filter, sort, keyset paging, every output format, and the machine
contract (stable keys, RFC 3339 UTC, identical on a pipe and a terminal)."""

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import copy_desk, drain, isolated_env, ok, pg_copy_on, run

CRASH = "--field phone_model='{model}' --field os={os} --field app_version=3.2"
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def opened(args: str, at: str, as_user: str = "alice") -> int:
    return ok(f"ticket open {args} --json", now=at, as_user=as_user).json["id"]


def _open_six() -> list[int]:
    ok("type add it --name IT --accept-within 1h")
    return [
        opened("--type crash --title 'App closes at login' -m '登录以后闪退' "
               "--customer C1 " + CRASH.format(model="iPhone 15", os="iOS"),
               "2026-11-20T09:00:00Z"),
        opened("--type crash --title '学员登录失败' -m 'Student cannot sign in' "
               "--customer C2 " + CRASH.format(model="Huawei P60", os="Android"),
               "2026-11-25T09:00:00Z"),
        opened("--type renewal --title 'Renewal for Zhang' --customer C1 "
               "--field package=12", "2026-11-26T09:00:00Z"),
        opened("--type renewal --title 'Renewal for Li' --customer C2 --field package=24",
               "2026-11-27T09:00:00Z"),
        opened("--type crash --title 'Homework page crashes' --cc bob "
               + CRASH.format(model="Xiaomi 14", os="Android"), "2026-11-28T08:00:00Z"),
        opened("--type it --title 'Printers jammed' -m 'Room 3'", "2026-11-28T09:00:00Z"),
    ]


@pytest.fixture(scope="module")
def tickets_template(tmp_path_factory, seeded_template):
    """Six tickets over eight days (the clock stands at 2026-11-28T09:00:00Z):

    #1 crash   C1 iOS      11-20 09:00  assigned bob    overdue  body 登录以后闪退
    #2 crash   C2 Android  11-25 09:00  assigned carol  overdue  title 学员登录失败
    #3 renewal C1 12       11-26 09:00  assigned sun
    #4 renewal C2 24       11-27 09:00  new (queue)
    #5 crash      Android  11-28 08:00  assigned mgr             cc bob
    #6 it         -        11-28 09:00  new (queue)              accept due 10:00
    """
    base = tmp_path_factory.mktemp("tickets-template")
    with isolated_env(base) as path:
        copy_desk(seeded_template, path)
        made = _open_six()
    assert made == [1, 2, 3, 4, 5, 6]
    return path


def _build_six_on_postgres() -> None:
    assert _open_six() == [1, 2, 3, 4, 5, 6]


@pytest.fixture
def tickets(isolated, store_kind, request):
    """A fresh copy of the six tickets for each test."""
    if store_kind == "postgres":
        return pg_copy_on(request, "list-six", _build_six_on_postgres, base="seeded")
    return copy_desk(request.getfixturevalue("tickets_template"), isolated / "desk.db")


def ids(args: str = "", **kwargs) -> list[int]:
    return [t["id"] for t in ok(f"ticket list {args} --json", **kwargs).json]


def test_default_is_newest_first(tickets):
    assert ids() == [6, 5, 4, 3, 2, 1]
    listed = {t["id"]: t for t in ok("ticket list --json").json}
    assert (listed[1]["assignee"], listed[2]["assignee"], listed[3]["assignee"],
            listed[5]["assignee"]) == ("bob", "carol", "sun", "mgr")
    assert (listed[4]["status"], listed[6]["status"]) == ("new", "new")


# --- filters --------------------------------------------------------------------------------

@pytest.mark.parametrize("args,expected", [
    ("--status new", [6, 4]),
    ("--status new,assigned", [6, 5, 4, 3, 2, 1]),
    ("--status new --status awaiting_approval", [6, 4]),
    ("--status open", [6, 5, 4, 3, 2, 1]),
    ("--status resolved", []),
    ("--type crash", [5, 2, 1]),
    ("--type crash,it", [6, 5, 2, 1]),
    ("--type renewal --type it", [6, 4, 3]),
    ("--type crash --status new", []),
    ("--assignee bob", [1]),
    ("--assignee none", [6, 4]),
    ("--assignee none --type it", [6]),
    ("--owner none", [6, 5, 4, 3, 2, 1]),
    ("--handler none", [6, 5, 4, 3, 2, 1]),
    ("--owner alice", []),
    ("--customer C1", [3, 1]),
    ("--customer C2 --type renewal", [4]),
    ("--cc zhao", [5, 2, 1]),
    ("--cc bob", [5]),
    ("--cc carol", []),
    ("--field os=iOS", [1]),
    ("--field os=android", [5, 2]),
    ("--field phone_model='Huawei P60'", [2]),
    ("--field package=12", [3]),
    ("--field os=Android --field phone_model='Xiaomi 14'", [5]),
    ("--type crash --field os=Android", [5, 2]),
])
def test_filters(tickets, args, expected):
    assert ids(args) == expected


def test_at_me_is_the_acting_user(tickets):
    assert ids("--assignee @me", as_user="bob") == [1]
    assert ids("--assignee @me", as_user="carol") == [2]
    assert ids("--cc @me", as_user="zhao") == [5, 2, 1]  # as the head of sales
    assert ids("--cc @me", as_user="bob") == [5]
    assert ids("--owner @me", as_user="bob") == []


def test_cc_to_a_department_follows_its_head(tickets):
    ok("dept update sales --head sun")
    assert ids("--cc zhao") == []
    assert ids("--cc sun") == [5, 2, 1]


def test_owner_and_handler_after_accept_and_transfer(tickets):
    ok("ticket accept 1", as_user="bob", now="2026-11-28T09:30:00Z")
    ok("ticket transfer 1 --to carol -m 'please check'", as_user="bob",
       now="2026-11-28T09:40:00Z")
    assert ids("--owner bob") == [1]
    assert ids("--owner @me", as_user="bob") == [1]
    assert ids("--handler @me", as_user="carol") == [1]
    assert ids("--handler none") == [6, 5, 4, 3, 2]
    assert ids("--owner none --status in_progress") == []
    assert ids("--status in_progress") == [1]


@pytest.mark.parametrize("args,expected", [
    ("--since 2026-11-26", [6, 5, 4, 3]),
    ("--until 2026-11-25", [2, 1]),  # until the end of that day
    ("--since 2026-11-25 --until 2026-11-26", [3, 2]),
    ("--since 2d", [6, 5, 4, 3]),  # two days ago: 2026-11-26T09:00Z, inclusive
    ("--since -2d", [6, 5, 4, 3]),
    ("--since yesterday", [6, 5, 4]),
    ("--until yesterday", [4, 3, 2, 1]),
    ("--since today", [6, 5]),
    ("--since 2h", [6, 5]),
    ("--since 30m", [6]),
    ("--since 2026-11-28T08:30", [6]),
    ("--since 2026-11-28T08:00:00Z --until 2026-11-28T08:30:00Z", [5]),
    ("--since 2026-11-28T16:00+08:00", [6, 5]),
    ("--since 1w", [6, 5, 4, 3, 2]),
    ("--since tomorrow", []),
    ("--updated-since 2026-11-27", [6, 5, 4]),
    ("--updated-until 2026-11-20", [1]),
])
def test_created_and_updated_ranges_with_human_dates(tickets, args, expected):
    assert ids(args) == expected


def test_dates_are_read_in_the_desks_time_zone(tickets):
    ok("config set timezone Asia/Shanghai")
    # 2026-11-28 in Shanghai starts at 2026-11-27T16:00Z
    assert ids("--since 2026-11-28") == [6, 5]
    assert ids("--until 2026-11-27") == [4, 3, 2, 1]  # ends at 2026-11-27T16:00Z
    assert ids("--since 2026-11-27T17:00") == [6, 5, 4]  # = 2026-11-27T09:00Z


def test_updated_range_follows_later_changes(tickets):
    ok("ticket accept 1", as_user="bob", now="2026-11-28T09:30:00Z")
    assert ids("--updated-since 2026-11-28T09:15:00Z") == [1]
    assert ids("--since 2026-11-28T09:15:00Z") == []


def test_overdue(tickets):
    assert ids("--overdue") == [2, 1]  # accept within 2h has passed for #1 and #2
    later = "2026-11-28T12:00:00Z"
    assert ids("--overdue", now=later) == [6, 5, 2, 1]  # #5 (10:00) and #6 (10:00)
    assert ids("--overdue --type it", now=later) == [6]
    # an accepted ticket is overdue by its resolve time (11-22 09:00), not its accept time
    ok("ticket accept 1", as_user="bob", now=later)
    assert ids("--overdue", now="2026-11-21T09:00:00Z") == []
    assert ids("--overdue", now="2026-11-22T09:00:01Z") == [1]


@pytest.mark.parametrize("text,expected", [
    ("登录", [2, 1]),  # a two-character word, in a title and in a body
    ("登录失败", [2]),
    ("失败", [2]),
    ("闪退", [5, 1]),  # the glossary's synonyms (faq synonym): 闪退 = crash
    ("登錄", [2, 1]),  # traditional characters find simplified text
    ("login", [2, 1]),  # login = 登录
    ("LOGIN", [2, 1]),
    ("printer", [6]),  # stemmed: printers
    ("crash", [5, 1]),  # stemmed: crashes; and 闪退
    ("renewal zhang", [3]),  # every word must match
    ("student sign", [2]),
    ("room", [6]),
    ("nothing-like-this", []),
])
def test_search_in_chinese_and_english(tickets, text, expected):
    assert ids(f"--search {shlex.quote(text)}") == expected


def test_search_combines_with_other_filters(tickets):
    assert ids("--search 登录 --customer C1") == [1]
    assert ids("--search 登录 --assignee carol") == [2]


def test_search_finds_tickets_opened_later(tickets):
    new = opened("--type it --title '课程视频无法播放' -m 'Video will not play'",
                 "2026-11-28T09:00:00Z")
    assert ids("--search 视频") == [new]
    assert ids("--search playing") == [new]


@pytest.mark.parametrize("args,code,words", [
    ("--status bogus", 2, "unknown status 'bogus'"),
    ("--type ghost", 3, "no ticket type 'ghost'"),
    ("--assignee ghost", 3, "no user 'ghost'"),
    ("--cc ghost", 3, "no user 'ghost'"),
    ("--customer ghost", 3, "no customer 'ghost'"),
    ("--field colour=red", 2, "no ticket type has a field 'colour'"),
    ("--field nonsense", 2, "NAME=VALUE"),
    ("--type crash --field package=12", 2, "no ticket type has a field 'package'"),
    ("--since someday", 2, "not a date or time"),
    ("--until 2026-13-01", 2, "not a date or time"),
    ("--sort colour", 2, "cannot sort by 'colour'"),
    ("--after nonsense --sort priority", 2, "bad page cursor"),
    ("--after x", 2, "bad page cursor"),
    ("--search '!!!'", 2, "nothing to search for"),
    ("--limit -1", 2, "-1"),
    ("--format yaml", 2, "yaml"),
])
def test_bad_filters_are_named(tickets, args, code, words):
    result = run(f"ticket list {args}")
    assert result.code == code, result
    assert words in result.err, result.err
    assert result.out == ""


def test_field_filter_converts_by_the_fields_kind(seeded_desk):
    ok("type add kinds --name Kinds --field n:int --field b:bool --field d:date")
    first = opened("--type kinds --title A --field n=7 --field b=yes --field d=2026-01-05",
                   "2026-11-28T09:00:00Z")
    opened("--type kinds --title B --field n=8 --field b=no", "2026-11-28T09:00:00Z")
    assert ids("--field n=7") == [first]
    assert ids("--field n=+7") == [first]
    assert ids("--field b=true") == [first]
    assert ids("--field b=false") == [first + 1]
    assert ids("--field d=2026-01-05") == [first]
    result = run("ticket list --field n=seven")
    assert result.code == 2 and "whole number" in result.err


# --- sorting and paging ---------------------------------------------------------------------

@pytest.mark.parametrize("sort,expected", [
    ("-id", [6, 5, 4, 3, 2, 1]),
    ("id", [1, 2, 3, 4, 5, 6]),
    ("created", [1, 2, 3, 4, 5, 6]),
    ("-created", [6, 5, 4, 3, 2, 1]),
    ("-priority", [5, 2, 1, 6, 4, 3]),  # high first; ties newest first
    ("priority", [3, 4, 6, 1, 2, 5]),
    ("status", [1, 2, 3, 5, 4, 6]),  # assigned < new (text order), ties by id
    ("due", [1, 2, 5, 6, 3, 4]),  # earliest due first; no due time last
])
def test_sort(tickets, sort, expected):
    assert ids(f"--sort {sort}") == expected


def pages(args: str, limit: int) -> list[list[int]]:
    """Follow the `more: --after CURSOR` hints until the last page."""
    found, after = [], None
    for _ in range(50):
        extra = f" --after {shlex.quote(after)}" if after else ""
        result = ok(f"ticket list {args} --limit {limit} --json{extra}")
        found.append([t["id"] for t in result.json])
        match = re.search(r"more: --after (\S+)", result.err)
        if not match:
            return found
        after = match.group(1)
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("sort", ["-id", "id", "created", "-created", "priority",
                                  "-priority", "status", "-status", "due", "-due", "updated"])
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_keyset_paging_has_no_duplicates_or_gaps(tickets, sort, limit):
    whole = ids(f"--sort {sort} --limit 0")
    assert sorted(whole) == [1, 2, 3, 4, 5, 6]
    got = pages(f"--sort {sort}", limit)
    assert all(0 < len(page) <= limit for page in got)
    assert [i for page in got for i in page] == whole


def test_paging_stays_stable_when_tickets_are_added_meanwhile(tickets):
    first = pages("--sort -id", 3)[0]
    result = ok("ticket list --limit 3 --json")
    cursor = re.search(r"more: --after (\S+)", result.err).group(1)
    opened("--type it --title 'Newer'", "2026-11-28T09:00:00Z")
    rest = ids(f"--limit 3 --after {cursor}")
    assert first + rest == [6, 5, 4, 3, 2, 1]


def test_limit(tickets):
    assert ids("--limit 2") == [6, 5]
    assert ids("--limit 0") == [6, 5, 4, 3, 2, 1]
    result = ok("ticket list --limit 6")
    assert "more:" not in result.err  # exactly the whole list: no next page


def test_many_tickets_page_by_fifty(seeded_desk, tmp_path):
    lines = "".join(json.dumps({"type": "renewal", "title": f"R{i}", "customer": "C1",
                                "fields": {"package": "12"}}) + "\n" for i in range(120))
    ok("ticket import -", input=lines)
    first = ok("ticket list --json")
    assert len(first.json) == 50
    assert [p for p in map(len, pages("", 50))] == [50, 50, 20]


# --- output formats -------------------------------------------------------------------------

CONTRACT = ("id", "type", "title", "body", "status", "priority", "customer", "assignee",
            "owner", "handler", "opened_by", "cc", "fields", "checklist", "created_at",
            "updated_at", "accept_due_at", "resolve_due_at")


def test_json_contract(tickets):
    rows = ok("ticket list --json").json
    assert isinstance(rows, list)
    for row in rows:
        for key in CONTRACT:
            assert key in row, key
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in row)
        for key in ("created_at", "updated_at"):
            assert RFC3339_UTC.fullmatch(row[key]), row[key]
        for key in ("accept_due_at", "resolve_due_at"):
            assert row[key] is None or RFC3339_UTC.fullmatch(row[key])
        assert isinstance(row["cc"], list) and isinstance(row["fields"], dict)
        assert isinstance(row["checklist"], list) and isinstance(row["id"], int)
    one = {r["id"]: r for r in rows}[1]
    assert one["fields"] == {"phone_model": "iPhone 15", "os": "iOS", "app_version": "3.2"}
    assert one["cc"] == ["zhao"]
    assert (one["owner"], one["handler"], one["customer"]) == (None, None, "C1")
    assert one["created_at"] == "2026-11-20T09:00:00Z"
    assert one["accept_due_at"] == "2026-11-20T11:00:00Z"
    renewal = {r["id"]: r for r in rows}[3]
    assert renewal["accept_due_at"] is None
    assert [s["text"] for s in renewal["checklist"]] == ["Call the parent",
                                                         "Send the contract"]
    assert ok("ticket list --format json").out == ok("ticket list --json").out


def test_json_times_stay_utc_whatever_the_desk_zone(tickets):
    before = ok("ticket list --json").out
    ok("config set timezone Asia/Shanghai")
    assert ok("ticket list --json").out == before
    table = ok("ticket list --type it").out
    assert "2026-11-28 17:00" in table  # people read local time in the table


def test_jsonl_is_one_object_per_line(tickets):
    lines = ok("ticket list --format jsonl").out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [6, 5, 4, 3, 2, 1]
    assert json.loads(lines[0]) == ok("ticket list --json").json[0]


def test_table(tickets):
    out = ok("ticket list").out.splitlines()
    assert out[0].split() == ["ID", "STATUS", "PRIORITY", "TYPE", "TITLE", "CUSTOMER",
                              "ASSIGNEE", "OWNER", "DUE", "CREATED"]
    assert [line.split()[0] for line in out[1:]] == ["6", "5", "4", "3", "2", "1"]
    row = next(line for line in out if line.startswith("2 "))
    assert "学员登录失败" in row and "carol" in row and "2026-11-25 11:00" in row
    # wide characters take two columns, so the columns after the title still line up
    starts = {line.index("assigned") for line in out[1:] if "assigned" in line}
    assert len(starts) == 1
    from deskcli.output import width

    customer_column = out[0].index("CUSTOMER")
    assert width(row[:row.index("C2")]) == customer_column


def test_plain_is_tab_separated_without_a_header(tickets):
    out = ok("ticket list --format plain").out.splitlines()
    assert len(out) == 6
    cells = out[0].split("\t")
    assert cells[:5] == ["6", "new", "normal", "it", "Printers jammed"]
    assert [line.split("\t")[0] for line in out] == ["6", "5", "4", "3", "2", "1"]


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv(tickets, fmt, delimiter):
    out = ok(f"ticket list --format {fmt}").out
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    assert rows[0] == ["id", "status", "priority", "type", "title", "customer", "assignee",
                       "owner", "due", "created"]
    assert [r[0] for r in rows[1:]] == ["6", "5", "4", "3", "2", "1"]
    two = next(r for r in rows if r[0] == "2")
    assert two[4] == "学员登录失败"
    assert two[8] == "2026-11-25T11:00:00Z" and two[9] == "2026-11-25T09:00:00Z"


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv_neutralise_formulas(seeded_desk, fmt, delimiter):
    ok("type add it --name IT")
    titles = ["=HYPERLINK(\"http://evil\",\"x\")", "+1 555 0100", "-2+3", "@SUM(A1)",
              "=1+1", "plain title", "a=b"]
    for title in titles:
        opened(f"--type it --title {shlex.quote(title)}", "2026-11-28T09:00:00Z")
    out = ok(f"ticket list --format {fmt} --sort id").out
    rows = list(csv.reader(io.StringIO(out), delimiter=delimiter))
    got = [r[4] for r in rows[1:]]
    assert got == ["'" + t if t[0] in "=+-@" else t for t in titles]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    # machine formats keep the text exactly
    assert [t["title"] for t in ok("ticket list --json --sort id").json] == titles


def test_identical_output_on_a_pipe_and_a_terminal(tickets):
    import pty
    import tty

    env = {**os.environ, "DESKCLI_USER": "alice", "COLUMNS": "60", "TERM": "xterm"}
    for args in (["ticket", "list"], ["ticket", "show", "2"]):
        command = [sys.executable, "-m", "deskcli", *args]
        piped = subprocess.run(command, env=env, capture_output=True, check=True).stdout
        leader, follower = pty.openpty()
        tty.setraw(follower)
        try:
            proc = subprocess.run(command, env=env, stdout=follower,
                                  stderr=subprocess.DEVNULL, check=True)
            assert proc.returncode == 0
            os.close(follower)
            follower = None
            shown = drain(leader)
        finally:
            if follower is not None:
                os.close(follower)
            os.close(leader)
        assert shown == piped, args
        assert b"\x1b[" not in piped  # no colour codes either way


def test_empty_list_is_success_in_every_format(seeded_desk):
    assert ok("ticket list --json").out.strip() == "[]"
    assert ok("ticket list --format jsonl").out == ""
    assert ok("ticket list --format plain").out == ""
    assert ok("ticket list --format csv").out.strip() == \
        "id,status,priority,type,title,customer,assignee,owner,due,created"
    table = ok("ticket list")
    assert table.out.split() == ["ID", "STATUS", "PRIORITY", "TYPE", "TITLE", "CUSTOMER",
                                 "ASSIGNEE", "OWNER", "DUE", "CREATED"]
    assert "more:" not in table.err


def test_viewers_may_list_but_only_with_ticket_view(tickets):
    assert ids(as_user="viv") == [6, 5, 4, 3, 2, 1]
    ok("role add blind -p faq.view")
    ok("user add blind --name Blind --role blind")
    result = run("ticket list", as_user="blind")
    assert result.code == 4 and "ticket.view" in result.err


def test_department_visibility_limits_agents_but_not_managers(tickets):
    ok("config set visibility department")
    # support's tickets (bob, carol, mgr), CC'd, and the queue (4, 6: anyone may accept)
    assert ids(as_user="bob") == [6, 5, 4, 2, 1]
    assert ids(as_user="sun") == [6, 4, 3]  # the one assigned to sun, and the queue
    assert ids(as_user="zhao") == [6, 5, 4, 3, 2, 1]  # managers see every ticket
    assert run("ticket show 3", as_user="bob").code == 3
    assert ok("ticket show 2 --json", as_user="bob").json["id"] == 2
    ok("config set visibility all")
    assert ids(as_user="sun") == [6, 5, 4, 3, 2, 1]


def test_table_counts_combining_marks_and_emoji_as_they_show(tickets):
    # a decomposed é (e + U+0301) takes one column, 👍🏽 (with its skin tone), ❤️ (with
    # U+FE0F) and 👩‍💻 (joined by U+200D) two each: the columns after the title line up
    title = "Cafe\u0301 \U0001f44d\U0001f3fd \u2764\ufe0f \U0001f469\u200d\U0001f4bb"
    ok("ticket", "open", "--type", "it", "--title", title)
    out = ok("ticket list").out.splitlines()
    row = next(line for line in out if title in line)
    # everything else on the row is ASCII; the title shows in 4+1+2+1+2+1+2 = 13 columns
    start, end = row.index(title), row.index(title) + len(title)
    assert start + 13 + len(row[end:row.rindex("2026-")]) == out[0].index("CREATED")
