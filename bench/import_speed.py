#!/usr/bin/env python3
"""Time `deskcli ticket import` on large JSONL files.

    python bench/import_speed.py --tickets 100000 1000000 --workdir /tmp/bench

For each size: writes (once, kept in --workdir) a JSONL file of that many tickets in the
`ticket import` format (type, title, body, customer, fields, priority, cc, source,
external_id), copies a fresh desk that has the people, customers and types of
bench/seed.py but no tickets, and runs `deskcli ticket import FILE --json` on it as a
subprocess of the non-editable venv. Reported: wall time, tickets/s, and the child's
peak RSS (ru_maxrss from wait4, so only that process is counted).
Targets: >= 50,000 tickets/s and < 200 MiB peak.

--profile N also imports N lines under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import desk_data  # noqa: E402  (the same people, types and text as seed.py)
import desk_setup  # noqa: E402
import seed  # noqa: E402

TARGET_RATE = 50_000
TARGET_MIB = 200


def write_jsonl(path: Path, count: int, customers: list[str], *, seed_value: int,
                now: int) -> None:
    """`count` import lines, deterministic. Every line is valid for its type."""
    rng = random.Random(f"{seed_value}:import")
    cum = seed._cum([share for _, share, _ in desk_data.TYPES])
    keys = [key for key, _, _ in desk_data.TYPES]
    extra_cc = ["dept:teaching", "dept:product", "dept:it"]
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            type_key = keys[seed._pick(rng, cum)]
            customer = (customers[int(len(customers) * rng.random() ** 1.6)]
                        if type_key in ("renewal", "refund") or rng.random() < 0.9 else None)
            created = now - rng.randrange(0, 30 * desk_data.DAY)
            fields, words = seed.values_for(rng, type_key, customer, created)
            sentences = [seed.fill(s, words)
                         for s in rng.sample(desk_data.SENTENCES[type_key], rng.randint(2, 4))]
            record = {
                "type": type_key,
                "title": seed.fill(rng.choice(desk_data.TITLES[type_key]), words),
                "body": "".join(s if s[-1] in "。！？" else s + " " for s in sentences).strip(),
                "customer": customer,
                "fields": fields,
                "priority": rng.choice(("low", "normal", "high", "urgent"))
                if rng.random() < 0.15 else None,
                "cc": [rng.choice(extra_cc)] if rng.random() < 0.05 else [],
                "source": rng.choice(desk_data.SOURCES),
                "external_id": f"legacy-{n}",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.rename(path)


def fresh_desk(template: Path, *, seed_value: int, now: int, deskcli: str | None) -> None:
    if template.exists():
        return
    part = template.with_name(template.name + ".part")
    for suffix in ("", "-wal", "-shm"):
        Path(str(part) + suffix).unlink(missing_ok=True)
    desk_setup.setup_desk(part, seed=seed_value, now=now, customers=desk_data.N_CUSTOMERS,
                    deskcli=deskcli)
    part.rename(template)


def run_import(venv: Path, db: Path, source: Path, profile: Path | None = None) -> dict:
    """Run the import as a child process; wall time and that child's peak RSS."""
    env = {**os.environ, "DESKCLI_DB": str(db), "DESKCLI_USER": desk_data.ADMIN}
    env.pop("DESKCLI_NOW", None)
    if profile:
        argv = [str(venv / "bin" / "python"), "-m", "cProfile", "-o", str(profile),
                "-m", "deskcli", "ticket", "import", str(source), "--json"]
    else:
        argv = [str(venv / "bin" / "deskcli"), "ticket", "import", str(source), "--json"]
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out_file,
                                 stderr=err_file)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if code != 0:
        sys.exit(f"ticket import failed ({code}): {err.decode(errors='replace').strip()}")
    counts = json.loads(out)
    return {"seconds": seconds, "counts": counts, "peak_mib": usage.ru_maxrss / 1024}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="sizes to import (default: 100000 1000000)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench"),
                        help="where the JSONL files and desks go (default /tmp/bench)")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bench-venv"),
                        help="venv with deskcli installed non-editable (default /tmp/bench-venv)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", type=int, metavar="N",
                        help="instead, import N lines under cProfile and print the top 25")
    parser.add_argument("--keep", action="store_true", help="keep the imported desks")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    now = seed.parse_stamp(seed.DEFAULT_NOW)
    from deskcli.store.migrations import MIGRATIONS

    # named by schema version, so a template made by an older deskcli is not reused
    template = work / f"import-template-s{args.seed}-v{len(MIGRATIONS)}.db"
    started = time.perf_counter()
    fresh_desk(template, seed_value=args.seed, now=now, deskcli=str(args.venv / "bin" /
                                                                   "deskcli"))
    import sqlite3

    conn = sqlite3.connect(template)
    customers = [r[0] for r in conn.execute("SELECT key FROM customers ORDER BY id")]
    conn.close()
    print(f"template desk {template} ready ({time.perf_counter() - started:.1f} s)",
          file=sys.stderr)

    sizes = [args.profile] if args.profile else args.tickets
    results = []
    for size in sizes:
        source = work / f"import-{size}-s{args.seed}.jsonl"
        if not source.exists():
            t0 = time.perf_counter()
            write_jsonl(source, size, customers, seed_value=args.seed, now=now)
            print(f"wrote {source} ({source.stat().st_size / 2**20:,.0f} MiB) in "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        db = work / f"import-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        shutil.copyfile(template, db)
        profile = work / f"import-{size}.prof" if args.profile else None
        print(f"importing {size:,} tickets ...", file=sys.stderr)
        got = run_import(args.venv, db, source, profile)
        if got["counts"]["imported"] != size:
            sys.exit(f"imported {got['counts']} of {size}")
        if profile:
            import pstats

            pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)
        rate = size / got["seconds"]
        results.append({"tickets": size, "seconds": round(got["seconds"], 1),
                        "tickets_per_s": round(rate),
                        "peak_mib": round(got["peak_mib"], 1) if got["peak_mib"] else None,
                        "desk_mib": round(db.stat().st_size / 2**20)})
        print(f"  {size:,} in {got['seconds']:.1f} s: {rate:,.0f} tickets/s, peak "
              f"{got['peak_mib']:,.0f} MiB", file=sys.stderr)
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)

    print(f"\n{time.strftime('%Y-%m-%d')} · {os.cpu_count()} cores · Python "
          f"{sys.version.split()[0]} · SQLite {sqlite3.sqlite_version}\n")
    print(f"| tickets | seconds | tickets/s (≥ {TARGET_RATE:,}) | peak RSS MiB "
          f"(< {TARGET_MIB}) | desk MiB |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        rate_ok = "" if r["tickets_per_s"] >= TARGET_RATE else " **NO**"
        mib_ok = "" if r["peak_mib"] and r["peak_mib"] < TARGET_MIB else " **NO**"
        print(f"| {r['tickets']:,} | {r['seconds']:.1f} | {r['tickets_per_s']:,}{rate_ok} | "
              f"{r['peak_mib']:.0f}{mib_ok} | {r['desk_mib']:,} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["tickets_per_s"] >= TARGET_RATE and r["peak_mib"] < TARGET_MIB
                    for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
