"""Speed of FAQ search on 100,000 synthetic entries: p50/p95 per ranked search and filter.

    python bench/faq/speed.py [-n 100000] [--repeat 3] [--db FILE] [--keep]

The entries are made by recombining the real ones in faq.jsonl: each synthetic entry
takes a real question (with brand, centre, city, phone model and numbers varied), that
entry's answer with a sentence from another entry of the same category and a sentence of
local detail appended, and the real keywords. Topics therefore keep the proportions of
the real set, so 登录 or 退款 match about as large a share of documents as they would in a
large real FAQ, which is what makes bm25 slow: it costs about 1 µs per matching row.

They are written to a temporary SQLite file (``--db`` to choose it, ``--keep`` to keep
it) in the store's layout: ``faq`` (id, key) and ``faq_fts`` (question, keywords,
answer) holding index_text() of each, tokenize 'unicode61 remove_diacritics 2'.

Every labelled query of queries.jsonl is then timed, each run on a fresh connection as a
CLI process would (the OS file cache is warm, SQLite's page cache is not):

* search: relevance.rank(), the store's recipe: capped row counts for each phrase of
  ``rank_terms``, the most common phrases left out (``common_terms``, RANK_BUDGET), then
  the top 10 by ``bm25(faq_fts, *FAQ_WEIGHTS)``;
* search, no budget: the plain ``rank_query`` top 10 by bm25, for comparison;
* filter: ``filter_query`` → the 50 newest matching rowids (``ticket list --search``);

and p50, p95 and max are printed with the slowest queries and how many rows their full
``rank_query`` (or filter) matches.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(HERE))

from relevance import load_jsonl, rank  # noqa: E402

from deskcli.search import (  # noqa: E402
    FAQ_COLUMNS,
    FAQ_WEIGHTS,
    FTS_TOKENIZE,
    filter_query,
    index_text,
    rank_query,
)

BRANDS = ["启明英语", "小象编程", "乐思数学", "墨韵书法", "Qiming English", "Little Elephant"]
CITIES = "北京 上海 广州 深圳 杭州 南京 成都 武汉 西安 重庆 天津 苏州 长沙 郑州 青岛 厦门"
DISTRICTS = "朝阳 海淀 浦东 徐汇 天河 南山 西湖 鼓楼 高新 江汉 雁塔 渝北 滨海 园区 岳麓 金水"
PHONES = [
    "iPhone 15", "iPhone 14 Pro", "iPhone 13", "iPhone 12 mini", "iPhone 11", "iPad Air",
    "iPad mini 6", "华为 Mate 60", "华为 P50", "华为 MatePad", "荣耀 X50", "小米 14",
    "红米 Note 13", "OPPO Reno 11", "vivo X100", "三星 Galaxy S23", "一加 12", "realme GT",
]  # fmt: skip
SYSTEMS = ["iOS 16", "iOS 17", "iOS 18", "Android 12", "Android 13", "Android 14",
           "HarmonyOS 4", "MIUI 14", "ColorOS 14", "Windows 11", "macOS 14"]  # fmt: skip
# Common characters to make people's and centres' names from.
NAME_CHARS = "嘉欣子涵雨轩浩宇梓萱一诺思源俊杰晨曦佳怡明远文博若彤可馨天佑晓峰志强丽华建国玉兰"
# Local detail; it avoids the domain's common words (校区, 老师 ...), whose share of
# documents should stay what it is in the real entries.
LOCAL = [
    "{city}{district}中心前台电话0{n3}-{n8}，周二至周日9:00-18:00营业。",
    "联系人：{name}（工号{n4}），{brand}{city}{district}中心。",
    "{brand}{city}片区督导{name}负责{district}片区的{n2}家门店。",
    "本条由{city}{district}中心于{month}月{day}日更新，适用于{brand}。",
    "Contact {name_en} at the {city_en} {district_en} office, extension {n4}.",
    "已在{phone}（{system}）上验证，版本号{major}.{minor}.{n2}。",
]
ENGLISH = ("Beijing Shanghai Guangzhou Shenzhen Hangzhou Nanjing Chengdu Wuhan Xian Chongqing"
           .split())  # fmt: skip
SURNAMES = "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma".split()


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？.!?])\s*", text) if s]


def synthetic(entries: Sequence[dict], n: int, seed: int = 1) -> Iterator[tuple]:
    """Yield ``n`` (key, question, keywords, answer) made from the real ``entries``."""
    rnd = random.Random(seed)
    by_category: dict[str, list[dict]] = {}
    for e in entries:
        by_category.setdefault(e["category"], []).append(e)
    cities, districts = CITIES.split(), DISTRICTS.split()
    for i in range(1, n + 1):
        base = rnd.choice(entries)
        other = rnd.choice(by_category[base["category"]])
        city, district = rnd.choice(cities), rnd.choice(districts)
        fill = {
            "city": city, "district": district, "brand": rnd.choice(BRANDS),
            "name": rnd.choice("王李张刘陈杨赵黄周吴") + "".join(rnd.sample(NAME_CHARS, 2)),
            "name_en": f"{rnd.choice(SURNAMES)} {rnd.choice(SURNAMES)}",
            "city_en": rnd.choice(ENGLISH), "district_en": rnd.choice(SURNAMES),
            "phone": rnd.choice(PHONES), "system": rnd.choice(SYSTEMS),
            "n2": rnd.randint(2, 99), "n3": rnd.randint(10, 999), "n4": rnd.randint(1000, 9999),
            "n8": rnd.randint(10**7, 10**8 - 1), "month": rnd.randint(1, 12),
            "day": rnd.randint(1, 28), "major": rnd.randint(3, 5), "minor": rnd.randint(0, 9),
        }  # fmt: skip
        question = base["question"]
        if rnd.random() < 0.3:
            question = f"【{fill['brand']}】{question}"
        if rnd.random() < 0.2:
            question = f"{question}（{fill['phone']}）"
        extra = rnd.choice(_sentences(other["answer"]))
        local = rnd.choice(LOCAL).format(**fill) if rnd.random() < 0.6 else ""
        answer = f"{base['answer']} {extra} {local}"
        keywords = list(base["keywords"])
        if rnd.random() < 0.3:
            keywords.append(rnd.choice(other["keywords"]))
        yield f"syn-{i:06d}", question, ", ".join(keywords), answer


def build(path: Path, entries: Sequence[dict], n: int, contentless: bool) -> tuple[float, float]:
    """Write ``n`` synthetic entries to a new database at ``path``.

    Returns the seconds taken in all and the seconds spent in index_text.
    """
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    cols = ", ".join(FAQ_COLUMNS)
    content = "content = '', " if contentless else ""
    conn.executescript(
        f"""
        PRAGMA journal_mode = WAL;
        CREATE TABLE faq (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL);
        CREATE VIRTUAL TABLE faq_fts USING fts5({cols}, {content}tokenize = '{FTS_TOKENIZE}');
        BEGIN;
        """
    )
    tokenizing = 0.0
    for i, (key, question, keywords, answer) in enumerate(synthetic(entries, n), start=1):
        conn.execute("INSERT INTO faq (id, key) VALUES (?, ?)", (i, key))
        before = time.perf_counter()
        row = (i, index_text(question), index_text(keywords), index_text(answer))
        tokenizing += time.perf_counter() - before
        conn.execute(f"INSERT INTO faq_fts (rowid, {cols}) VALUES (?, ?, ?, ?)", row)
    conn.execute("COMMIT")
    conn.execute("INSERT INTO faq_fts (faq_fts) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")  # 'optimize' leaves the old segments' pages free
    conn.close()
    return time.perf_counter() - started, tokenizing


SEARCH = f"""
    SELECT rowid FROM faq_fts WHERE faq_fts MATCH ?
    ORDER BY bm25(faq_fts, {", ".join(map(str, FAQ_WEIGHTS))}) LIMIT 10
