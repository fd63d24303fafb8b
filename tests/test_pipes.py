"""Round trips and pipes (issue 13, point 8): what a listing prints with --format jsonl
the matching import reads back; colour only on a terminal that wants it; `outbox show`
prints text, not base64; --help within 80 columns; narrow terminals still read well."""

import json
import os
import pty
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from conftest import drain, ok, run, second_desk

from deskcli.cli import main
from deskcli.output import width


def jsonl(rows) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


# --- round trips ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_customer_list_goes_back_into_customer_import(seeded_desk, fmt):
    listed = ok(f"customer list --format {fmt}").out
    # the keys the desk keeps (in JSON), which import used to refuse
    assert ("created_at" in listed) == (fmt != "csv")
    assert ok("customer import -", input=listed).out.strip() == "added 0, updated 0, skipped 2"
    ok("customer update C1 --name 'Someone Else' --phone 13900000000")
    assert ok("customer import - --update", input=listed).out.startswith("added 0, updated 2")
    c1 = ok("customer show C1 --json").json
    assert c1["name"] == "Zhang Wei" and c1["phone"] is None and c1["consultant"] == "sun"


def test_customers_move_to_another_desk_and_a_typo_is_still_refused(seeded_desk, tmp_path,
                                                                    request):
    listed = ok("customer list --format jsonl").out
    other = second_desk(request, tmp_path)
    ok(f"--db {other} init --admin alice", as_user=None)
    ok(f"--db {other} user add sun --name 'Sun Mei'")
    assert ok(f"--db {other} customer import -", input=listed).out.startswith("added 2")
    moved = ok(f"--db {other} customer list --json").json
    assert [(c["key"], c["consultant"]) for c in moved] == [("C1", "sun"), ("C2", None)]
    typo = run("customer import -", input=jsonl([{"key": "C9", "name": "X", "phnoe": "1"}]))
    assert typo.code == 2 and "unknown column phnoe" in typo.err


@pytest.fixture
def faq_entries(seeded_desk):
    ok("faq add --key login --category 账号 --question 学员登录不了怎么办？ "
       "--answer 请先重置密码。 --keywords 登录,密码")
    ok("faq add --key leave --category 考勤 --question 怎么请假？ --answer 在App里点请假。")


@pytest.mark.parametrize("listing", ["faq list --format jsonl", "faq list --format json",
                                     "faq export", "faq export --format json",
                                     "faq export --format md", "faq export --format csv"])
def test_faq_listings_and_exports_go_back_into_faq_import_from_a_pipe(faq_entries, listing):
    text = ok(listing).out
    assert ok("faq import -", input=text).out.strip() == \
        "added 0, updated 0, unchanged 2, removed 0"
    ok("faq remove leave")
    assert ok("faq import -", input=text).out.startswith("added 1,")
    assert ok("faq show leave --json").json["answer"] == "在App里点请假。"


def test_ticket_list_jsonl_is_opened_anew_by_ticket_import(seeded_desk):
    ok("ticket open --type crash --title 'App closes' --customer C1 --field phone_model=X "
       "--field os=iOS -m 'at login'")
    listed = ok("ticket list --format jsonl").out
    assert '"status"' in listed and '"created_at"' in listed
    result = ok("ticket import -", input=listed)
    assert result.out.strip() == "imported 1, skipped 0 (already on the desk)"
    assert "ignored what the desk keeps (accept_due_at, accepted_at, approver and" in result.err
    copy = ok("ticket show 2 --json").json
    assert (copy["title"], copy["customer"], copy["fields"]["os"], copy["body"]) == \
        ("App closes", "C1", "iOS", "at login")
    bad = run("ticket import -", input=jsonl([{"type": "crash", "title": "x", "statuss": 1}]))
    assert bad.code == 2 and "unknown key statuss" in bad.err


def test_ticket_export_moves_tickets_once(seeded_desk, tmp_path, request):
    ok("ticket open --type crash --title 'App closes' --field phone_model=X --field os=iOS")
    exported = ok("ticket export").out
    other = second_desk(request, tmp_path)
    ok(f"--db {other} init --admin alice", as_user=None)
    ok(f"--db {other} user add zhao --name 'Zhao Lei'")  # on the type's CC list (sales)
    ok(f"--db {other} type add crash --name Crash --field phone_model:text! "
       "--field 'os:choice!=iOS|Android'")
    assert ok(f"--db {other} ticket import -", input=exported).out.startswith("imported 1,")
    again = ok(f"--db {other} ticket import -", input=exported).out
    assert again.startswith("imported 0, skipped 1")
    assert not ok(f"--db {other} ticket import -", input=exported).err  # nothing ignored


# --- colour ---------------------------------------------------------------------------------

