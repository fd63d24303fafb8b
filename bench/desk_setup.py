"""Setting up a desk for benchmarks: `deskcli init`, people, customers and ticket types
(everything but tickets). Used by seed.py and import_speed.py."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from desk_data import (
    ADMIN,
    CITIES,
    DAY,
    DEPARTMENTS,
    GIVEN,
    GIVEN_ZH,
    INACTIVE_SHARE,
    N_CENTRES,
    SURNAMES,
    SURNAMES_ZH,
    TEAM_SIZE,
    TYPES,
)

SPAN_DAYS = 730


def stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))


def deskcli_command(explicit: str | None) -> list[str]:
    """How to run deskcli: --deskcli, else the script beside this Python, else -m."""
    if explicit:
        return explicit.split()
    beside = Path(sys.executable).with_name("deskcli")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-m", "deskcli"]


def run_deskcli(cmd: list[str], db: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "DESKCLI_DB": str(db), "DESKCLI_USER": ADMIN}
    done = subprocess.run([*cmd, *args], env=env, input=stdin, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"deskcli {' '.join(args[:3])} failed ({done.returncode}): "
                 f"{done.stderr.strip()}")
    return done.stdout


def person_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(login, display name) pairs, unique logins."""
    seen, out = set(), []
    while len(out) < count:
        s = rng.randrange(len(SURNAMES))
        g1, g2 = rng.randrange(len(GIVEN)), rng.randrange(len(GIVEN))
        login = f"{GIVEN[g1]}{GIVEN[g2] if rng.random() < 0.5 else ''}.{SURNAMES[s]}"
        if login in seen:
            login += str(len(out))
        seen.add(login)
        name = SURNAMES_ZH[s % len(SURNAMES_ZH)] + GIVEN_ZH[g1 % len(GIVEN_ZH)] + (
            GIVEN_ZH[g2 % len(GIVEN_ZH)] if "." in login[:-2] and rng.random() < 0.6 else "")
        out.append((login, name))
    return out


# --- setting up people and types -----------------------------------------------------------

def add_people(db: Path, rng: random.Random, now: int) -> None:
    """Departments, heads, team leads and agents, written with SQL in one transaction."""
    at = stamp(now - SPAN_DAYS * DAY - 30 * DAY)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    admin_id = conn.execute("SELECT id FROM users WHERE login = ?", (ADMIN,)).fetchone()[0]
    total = sum(n + 1 for _, _, n in DEPARTMENTS)
    names = iter(person_names(rng, total))
    for key, dept_name, members in DEPARTMENTS:
        dept_id = conn.execute("INSERT INTO departments (key, name, created_at) VALUES (?,?,?)",
                               (key, dept_name, at)).lastrowid
        if key == "exec":
            conn.execute("UPDATE users SET dept_id = ? WHERE id = ?", (dept_id, admin_id))
            conn.execute("UPDATE departments SET head_id = ? WHERE id = ?", (admin_id, dept_id))
            head_id = admin_id
        else:
            login, name = next(names)
            head_id = _user(conn, login, name, dept_id, admin_id, "manager", at)
            conn.execute("UPDATE departments SET head_id = ? WHERE id = ?", (head_id, dept_id))
        lead_id = head_id
        for i in range(members):
            login, name = next(names)
            is_lead = key != "exec" and members > TEAM_SIZE and i % TEAM_SIZE == 0
            role = "manager" if is_lead or key == "exec" else "agent"
            user_id = _user(conn, login, name, dept_id, head_id if is_lead else lead_id, role,
                            at)
            if is_lead:
                lead_id = user_id
            elif rng.random() < INACTIVE_SHARE:
                left = stamp(now - rng.randrange(10, SPAN_DAYS) * DAY)
                conn.execute("UPDATE users SET active = 0, deactivated_at = ? WHERE id = ?",
                             (left, user_id))
    conn.execute("COMMIT")
    conn.close()


def _user(conn, login, name, dept_id, manager_id, role, at) -> int:
    return conn.execute(
        "INSERT INTO users (login, kind, name, email, dept_id, manager_id, role, active, "
        "created_at) VALUES (?, 'staff', ?, ?, ?, ?, ?, 1, ?)",
        (login, name, f"{login}@school.example", dept_id, manager_id, role, at)).lastrowid


def add_customers(cmd: list[str], db: Path, rng: random.Random, count: int) -> None:
    """Customers (parents, students and centres) through `deskcli customer import`."""
    conn = sqlite3.connect(db)
    consultants = [r[0] for r in conn.execute(
        "SELECT u.login FROM users u JOIN departments d ON d.id = u.dept_id "
        "WHERE d.key = 'sales' AND u.role = 'agent' AND u.active ORDER BY u.id")]
    conn.close()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8",
                                     dir=db.parent, delete=False) as handle:
        centres = min(N_CENTRES, count // 10)
        for n in range(1, count + 1):
            if n <= centres:
                city = CITIES[n % len(CITIES)]
                record = {"key": f"CENTRE-{n:03d}", "name": f"{city}第{n}校区",
                          "email": f"centre{n:03d}@school.example",
                          "phone": f"0{rng.randrange(10, 99)}-{rng.randrange(10**7, 10**8)}",
                          "consultant": rng.choice(consultants)}
            else:
                s, g = rng.choice(SURNAMES_ZH), rng.choice(GIVEN_ZH)
                who = rng.choice(("家长", "家长", "学员"))
                record = {"key": f"C{n:06d}", "name": f"{s}{g}{rng.choice(GIVEN_ZH)} ({who})",
                          "email": f"c{n:06d}@mail.example" if rng.random() < 0.7 else None,
                          "phone": f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                          "consultant": rng.choice(consultants)}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    try:
        run_deskcli(cmd, db, "customer", "import", handle.name, "--format", "jsonl")
    finally:
        os.unlink(handle.name)


def add_types(cmd: list[str], db: Path) -> None:
    for key, _share, args in TYPES:
        run_deskcli(cmd, db, "type", "add", key, *args)
    run_deskcli(cmd, db, "access", "add", "sales-system", "--name", "Sales system (CRM)",
                "--types", "renewal,refund")


def setup_desk(path: Path, *, seed: int, now: int, customers: int,
               deskcli: str | None = None) -> None:
    """init + people + customers + types: everything but tickets."""
    cmd = deskcli_command(deskcli)
    rng = random.Random(f"{seed}:people")
    run_deskcli(cmd, path, "init", "--admin", ADMIN, "--name", "管理员 Admin",
                "--email", "admin@school.example", "--desk-name", "Bench school group",
                "--timezone", "Asia/Shanghai")
    add_people(path, rng, now)
    add_customers(cmd, path, rng, customers)
    add_types(cmd, path)