"""
FILTER = "SELECT rowid FROM faq_fts WHERE faq_fts MATCH ? ORDER BY rowid DESC LIMIT 50"
COUNT = "SELECT count(*) FROM faq_fts WHERE faq_fts MATCH ?"


def timed(path: Path, run: Callable[[sqlite3.Connection], object], repeat: int) -> float:
    """Best of ``repeat`` calls of ``run`` on a fresh connection, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        conn = sqlite3.connect(path)
        started = time.perf_counter()
        run(conn)
        best = min(best, time.perf_counter() - started)
        conn.close()
    return best * 1000


def sql(statement: str, match: str | None) -> Callable[[sqlite3.Connection], object]:
    return lambda conn: match and conn.execute(statement, (match,)).fetchall()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="synthetic entries")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (best kept)")
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument(
        "--contentless",
        action="store_true",
        help="content='' FTS5 table: the token text is not stored (less than half the "
        "size; deleting a row then needs its indexed values, recomputed with index_text)",
    )
    args = parser.parse_args(argv)

    entries = load_jsonl(HERE / "faq.jsonl")
    queries = [q["query"] for q in load_jsonl(HERE / "queries.jsonl")]
    tmp = None
    if args.db is None:
        tmp = tempfile.mkdtemp(prefix="deskcli-faq-speed-")
        args.db = Path(tmp) / "faq.db"
    elif args.db.exists() and not args.keep:
        sys.exit(f"{args.db} exists; remove it or pass --keep to reuse it")
    try:
        if not args.db.exists():
            seconds, tokenizing = build(args.db, entries, args.n, args.contentless)
            print(f"built {args.n:,} entries in {seconds:.1f} s ({tokenizing:.1f} s in index_text)")
        conn = sqlite3.connect(args.db)
        rows = conn.execute("SELECT count(*) FROM faq").fetchone()[0]
        fts = conn.execute("SELECT sum(length(block)) FROM faq_fts_data").fetchone()[0]
        has_content = conn.execute(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'faq_fts_content'"
        ).fetchone()[0]
        content = 0
        if has_content:
            content = conn.execute(
                "SELECT sum(length(CAST(c0 || c1 || c2 AS BLOB))) FROM faq_fts_content"
            ).fetchone()[0]
        conn.close()
        size = os.path.getsize(args.db)
        print(
            f"{rows:,} entries: file {size / 2**20:.1f} MiB: FTS index {fts / 2**20:.1f} MiB, "
            f"token text stored by FTS5 {content / 2**20:.1f} MiB (none if contentless)"
        )
        results: dict[str, list] = {"search": [], "search, no budget": [], "filter": []}
        for q in queries:
            rq, fq = rank_query(q), filter_query(q)
            ranked = timed(args.db, lambda conn, q=q: rank(conn, q, 10), args.repeat)
            results["search"].append((ranked, q, rq))
            plain = timed(args.db, sql(SEARCH, rq), args.repeat)
            results["search, no budget"].append((plain, q, rq))
            results["filter"].append((timed(args.db, sql(FILTER, fq), args.repeat), q, fq))
        conn = sqlite3.connect(args.db)
        for name, timings in results.items():
            ms = [t for t, _q, _m in timings]
            print(
                f"{name}: {len(ms)} queries  p50 {percentile(ms, 50):.2f} ms  "
                f"p95 {percentile(ms, 95):.2f} ms  max {max(ms):.2f} ms"
            )
            for t, q, match in sorted(timings, reverse=True)[:5]:
                hits = conn.execute(COUNT, (match,)).fetchone()[0] if match else 0
                print(f"        {t:7.2f} ms  {hits:6,} rows  {q}")
        conn.close()
    finally:
        if tmp and not args.keep:
            for name in os.listdir(tmp):
                os.remove(os.path.join(tmp, name))
            os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