def on_a_terminal(args: list[str], env: dict) -> str:
    """Run deskcli with its stdout on a pseudo-terminal; what it printed."""
    main_fd, child_fd = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "deskcli", *args], stdout=child_fd,
                          stderr=subprocess.PIPE, env={**os.environ, **env}, timeout=60)
    os.close(child_fd)
    shown = drain(main_fd)
    os.close(main_fd)
    assert done.returncode == 0, done.stderr
    return shown.decode()


def test_faq_search_bolds_matches_only_where_colour_is_wanted(faq_entries):
    args = ["faq", "search", "登录"]
    base = {"DESKCLI_USER": "alice", "TERM": "xterm", "NO_COLOR": ""}
    assert "\x1b[1m" in on_a_terminal(args, base)  # a terminal: bold
    for extra in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        shown = on_a_terminal(args, {**base, **extra})
        assert "\x1b" not in shown and "[登录]" in shown, extra
    assert "\x1b" not in ok("faq search 登录").out  # a pipe


# --- outbox show ----------------------------------------------------------------------------

def test_outbox_show_prints_the_text_not_base64(seeded_desk):
    ok("config set locale zh")
    ok("config set mail.from '服务台 <desk@school.example>'")
    ok("user update bob --name 李波")
    ok("ticket open --type crash --title 打印机卡纸 --field phone_model=X --field os=iOS")
    notice = [n for n in ok("outbox list --json").json if n["template"] == "assigned"][0]
    shown = ok(f"outbox show {notice['id']}").out
    assert "Subject: [desk #1] 分配给您: 打印机卡纸" in shown
    assert "To: 李波 <bob@example.com>" in shown
    assert "--- text/plain" in shown and "将工单 #1 分配给您" in shown
    assert "base64" not in shown and "=?utf-8?" not in shown


# --- help and narrow terminals --------------------------------------------------------------

def commands(cmd=main, path=()):
    yield list(path), cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, (*path, name))


@pytest.mark.parametrize("columns", ["200", "80", "40"])
def test_every_help_line_fits_in_80_columns(columns):
    seen, long = 0, []
    for path, _cmd in commands():
        result = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": columns})
        assert result.exit_code == 0, (path, result.output)
        seen += 1
        long += [(" ".join(path), line) for line in result.output.splitlines()
                 if width(line) > 80]
    assert seen > 100 and not long, long


def test_a_narrow_terminal_gets_one_block_per_row(seeded_desk):
    ok("ticket open --type crash --title 'The app closes at once when a parent logs in "
       "from the home screen' --customer C1 --field phone_model=X --field os=iOS")
    ok("ticket open --type renewal --title 续费提醒：请在本周内联系家长 --customer C1 "
       "--field package=12")
    narrow = ok("ticket list", env={"COLUMNS": "40"}).out
    assert max(width(line) for line in narrow.splitlines()) <= 40
    blocks = narrow.strip().split("\n\n")
    assert len(blocks) == 2 and blocks[1].startswith("ID        1\nSTATUS    assigned")
    assert re.search(r"TITLE     The app closes at once when a\n          parent logs in", narrow)
    wide = ok("ticket list", env={"COLUMNS": "200"}).out
    assert wide.startswith("ID  STATUS") and len(wide.splitlines()) == 3
    assert ok("ticket list").out == wide  # a pipe without COLUMNS: the table, always
    assert ok("ticket list --format csv", env={"COLUMNS": "40"}).out == \
        ok("ticket list --format csv").out  # machine formats never change


@pytest.mark.parametrize("command", ["report summary", "report sla", "report agents",
                                     "report trend --since 7d", "dashboard"])
def test_reports_and_the_dashboard_fit_a_narrow_terminal(seeded_desk, command):
    ok("ticket open --type crash --title 'The app closes at once when a parent logs in' "
       "--customer C1 --field phone_model=X --field os=iOS")
    ok("ticket accept 1", as_user="bob")
    shown = ok(command, env={"COLUMNS": "44"},
               as_user="bob" if command == "dashboard" else "alice").out
    assert max(width(line) for line in shown.splitlines()) <= 44, shown


def test_ticket_show_breaks_its_head_lines_between_items_on_a_narrow_terminal(seeded_desk):
    ok("ticket open --type crash --title 'App closes' --customer C1 --field phone_model=X "
       "--field os=iOS -m 'at login'")
    narrow = ok("ticket show 1", env={"COLUMNS": "40"}).out
    assert "customer: C1   assignee: bob\nopened by: alice\n" in narrow
    assert max(width(line) for line in narrow.splitlines()) <= 40
    wide = ok("ticket show 1").out
    assert "customer: C1   assignee: bob   opened by: alice\n" in wide
