"""Speed of the real FAQ commands on 100,000 entries, with 1,000,000 tickets on the desk.

    python bench/faq/speed.py [-n 100000] [--tickets-desk /tmp/bench/desk-1m.db]
                              [--db FILE] [--keep] [--repeat 3] [--runs 11] [--venv DIR]

1. A desk: a copy of ``--tickets-desk`` (a desk made by bench/seed.py; the original is
   only read) or a new one, migrated by deskcli itself.
2. ``n`` synthetic entries imported through the real service (deskcli.faq.manage.faq_import,
   what `deskcli faq import` runs). They recombine the real ones of faq.jsonl: each takes
   a real question (brand, centre, city, phone model and numbers varied), that entry's
   answer with a sentence from another entry of the same category and a sentence of local
   detail, and the real keywords. Topics keep the proportions of the real set, so 登录 or
   退款 match as large a share of entries as in a large real FAQ, which is what makes
   bm25 slow (about 1 µs per matching row).
3. In-process, each call on a fresh connection as a command would have it (best of
   ``--repeat``): ``faq search`` (deskcli.faq.search.faq_search) and ``faq recommend``
   for every labelled query of queries.jsonl (and of the other ``--queries`` files);
   ``faq suggest`` for the first 1-4 characters of each query (typing); with tickets,
   ``ticket list --search`` (deskcli.tickets.opening.list_tickets) and the suggestions ``ticket
   open`` adds (deskcli.faq.search.for_ticket) for the same queries as ticket titles.
   p50, p95, max and the slowest queries are printed.
4. Whole commands (``--runs`` each, round-robin, after an untimed round), run by the
   ``deskcli`` of ``--venv`` (a non-editable install, so its modules are compiled as a
   user's are), against the bare ``python -c "import sqlite3"`` of the same venv. Target:
   within 4x. Reuses bench/startup.py's timing.

Targets (issue 5): p95 < 10 ms in-process for search and suggest on 100,000 entries;
whole commands within 4x of the baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # bench/startup.py

from relevance import load_jsonl  # noqa: E402
from startup import BASELINE, TARGET_RATIO, copy_desk, machine, run_once  # noqa: E402

ADMIN = "admin"
TARGET_MS = 10.0

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


def synthetic(entries: Sequence[dict], n: int, seed: int = 1) -> Iterator[dict]:
    """Yield ``n`` import records (key, category, question, answer, keywords) made from
    the real ``entries``."""
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
        yield {"key": f"syn-{i:06d}", "category": base["category"], "question": question,
               "answer": answer, "keywords": keywords}



# --- the desk -------------------------------------------------------------------------------

def make_desk(path: Path, tickets_desk: Path | None) -> None:
    """A new desk at ``path``: a copy of ``tickets_desk`` or an empty one."""
    if tickets_desk:
        print(f"copying {tickets_desk} ({tickets_desk.stat().st_size / 2**20:,.0f} MiB) ...",
              file=sys.stderr)
        copy_desk(tickets_desk, path)
    else:
        from deskcli.people.staff import init_desk

        init_desk(path, admin=ADMIN, name=None, email=None, desk_name="faq-speed").close()


def open_desk(path: Path):
    from deskcli.desk import Desk

    return Desk.open(path, ADMIN)


def import_entries(path: Path, entries: Sequence[dict], n: int) -> float:
    """Import ``n`` synthetic entries with the real service; returns the seconds taken."""
    from deskcli.faq.manage import faq_import

    records = list(synthetic(entries, n))
    desk = open_desk(path)  # migrates a copied desk (keeping a copy of it first)
    for stale in path.parent.glob(path.name + ".before-v*"):
        stale.unlink()  # the migration's safety copy: not needed for a benchmark
    started = time.perf_counter()
    counts = faq_import(desk, records)
    seconds = time.perf_counter() - started
    desk.close()
    assert counts["added"] == n, counts
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO faq_fts (faq_fts) VALUES ('optimize')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return seconds


# --- in-process timings ---------------------------------------------------------------------

def timed(path: Path, call: Callable, repeat: int) -> float:
    """Best of ``repeat`` calls of ``call(desk)``, each on a freshly opened desk, in ms."""
    best = float("inf")
    for _ in range(repeat):
        desk = open_desk(path)
        desk.actor  # noqa: B018 - who is acting is read before the command's work
        started = time.perf_counter()
        call(desk)
        best = min(best, time.perf_counter() - started)
        desk.close()
    return best * 1000


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, timings: list[tuple[float, str]], target: float | None = None) -> dict:
    ms = [t for t, _q in timings]
    row = {"name": name, "n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95),
           "max": max(ms)}
    verdict = "" if target is None else ("  ok" if row["p95"] < target else "  OVER TARGET")
    print(f"{name}: {len(ms)} calls  p50 {row['p50']:.2f} ms  p95 {row['p95']:.2f} ms  "
          f"max {row['max']:.2f} ms{verdict}")
    for t, q in sorted(timings, reverse=True)[:3]:
        print(f"        {t:7.2f} ms  {q}")
    return row


def in_process(path: Path, queries: list[str], repeat: int, tickets: bool) -> list[dict]:
    from deskcli.faq.search import faq_recommend, faq_search, faq_suggest, for_ticket
    from deskcli.models import Ticket
    from deskcli.tickets.opening import ListFilters, list_tickets

    typed = list(dict.fromkeys(q[:k] for q in queries for k in range(1, 5) if len(q) >= k
                               and q[:k].strip()))
    rows = [
        report("faq search", [(timed(path, lambda d, q=q: faq_search(d, q), repeat), q)
                              for q in queries], TARGET_MS),
        report("faq suggest", [(timed(path, lambda d, p=p: faq_suggest(d, p), repeat), p)
                               for p in typed], TARGET_MS),
        report("faq recommend", [(timed(path, lambda d, q=q: faq_recommend(d, q), repeat), q)
                                 for q in queries], TARGET_MS),
    ]
    if tickets:
        rows.append(report("ticket list --search", [
            (timed(path, lambda d, q=q: list_tickets(d, ListFilters(search=q)), repeat), q)
            for q in queries]))

        def suggestions(desk, title):
            ticket = Ticket(id=0, type="app-crash", title=title, body="", status="new",
                            priority="normal", customer=None, assignee=None, owner=None,
                            handler=None, opened_by=ADMIN, source=None, external_id=None,
                            fields={}, created_at="", updated_at="", accept_due_at=None,
                            resolve_due_at=None)
            return for_ticket(desk, ticket)

        rows.append(report("ticket open suggestions", [
            (timed(path, lambda d, q=q: suggestions(d, q), repeat), q) for q in queries]))
    return rows


# --- whole commands -------------------------------------------------------------------------

def commands(tickets: bool) -> list[tuple[str, list[str]]]:
    found = [
        (BASELINE, ["{python}", "-c", "import sqlite3"]),
        ("whoami (reference: start-up only)", ["{deskcli}", "whoami"]),
        ("faq search 学员登录不了怎么办", ["{deskcli}", "faq", "search", "学员登录不了怎么办"]),
        ("faq search 登录", ["{deskcli}", "faq", "search", "登录"]),
        ("faq search APP 闪退 iOS 17", ["{deskcli}", "faq", "search", "APP 闪退 iOS 17"]),
        ("faq search how do I reset my password (synonyms)",
         ["{deskcli}", "faq", "search", "how do I reset my password"]),
        ("faq recommend --text 老是被踢下线 (synonyms)",
         ["{deskcli}", "faq", "recommend", "--text", "老是被踢下线"]),
        ("faq suggest 登", ["{deskcli}", "faq", "suggest", "登"]),
        ("faq suggest 学员续", ["{deskcli}", "faq", "suggest", "学员续"]),
        ("faq suggest pass", ["{deskcli}", "faq", "suggest", "pass"]),
    ]
    if tickets:
        opening = ["{deskcli}", "ticket", "open", "--type", "app-crash", "--title",
                   "Bench run {run}: App 闪退 on login", "-m",
                   "家长说孩子上课时 App 闪退，重装后仍然如此。The app closes when the lesson "
                   "starts.", "--field", "phone_model=iPhone 15", "--field", "os=iOS",
                   "--field", "app_version=3.2.1", "--source", "phone"]
        found += [
            ("ticket list --search 登录 --limit 50",
             ["{deskcli}", "ticket", "list", "--search", "登录", "--limit", "50"]),
            ("ticket list --search 退款未到账 --limit 50",
             ["{deskcli}", "ticket", "list", "--search", "退款未到账", "--limit", "50"]),
            ("ticket list --search 登陆失败 --limit 50 (synonyms)",
             ["{deskcli}", "ticket", "list", "--search", "登陆失败", "--limit", "50"]),
            ("ticket open ... --json --no-suggest", [*opening, "--json", "--no-suggest"]),
            ("ticket open ... --json (with suggestions)", [*opening, "--json"]),
        ]
    return found


def whole(path: Path, venv: Path, runs: int, tickets: bool) -> list[dict]:
    python, deskcli = venv / "bin" / "python", venv / "bin" / "deskcli"
    if not deskcli.exists():
        sys.exit(f"no deskcli in {venv}: python3 -m venv {venv} && "
                 f"{venv}/bin/pip install /path/to/deskcli")
    env = {**os.environ, "DESKCLI_DB": str(path), "DESKCLI_USER": ADMIN}
    for key in ("DESKCLI_NOW", "DESKCLI_DEBUG"):
        env.pop(key, None)
    todo = commands(tickets)
    times: dict[str, list[float]] = {name: [] for name, _ in todo}
    cpu: dict[str, list[float]] = {name: [] for name, _ in todo}
    load = os.getloadavg()[0]
    for run in range(runs + 1):  # round 0: check and warm up, not timed
        for name, argv in todo:
            argv = [a.format(python=python, deskcli=deskcli, run=run) for a in argv]
            wall, used, code, err = run_once(argv, env)
            if code != 0:
                sys.exit(f"{name} failed ({code}):\n{err.decode(errors='replace').strip()}")
            if run:
                times[name].append(wall)
                cpu[name].append(used)
        print(f"\rround {run}/{runs}", end="", file=sys.stderr)
    print(file=sys.stderr)
    base = statistics.median(times[BASELINE])
    base_cpu = statistics.median(cpu[BASELINE])
    print(f"\n{runs} runs each, round-robin; load average {load:.1f} → "
          f"{os.getloadavg()[0]:.1f}\n\n| command | median ms | × baseline | CPU ms | "
          f"CPU × baseline | ≤ {TARGET_RATIO:g}× |\n|---|---:|---:|---:|---:|---|")
    rows = []
    for name, _ in todo:
        median, used = statistics.median(times[name]), statistics.median(cpu[name])
        ratio = median / base
        ok = "" if name == BASELINE else ("yes" if ratio <= TARGET_RATIO else "**NO**")
        print(f"| `{name}` | {median:.1f} | {ratio:.2f} | {used:.0f} | {used / base_cpu:.2f} "
              f"| {ok} |")
        rows.append({"command": name, "median_ms": round(median, 1), "ratio": round(ratio, 2),
                     "cpu_ms": round(used, 1), "cpu_ratio": round(used / base_cpu, 2)})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="synthetic FAQ entries")
    parser.add_argument("--tickets-desk", type=Path,
                        help="copy this desk (bench/seed.py) first, for its tickets")
    parser.add_argument("--db", type=Path, help="desk file to make (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) --db")
    parser.add_argument("--repeat", type=int, default=3, help="in-process runs per call")
    parser.add_argument("--runs", type=int, default=11, help="whole-command runs (0: none)")
    parser.add_argument("--queries", type=Path, nargs="+", default=[HERE / "queries.jsonl"],
                        help="labelled query files whose queries are timed (hard.jsonl too)")
    parser.add_argument("--venv", type=Path, default=Path(sys.executable).parent.parent,
                        help="venv with deskcli installed non-editable (default: this one)")
    args = parser.parse_args(argv)

    entries = load_jsonl(HERE / "faq.jsonl")
    queries = [q["query"] for path in args.queries for q in load_jsonl(path)]
    tmp = None
    if args.db is None:
        base = args.tickets_desk.parent if args.tickets_desk else None
        tmp = tempfile.mkdtemp(prefix="deskcli-faq-speed-", dir=base)
        args.db = Path(tmp) / "desk.db"
    elif args.db.exists() and not args.keep:
        sys.exit(f"{args.db} exists; remove it or pass --keep to reuse it")
    try:
        if not args.db.exists():
            make_desk(args.db, args.tickets_desk)
            seconds = import_entries(args.db, entries, args.n)
            print(f"imported {args.n:,} entries with faq_import in {seconds:.1f} s "
                  f"({args.n / seconds:,.0f}/s)")
        conn = sqlite3.connect(args.db)
        faqs = conn.execute("SELECT count(*) FROM faq").fetchone()[0]
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        fts = conn.execute("SELECT sum(length(block)) FROM faq_fts_data").fetchone()[0]
        terms = conn.execute("SELECT count(*) FROM faq_terms").fetchone()[0]
        conn.close()
        info = machine()
        print(f"{info['date']} · {info['nproc']} cores · Python {info['python']} · SQLite "
              f"{info['sqlite']} · load {os.getloadavg()[0]:.1f}\n{faqs:,} FAQ entries "
              f"(FAQ index {fts / 2**20:.1f} MiB, {terms:,} suggest terms), {tickets:,} "
              f"tickets, file {args.db.stat().st_size / 2**20:,.0f} MiB")
        in_process(args.db, queries, args.repeat, tickets > 0)
        if args.runs:
            whole(args.db, args.venv, args.runs, tickets > 0)
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
