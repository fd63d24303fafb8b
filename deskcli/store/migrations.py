"""Forward-only schema migrations: an ordered list of named functions.

`PRAGMA user_version` holds how many have been applied, so checking for pending work is one
pragma read on every open. Each step runs in its own transaction together with its record
in the `migrations` table. Before migrating a desk that already holds data, a copy of the
file is kept next to it (`desk.db.before-v3-20261128T093000Z`).
"""

import sqlite3

MIGRATIONS = []
migration = MIGRATIONS.append


def statements(script: str):
    """Split an SQL script into complete statements (triggers included), so a migration
    can run inside our own transaction; `executescript` would commit first."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        yield pending


def execute_script(conn, script: str) -> None:
    for statement in statements(script):
        conn.execute(statement)


@migration
def m001_initial(conn):
    from deskcli.resources import resource

    execute_script(conn, resource("schema.sql").read_text(encoding="utf-8"))


def version(store) -> int:
    return store.conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(store) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    current = version(store)
    if current == len(MIGRATIONS):
        return []
    if current > len(MIGRATIONS):
        from deskcli.errors import DeskError

        raise DeskError(f"the desk {store.path} has schema version {current}, newer than "
                        f"this deskcli knows ({len(MIGRATIONS)})",
                        "upgrade deskcli (`pip install -U deskcli`) before using this desk")
    if current > 0:
        backup_before(store, current)
    conn = store.conn
    conn.execute("PRAGMA journal_mode = WAL")
    applied = []
    for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if number != version(store) + 1:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            step(conn)
            from deskcli.clock import stamp

            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (step.__name__, stamp()))
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(step.__name__)
    return applied


def backup_before(store, current: int) -> None:
    """Keep a consistent copy of the desk before changing its schema."""
    from deskcli.clock import now

    target = store.path.with_name(
        f"{store.path.name}.before-v{current + 1}-{now().strftime('%Y%m%dT%H%M%SZ')}")
    if not target.exists():
        backup_to(store, target)


def backup_to(store, target) -> None:
    """Online backup (consistent even while others write), readable by the owner only."""
    import os

    destination = sqlite3.connect(target)
    try:
        store.conn.backup(destination)
    finally:
        destination.close()
    os.chmod(target, 0o600)


@migration
def m002_ticket_life(conn):
    """Attachments, links, tags, time worked, ratings and saved views."""
    execute_script(conn, """
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT,
    sha256       TEXT NOT NULL,
    data         BLOB NOT NULL,
    added_by_id  INTEGER REFERENCES users(id),
    added_at     TEXT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id);

-- kind 'parent': other_id is the parent of ticket_id; 'relates': both ways
CREATE TABLE ticket_links (
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    other_id      INTEGER NOT NULL REFERENCES tickets(id),
    kind          TEXT NOT NULL CHECK (kind IN ('parent', 'relates')),
    created_at    TEXT NOT NULL,
    created_by_id INTEGER REFERENCES users(id),
    PRIMARY KEY (ticket_id, other_id, kind)
) WITHOUT ROWID;
CREATE INDEX ticket_links_other ON ticket_links(other_id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag);

CREATE TABLE time_logs (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    seconds   INTEGER NOT NULL CHECK (seconds > 0),
    at        TEXT NOT NULL,
    note      TEXT
);
CREATE INDEX time_logs_ticket ON time_logs(ticket_id);
CREATE INDEX time_logs_user ON time_logs(user_id, at);

-- the customer's satisfaction; the latest rating counts, every one is also an event
CREATE TABLE ratings (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     TEXT,
    rated_by_id INTEGER REFERENCES users(id),
    at          TEXT NOT NULL
);

CREATE TABLE saved_views (
    owner_id   INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    filters    TEXT NOT NULL,     -- JSON: the `ticket list` options
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner_id, name)
) WITHOUT ROWID;
""")


@migration
def m003_notices(conn):
    """The outbox, external watchers, escalation levels, schedules and holidays."""
    execute_script(conn, """
-- Notices waiting for delivery. Written in the same transaction as the change that caused
-- them; rendered from templates and delivered by `deskcli outbox send`.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT NOT NULL,
    ticket_id       INTEGER REFERENCES tickets(id),
    event_id        INTEGER REFERENCES events(id),
    template        TEXT NOT NULL,          -- notices/<locale>/<template>.txt.j2
    locale          TEXT NOT NULL,
    recipients      TEXT NOT NULL,          -- JSON: {"to": [...], "cc": [...]} of {name, email}
    context         TEXT NOT NULL,          -- JSON: what the template needs
    message_id      TEXT NOT NULL UNIQUE,   -- fixed at enqueue, so a retry is the same mail
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    claimed_at      TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    subject         TEXT                    -- as rendered at the last attempt
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX outbox_status ON outbox(status, id);
CREATE INDEX outbox_ticket ON outbox(ticket_id);

-- people outside the desk (Cc addresses of customer mail) who get the customer's copies
CREATE TABLE ticket_watchers (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    email     TEXT NOT NULL COLLATE NOCASE,
    name      TEXT,
    PRIMARY KEY (ticket_id, email)
) WITHOUT ROWID;

ALTER TABLE tickets ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
-- what `remind run` scans: open tickets by due time (above), waiting and resolved ones by age
CREATE INDEX tickets_waiting_since ON tickets(waiting_since) WHERE status = 'waiting';
CREATE INDEX tickets_resolved_at ON tickets(resolved_at) WHERE status = 'resolved';

-- recurring standard tasks opened by `remind run`
CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    type_id      INTEGER NOT NULL REFERENCES ticket_types(id),
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    customer_id  INTEGER REFERENCES customers(id),
    fields       TEXT NOT NULL DEFAULT '{}',
    cc           TEXT NOT NULL DEFAULT '[]',
    priority     TEXT,
    every        TEXT NOT NULL,             -- as typed: monthly, weekly mon, a cron line
    cron         TEXT NOT NULL,             -- the normalised cron line
    next_run_at  TEXT NOT NULL,
    last_run_at  TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    created_by_id INTEGER REFERENCES users(id),
    created_at   TEXT NOT NULL
);

CREATE TABLE holidays (
    day  TEXT PRIMARY KEY,                  -- YYYY-MM-DD, in the desk's time zone
    name TEXT
) WITHOUT ROWID;
""")
