#!/usr/bin/env python3
"""Bulk writes on PostgreSQL against SQLite, side by side: `ticket import` and `db copy`.

    python bench/pg_bulk.py import --tickets 100000 --venv VENV [--base-venv VENV] \\
        --cluster /var/tmp/pgbench --workdir /tmp/pgbench
    python bench/pg_bulk.py copy --desk /tmp/bench/desk-20k.db --venv VENV \\
        [--base-venv VENV] --cluster /var/tmp/pgbench --workdir /tmp/pgbench

--cluster DIR starts a PostgreSQL cluster of its own in DIR (initdb the first time) for
the run and stops it afterwards: on disk (not /dev/shm), with PostgreSQL's durable
defaults (fsync, full_page_writes, synchronous_commit on; the test suite's cluster turns
them off), listening on a Unix socket in DIR only.

`import`: import_speed.py's JSONL file of N tickets and its template desk (people,
customers, types, no tickets); the SQLite leg imports into a copy of the template file,
the PostgreSQL leg into a database made from a template database that `deskcli db copy`
filled from the same file. Each deskcli (--base-venv, then --venv) runs both legs in turn
for --rounds rounds. Reported per run: wall time, tickets/s, CPU time of deskcli and its
worker (wait4), the peak RSS of deskcli (wait4: the largest single process) and, for
PostgreSQL, the peak RSS of the server process that served it (VmHWM, sampled; it
counts the shared buffers that process touched, up to shared_buffers = 128 MB).

`copy`: `deskcli db copy DESK URL` into an empty database, then `deskcli db copy URL
FILE` back; wall time and peak RSS of deskcli, peak RSS of the server process; the rows
of every table are compared between DESK and FILE.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import desk_data  # noqa: E402
import import_speed  # noqa: E402
import seed  # noqa: E402
from remind import run_child  # noqa: E402

USER = "desk"


class Durable:
    """A cluster on disk with PostgreSQL's default durability."""

    def __init__(self, folder: Path):
        from pg_cluster import server_bin

        self.bin = server_bin()
        self.folder = folder
        self.data = folder / "data"
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> Durable:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        if not self.data.exists():
            self._run(f"{self.bin}/initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder}"
        self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "start")
        import psycopg2

        self.admin = psycopg2.connect(dbname="postgres", user=USER, host=str(self.folder))
        self.admin.autocommit = True
        cur = self.admin.cursor()
        cur.execute("SHOW fsync")
        settings = [cur.fetchone()[0]]
        cur.execute("SHOW synchronous_commit")
        settings.append(cur.fetchone()[0])
        print(f"cluster {self.data}: fsync={settings[0]} synchronous_commit={settings[1]}",
              file=sys.stderr)
        return self

    def stop(self) -> None:
        self.admin.close()
        self._run(f"{self.bin}/pg_ctl", "-D", str(self.data), "-m", "fast", "stop")

    def url(self, name: str) -> str:
        return f"postgresql://{USER}@/{name}?host={self.folder}"

    def sql(self, text: str) -> None:
        self.admin.cursor().execute(text)

    def fresh(self, name: str, template: str | None = None) -> str:
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def has(self, name: str) -> bool:
        cur = self.admin.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return cur.fetchone() is not None


class ServerPeak(threading.Thread):
    """The peak RSS (VmHWM) of the server processes serving deskcli and their CPU time
    (utime + stime at the last sample), sampled every 0.2 s."""

    def __init__(self, cluster: Durable):
        super().__init__(daemon=True)
        self.cluster, self.peak_kib, self.done = cluster, 0, threading.Event()
        self.cpu: dict[int, float] = {}

    def run(self):
        import psycopg2

        conn = psycopg2.connect(dbname="postgres", user=USER, host=str(self.cluster.folder))
        conn.autocommit = True
        cur = conn.cursor()
        while not self.done.wait(0.2):
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'deskcli'")
            for (pid,) in cur.fetchall():
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        for line in handle:
                            if line.startswith("VmHWM:"):
                                self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                    with open(f"/proc/{pid}/stat") as handle:
                        fields = handle.read().rsplit(")", 1)[1].split()
                    self.cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf(
                        "SC_CLK_TCK")
                except (OSError, ValueError, IndexError):
                    pass
        conn.close()

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak_kib / 1024

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def timed(argv: list[str], env: dict) -> dict:
    got = run_child(argv, env)
    if got["code"]:
        sys.exit(f"{' '.join(argv[1:4])} failed: {got['stderr'].strip()}")
    return {"seconds": got["wall"], "peak_mib": got["rss_mib"], "cpu_seconds": got["cpu"]}


