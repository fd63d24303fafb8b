#!/usr/bin/env python3
"""Time `deskcli customer import` of N new customers, a base deskcli against a new one.

    python bench/customer_import_speed.py --template /tmp/bench/import-template-s42-v13.db \
        --base-venv /tmp/venv-base --venv /tmp/venv-new --customers 50000 --rounds 2

The template is import_speed.py's people-and-types desk (50,000 customers already). The
input: N customers with new keys, names, e-mails, phones and a sales consultant each,
as JSON lines. Each round copies the template and imports the file with each deskcli in
turn (base first); reported: wall and CPU seconds (wait4) and the ratio per round.
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_input(template: Path, path: Path, count: int) -> None:
    conn = sqlite3.connect(template)
    staff = [r[0] for r in conn.execute("SELECT login FROM users WHERE kind = 'staff' "
                                        "AND active AND role = 'agent' ORDER BY id")]
    conn.close()
    rng = random.Random(15)
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            out.write(json.dumps({"key": f"NEW{n:07d}", "name": f"新客户 {n}",
                                  "email": f"n{n}@mail.example" if n % 3 else None,
                                  "phone": f"139{rng.randrange(10**7, 10**8)}",
                                  "consultant": rng.choice(staff)},
                                 ensure_ascii=False) + "\n")


def run(venv: Path, db: Path, source: Path) -> tuple[float, float]:
    env = {**os.environ, "DESKCLI_DB": str(db), "DESKCLI_USER": "admin"}
    start = time.perf_counter()
    child = subprocess.Popen([str(venv / "bin" / "deskcli"), "customer", "import",
                              str(source), "--json"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"customer import failed: {child.stderr.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, required=True)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--base-venv", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deskcli-customers-") as folder:
        source = Path(folder) / "customers.jsonl"
        write_input(args.template, source, args.customers)
        print("| round | base s (CPU s) | new s (CPU s) | ratio (CPU ratio) |")
        print("|---:|---:|---:|---:|")
        for round_no in range(1, args.rounds + 1):
            got = {}
            for label, venv in (("base", args.base_venv), ("new", args.venv)):
                db = Path(folder) / f"{label}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
                shutil.copyfile(args.template, db)
                got[label] = run(venv, db, source)
            (bw, bc), (nw, nc) = got["base"], got["new"]
            print(f"| {round_no} | {bw:.1f} ({bc:.1f}) | {nw:.1f} ({nc:.1f}) | "
                  f"{bw / nw:.2f} ({bc / nc:.2f}) |")


if __name__ == "__main__":
    main()
