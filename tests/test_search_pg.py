"""Full-text search gives the same answers on both stores: SQLite's FTS5 and its
PostgreSQL twin (deskcli/store/pg/search.sql and search.py) rank the same FAQ corpus the
same way, with the same bm25 scores, and match the same tickets."""

import json
import re
import shlex
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import is_pg, isolated_env, ok, query, run

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "faq"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (BENCH / name).read_text("utf-8").splitlines()
            if line.strip()]


def build_faq() -> None:
    ok("faq", "import", str(BENCH / "faq.jsonl"))


@pytest.fixture(scope="module")
def sqlite_faq(tmp_path_factory):
    """The bench's FAQ (235 entries) on a SQLite desk: the reference."""
    with isolated_env(tmp_path_factory.mktemp("faq-reference")) as path:
        ok("init --admin alice", as_user=None)
        build_faq()
    return path


@pytest.fixture
def faq_desk(isolated, desk_location, store_kind, request):
    """The same FAQ on the desk under test (SQLite or PostgreSQL)."""
    if store_kind == "postgres":
        from tests.conftest import pg_copy

        def build():
            ok("init --admin alice", as_user=None)
            build_faq()

        return pg_copy(request, "bench-faq", build)
    ok("init --admin alice", as_user=None)
    build_faq()
    return desk_location


def answers(args: str, location=None) -> list[tuple]:
    env = {"DESKCLI_DB": str(location)} if location else None
    result = run(args, env=env)
    assert result.code == 0, result
    return [(hit["key"], hit["score"]) for hit in json.loads(result.out)]


QUERIES = [q["query"] for q in load("queries.jsonl") + load("hard.jsonl")][::4]
"""A quarter of the labelled queries (each is a search on both desks)."""


def test_the_same_faq_gives_the_same_top_answers_on_both_stores(faq_desk, sqlite_faq):
    """Queries of the labelled sets (Chinese, English, typos, paraphrases): the same
    ten entries in the same order with the same scores as on SQLite."""
    assert len(QUERIES) > 50
    differ = []
    for text in QUERIES:
        args = f"faq search {shlex.quote(text)} --json --limit 10"
        expected = answers(args, sqlite_faq)
        if answers(args) != expected:
            differ.append((text, answers(args), expected))
    assert differ == []
    assert answers("faq search 登录 --json")[0][1] > 0  # scored, not merely listed


def test_filters_and_first_columns_rank_alike(faq_desk, sqlite_faq):
    for args in ("faq search 退款 --category 退款 --json", "faq search 'how do I log in' --json",
                 "faq search 课 --json", "faq search 'APP 闪退 iOS 17' --json --limit 3"):
        assert answers(args) == answers(args, sqlite_faq), args


def test_explain_says_the_same_on_both_stores(faq_desk, sqlite_faq):
    args = "faq search 登陆不上去了 --json --explain --limit 5"
    mine = json.loads(ok(args).out)
    reference = json.loads(run(args, env={"DESKCLI_DB": str(sqlite_faq)}).out)
    assert [h["why"] for h in mine] == [h["why"] for h in reference]
    assert mine[0]["why"]


def test_accents_fold_as_fts5_folds_them(desk):
    """unicode61 with remove_diacritics 2 finds café for cafe and the other way round;
    PostgreSQL folds with the same table (deskcli_fold in search.sql)."""
    ok("faq add --key cafe --question 'Is the café open?' --answer 'Until nine.'")
    ok("faq add --key naive --question 'A naive question' --answer 'Ask it.'")
    assert answers("faq search cafe --json")[0][0] == "cafe"
    assert answers("faq search naïve --json")[0][0] == "naive"
    assert answers("faq search CAFÉ --json")[0][0] == "cafe"


def fold_table() -> dict[str, str]:
    sql = (ROOT / "deskcli" / "store" / "pg" / "search.sql").read_text("utf-8")
    source, target = re.search(r"translate\(t,\s*'([^']*)',\s*'([^']*)'\)", sql).groups()
    assert len(source) == len(target) > 1000
    return dict(zip(source, target, strict=True))