def deskcli_env() -> dict:
    env = {**os.environ, "DESKCLI_USER": desk_data.ADMIN}
    env.pop("DESKCLI_NOW", None)
    env.pop("DESKCLI_DB", None)
    return env


def bench_import(args, cluster: Durable) -> list[dict]:
    work = args.workdir
    now = seed.parse_stamp(seed.DEFAULT_NOW)
    from deskcli.store.migrations import MIGRATIONS

    template = work / f"import-template-s{args.seed}-v{len(MIGRATIONS)}.db"
    import_speed.fresh_desk(template, seed_value=args.seed, now=now,
                            deskcli=str(args.venv / "bin" / "deskcli"))
    conn = sqlite3.connect(template)
    customers = [r[0] for r in conn.execute("SELECT key FROM customers ORDER BY id")]
    conn.close()
    venvs = ([("base", args.base_venv)] if args.base_venv else []) + [("new", args.venv)]
    # named by schema version and by the PostgreSQL schema's text (an index changed in
    # place, without a migration, makes a new template)
    import hashlib

    import deskcli.store.pg

    schema = Path(deskcli.store.pg.__file__).with_name("schema.sql").read_bytes()
    pg_template = (f"import_template_v{len(MIGRATIONS)}_"
                   f"{hashlib.sha256(schema).hexdigest()[:8]}")
    if not cluster.has(pg_template):
        url = cluster.fresh(pg_template)
        timed([str(args.venv / "bin" / "deskcli"), "db", "copy", str(template), url],
              deskcli_env())
    results = []
    for size in args.tickets:
        source = work / f"import-{size}-s{args.seed}.jsonl"
        if not source.exists():
            import_speed.write_jsonl(source, size, customers, seed_value=args.seed, now=now)
        for round_no in range(1, args.rounds + 1):
            for label, venv in venvs:
                for store in args.stores:
                    if store == "sqlite":
                        db = work / f"import-{size}-{label}.db"
                        for suffix in ("", "-wal", "-shm"):
                            Path(str(db) + suffix).unlink(missing_ok=True)
                        shutil.copyfile(template, db)
                        location, peak = str(db), None
                    else:
                        location = cluster.fresh(f"import_{label}", pg_template)
                        peak = ServerPeak(cluster)
                        peak.start()
                    print(f"importing {size:,} with {label} into {store}, round {round_no}",
                          file=sys.stderr)
                    got = import_speed.run_import(venv, location, source)
                    server = peak.stop() if peak else None
                    server_cpu = peak.cpu_seconds if peak else None
                    if got["counts"]["imported"] != size:
                        sys.exit(f"imported {got['counts']} of {size}")
                    row = {"what": "import", "tickets": size, "deskcli": label,
                           "store": store, "round": round_no,
                           "seconds": got["seconds"], "per_s": size / got["seconds"],
                           "cpu_seconds": got["cpu_seconds"], "peak_mib": got["peak_mib"],
                           "tree_mib": got["tree_mib"], "server_mib": server,
                           "server_cpu": server_cpu}
                    print(f"  {row['seconds']:.1f} s, {row['per_s']:,.0f}/s", file=sys.stderr)
                    results.append(row)
                    if store == "sqlite":
                        for suffix in ("", "-wal", "-shm"):
                            Path(str(db) + suffix).unlink(missing_ok=True)
    return results


def table_rows(location: str) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{location}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name NOT LIKE '%fts%' AND name <> 'migrations'")]
        return {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}
    finally:
        conn.close()


