#!/usr/bin/env python3
"""Time `deskcli ticket import` on large JSONL files.

    python bench/import_speed.py --tickets 100000 1000000 --workdir /tmp/bench

For each size: writes (once, kept in --workdir) a JSONL file of that many tickets in the
`ticket import` format (type, title, body, customer, fields, priority, cc, source,
external_id), copies a fresh desk that has the people, customers and types of
bench/seed.py but no tickets, and runs `deskcli ticket import FILE --json` on it as a
subprocess of the non-editable venv. Reported: wall time, tickets/s, and the child's
peak RSS (ru_maxrss from wait4: the largest of the child and the worker it waited for).
Targets (issue 15): >= 2.5x the base deskcli's speed and < 200 MiB peak.

--profile N also imports N lines under cProfile and prints the top functions.

Side by side: --base-venv VENV (another deskcli, e.g. the `main` branch installed in its
own venv) runs the same import with that deskcli too, alternating with --venv for
--rounds rounds (base, new, base, new, ...), so both see the same machine load; the
ratio of each pair is reported. Besides wall time: the CPU time of the import
(user + system, the worker process included: wait4 counts reaped children) and the
peak of the summed PSS of the import's processes (sampled every 50 ms from /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import desk_data  # noqa: E402  (the same people, types and text as seed.py)
import desk_setup  # noqa: E402
import seed  # noqa: E402

TARGET_RATIO = 2.5  # issue 15: over the import of 98501d0, side by side
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


def desk_template(work: Path, venv: Path, seed_value: int, now: int) -> Path:
    """The people-and-types desk for a venv's deskcli, made by that deskcli: named by its
    schema version, so a base deskcli with fewer migrations gets a desk it can open (a
    newer schema would be refused) and the new one is not timed migrating an old one."""
    python = str(venv / "bin" / "python")
    version = subprocess.run(  # not in the source tree: `-c` would import its deskcli
        [python, "-c", "from deskcli.store.migrations import MIGRATIONS; "
         "print(len(MIGRATIONS))"], check=True, capture_output=True, text=True,
        cwd=work).stdout.strip()
    template = work / f"import-template-s{seed_value}-v{version}.db"
    fresh_desk(template, seed_value=seed_value, now=now, deskcli=str(venv / "bin" / "deskcli"))
    return template


def tree_pss_mib(pid: int) -> float:
    """Summed PSS of a process and its children (the import's worker), from /proc: the
    memory they use together (a forked worker shares its pages with its parent, so
    adding their RSS would count the shared pages twice)."""
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            pids += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    for one in pids:
        try:
            with open(f"/proc/{one}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])  # KiB
                        break
        except (OSError, ValueError, IndexError):
            pass
    return total / 1024


def run_import(venv: Path, db: Path, source: Path, profile: Path | None = None) -> dict:
    """Run the import as a child process; wall time, CPU time and peak memory (wait4's
    RSS, of the largest single process; and the sampled PSS of the child and its
    children together)."""
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
        tree_peak = 0.0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            tree_peak = max(tree_peak, tree_pss_mib(child.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if code != 0:
        sys.exit(f"ticket import failed ({code}): {err.decode(errors='replace').strip()}")
    counts = json.loads(out)
    return {"seconds": seconds, "counts": counts, "peak_mib": usage.ru_maxrss / 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "tree_mib": tree_peak}


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
    parser.add_argument("--base-venv", type=Path,
                        help="a venv with the deskcli to compare with, run alternately")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of each deskcli per size (default 1)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    now = seed.parse_stamp(seed.DEFAULT_NOW)
    started = time.perf_counter()
    template = desk_template(work, args.venv, args.seed, now)
    import sqlite3

    conn = sqlite3.connect(template)
    customers = [r[0] for r in conn.execute("SELECT key FROM customers ORDER BY id")]
    conn.close()
    print(f"template desk {template} ready ({time.perf_counter() - started:.1f} s)",
          file=sys.stderr)

    sizes = [args.profile] if args.profile else args.tickets
    venvs = [("base", args.base_venv)] if args.base_venv and not args.profile else []
    venvs.append(("new", args.venv))
    templates = {label: desk_template(work, venv, args.seed, now) for label, venv in venvs}
    results = []
    for size in sizes:
        source = work / f"import-{size}-s{args.seed}.jsonl"
        if not source.exists():
            t0 = time.perf_counter()
            write_jsonl(source, size, customers, seed_value=args.seed, now=now)
            print(f"wrote {source} ({source.stat().st_size / 2**20:,.0f} MiB) in "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for round_no in range(1, (1 if args.profile else args.rounds) + 1):
            for label, venv in venvs:
                results.append(one_run(args, work, templates[label], source, size, label,
                                       venv, round_no))

    print(f"\n{time.strftime('%Y-%m-%d')} · {os.cpu_count()} cores · Python "
          f"{sys.version.split()[0]} · SQLite {sqlite3.sqlite_version} · load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| tickets | deskcli | round | seconds | tickets/s | CPU s | peak RSS MiB "
          f"(< {TARGET_MIB}) | processes' summed PSS MiB | desk MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        mib_ok = "" if r["peak_mib"] and r["peak_mib"] < TARGET_MIB else " **NO**"
        print(f"| {r['tickets']:,} | {r['deskcli']} | {r['round']} | {r['seconds']:.1f} | "
              f"{r['tickets_per_s']:,} | {r['cpu_seconds']:.1f} | {r['peak_mib']:.0f}{mib_ok} "
              f"| {r['tree_mib']:.0f} | {r['desk_mib']:,} |")
    ok = all(max(r["peak_mib"], r["tree_mib"]) < TARGET_MIB for r in results
             if r["deskcli"] == "new")
    if len(venvs) == 2:
        print(f"\nSpeed-up, new over base, pair by pair (target ≥ {TARGET_RATIO}):\n")
        print("| tickets | wall-time ratio per round | median | CPU-time ratio, median |")
        print("|---:|---|---:|---:|")
        for size in sizes:
            base = [r for r in results if r["tickets"] == size and r["deskcli"] == "base"]
            new = [r for r in results if r["tickets"] == size and r["deskcli"] == "new"]
            ratios = [b["seconds"] / n["seconds"] for b, n in zip(base, new, strict=True)]
            cpu = [b["cpu_seconds"] / n["cpu_seconds"] for b, n in zip(base, new, strict=True)]
            ok = ok and statistics.median(ratios) >= TARGET_RATIO
            print(f"| {size:,} | {', '.join(f'{x:.2f}' for x in ratios)} | "
                  f"{statistics.median(ratios):.2f} | {statistics.median(cpu):.2f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ok else 1


def one_run(args, work: Path, template: Path, source: Path, size: int, label: str,
            venv: Path, round_no: int) -> dict:
    db = work / f"import-{size}-{label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, db)
    profile = work / f"import-{size}.prof" if args.profile else None
    print(f"importing {size:,} tickets with {label} ({venv}), round {round_no} ...",
          file=sys.stderr)
    got = run_import(venv, db, source, profile)
    if got["counts"]["imported"] != size:
        sys.exit(f"imported {got['counts']} of {size}")
    if profile:
        import pstats

        pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)
    rate = size / got["seconds"]
    print(f"  {size:,} in {got['seconds']:.1f} s: {rate:,.0f} tickets/s, CPU "
          f"{got['cpu_seconds']:.1f} s, peak {got['peak_mib']:,.0f} MiB (PSS summed "
          f"{got['tree_mib']:,.0f})", file=sys.stderr)
    result = {"tickets": size, "deskcli": label, "round": round_no,
              "seconds": round(got["seconds"], 2), "tickets_per_s": round(rate),
              "cpu_seconds": round(got["cpu_seconds"], 2),
              "peak_mib": round(got["peak_mib"], 1), "tree_mib": round(got["tree_mib"], 1),
              "desk_mib": round(db.stat().st_size / 2**20)}
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    return result


if __name__ == "__main__":
    sys.exit(main())