def test_the_fold_table_is_what_fts5_folds(desk):
    """search.sql's table is the folding of SQLite's tokenizer below U+3000, and
    PostgreSQL's deskcli_fold applies it (the SQLite leg checks the table itself)."""
    table = fold_table()
    if is_pg(desk):
        text = "".join(table)
        (folded,), = query(desk, "SELECT deskcli_fold(?)", (text,))
        assert folded == "".join(table.values())
        (kept,), = query(desk, "SELECT deskcli_fold(?)", ("登录 abc 123 ß",))
        assert kept == "登录 abc 123 ß"
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = "
                 "'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    chars = [chr(c) for c in range(0x80, 0x3000)]
    conn.executemany("INSERT INTO t (rowid, a) VALUES (?, ?)",
                     [(i, f"q{c}q") for i, c in enumerate(chars, start=1)])
    seen = dict(conn.execute("SELECT doc, term FROM v").fetchall())
    folds = {c: seen[i][1] for i, c in enumerate(chars, start=1)
             if len(seen.get(i, "")) == 3 and seen[i][1] != c}
    assert folds == table


TICKETS = [("App closes at login", "登录以后闪退"), ("学员登录失败", "Student cannot sign in"),
           ("Renewal for Zhang", "续费 12 课时"), ("退款多久到账", "申请退款一周了还没到账"),
           ("登录一直转圈", "换了手机以后登录一直转圈"), ("Printers jammed", "Room 3"),
           ("微信登录失败", "绑定微信以后登录失败"), ("iOS 17 crash", "the app crashes on iOS 17")]


def open_tickets() -> list[int]:
    ok("type add help --name Help --route user:alice")
    made = []
    for title, body in TICKETS:
        made.append(ok("ticket", "open", "--type", "help", "--title", title, "-m", body,
                       "--no-suggest", "--json").json["id"])
    for ticket in made[::2]:
        ok(f"ticket accept {ticket}")
        ok(f"ticket resolve {ticket} -m done")
    return made


def test_ticket_search_and_related_tickets_match_sqlite(faq_desk, sqlite_faq, tmp_path):
    from tests.conftest import copy_desk

    reference = str(copy_desk(sqlite_faq, tmp_path / "reference.db"))
    (tmp_path / "ref").mkdir()
    with isolated_env(tmp_path / "ref", reference):
        ref_ids = open_tickets()
    assert open_tickets() == ref_ids
    for text in ("登录", "登录失败", "login", "crash", "'renewal zhang'", "'退款 到账'", "iOS",
                 "'log in'", "'app 闪退'", "课"):
        args = f"ticket list --search {text} --json"
        mine = [t["id"] for t in ok(args).json]
        assert mine == [t["id"] for t in json.loads(run(args, env={"DESKCLI_DB": reference}).out)]
    for ticket in ref_ids:
        args = f"ticket related {ticket} --json"
        mine = ok(args).json
        theirs = json.loads(run(args, env={"DESKCLI_DB": reference}).out)
        assert mine == theirs, ticket


def test_db_check_checks_the_full_text_index(faq_desk):
    """`db check` runs FTS5's integrity-check on SQLite, and the twin's check on
    PostgreSQL: counts that are not the tables' own are reported, and reindex mends them."""
    assert ok("db check").out.strip() == "ok"
    if not is_pg(faq_desk):
        return
    from tests.conftest import execute

    execute(faq_desk, "UPDATE fts_stats SET rows = rows + 1 WHERE name = 'faq_fts'")
    result = run("db check")
    assert result.code == 1 and "the counts of faq_fts are wrong" in result.out + result.err
    ok("db reindex")
    assert ok("db check").out.strip() == "ok"
    assert answers("faq search 登录 --json")[0][0] == answers("faq search 登录 --json")[0][0]