def same_rows(one: str, other: str, tables: list[str]) -> list[str]:
    """The tables whose rows differ (compared as sorted rows, rowid left out), read as a
    stream into a digest: this process stays small, and the children it forks next do
    not start with its memory (exec folds the parent's pages into their ru_maxrss)."""
    import hashlib

    differ = []
    a = sqlite3.connect(f"file:{one}?mode=ro", uri=True)
    b = sqlite3.connect(f"file:{other}?mode=ro", uri=True)
    for table in tables:
        cols = [r[1] for r in a.execute(f"PRAGMA table_info({table})")]
        sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY {', '.join(cols)}"
        digests = []
        for conn in (a, b):
            digest = hashlib.sha256()
            for row in conn.execute(sql):
                digest.update(repr(row).encode())
            digests.append(digest.digest())
        if digests[0] != digests[1]:
            differ.append(table)
    a.close()
    b.close()
    return differ


def bench_copy(args, cluster: Durable) -> list[dict]:
    venvs = ([("base", args.base_venv)] if args.base_venv else []) + [("new", args.venv)]
    results = []
    derived = {"search_index", "assignee_load", "faq_terms"}
    for round_no in range(1, args.rounds + 1):
        for label, venv in venvs:
            deskcli = str(venv / "bin" / "deskcli")
            url = cluster.fresh(f"copy_{label}")
            back = args.workdir / f"copy-back-{label}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(back) + suffix).unlink(missing_ok=True)
            for way, argv in (("to PostgreSQL", [deskcli, "db", "copy", str(args.desk), url]),
                              ("back to SQLite", [deskcli, "db", "copy", url, str(back)])):
                print(f"db copy {way} with {label}, round {round_no}", file=sys.stderr)
                peak = ServerPeak(cluster)
                peak.start()
                got = timed(argv, deskcli_env())
                row = {"what": f"copy {way}", "deskcli": label, "round": round_no,
                       **got, "server_mib": peak.stop(), "server_cpu": peak.cpu_seconds}
                print(f"  {got['seconds']:.1f} s", file=sys.stderr)
                results.append(row)
            theirs = table_rows(str(args.desk))
            tables = [t for t in theirs if t not in derived]
            differ = same_rows(str(args.desk), str(back), tables)
            if differ:
                sys.exit(f"the copy back differs from {args.desk} in {differ}")
            results[-1]["tickets"] = theirs.get("tickets")
            back.unlink()
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("import", "copy"))
    parser.add_argument("--cluster", type=Path, required=True,
                        help="folder of the durable cluster (on disk; made the first time)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pgbench"))
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--base-venv", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tickets", type=int, nargs="+", default=[100_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--desk", type=Path, help="copy: the SQLite desk to copy")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if str(args.cluster.resolve()).startswith("/dev/shm"):
        sys.exit("--cluster must be on disk, not in /dev/shm")
    cluster = Durable(args.cluster).start()
    try:
        results = (bench_import if args.what == "import" else bench_copy)(args, cluster)
    finally:
        cluster.stop()
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')} · load average {os.getloadavg()[0]:.1f}\n")
    print("| what | deskcli | store | round | seconds | tickets/s | CPU s | server CPU s | "
          "deskcli peak RSS MiB | PSS MiB | server peak RSS MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        per_s = f"{r['per_s']:,.0f}" if r.get("per_s") else ""
        server = f"{r['server_mib']:.0f}" if r.get("server_mib") else ""
        tree = f"{r['tree_mib']:.0f}" if r.get("tree_mib") else ""
        cpu = f"{r['server_cpu']:.1f}" if r.get("server_cpu") else ""
        print(f"| {r['what']} {r.get('tickets') or ''} | {r['deskcli']} | "
              f"{r.get('store', '')} | {r['round']} | {r['seconds']:.1f} | {per_s} | "
              f"{r['cpu_seconds']:.1f} | {cpu} | {r['peak_mib']:.0f} | {tree} | {server} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
