"""Forward-only schema migrations: an ordered list of named functions.

`PRAGMA user_version` holds how many have been applied, so checking for pending work is one
pragma read on every open. Each step runs in its own transaction together with its record
in the `migrations` table. Before migrating a desk that already holds data, a copy of the
file is kept next to it (`desk.db.before-v3-20261128T093000Z`).
The long SQL of the steps is in deskcli.store.migration_sql.

Hand-written on purpose (issue 11; measured 2026-12-04, Python 3.11, warm `-X importtime`):
the runner is ~80 lines, and every command imports this module to read `user_version`.
alembic costs 266 ms of imports (it brings SQLAlchemy, 158 ms alone), yoyo-migrations
43 ms, against ~2 ms for this module: either, on this path, would more than double the
start-up of `ticket list`. Neither would write the SQL for us: the steps are FTS5 tables,
partial indexes, triggers and WITHOUT ROWID tables, which a PostgreSQL store must write
again in its own dialect (tsvector, a trigger language) whatever the runner. So the
PostgreSQL store gets its own list of steps beside this one, with the same runner shape
(an ordered list of named functions, each in one transaction with its `migrations` row);
only the version counter differs (a table there, the `user_version` pragma here).
"""

import sqlite3

from deskcli.store import OPEN_SQL

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


def execute_sql(conn, name: str) -> None:
    """Run the script `name` of deskcli.store.migration_sql: imported only when a desk is
    made or upgraded (every command imports this module; its everyday work is one pragma)."""
    from deskcli.store import migration_sql

    execute_script(conn, getattr(migration_sql, name))


@migration
def m001_initial(conn):
    from deskcli.resources import resource

    execute_script(conn, resource("schema.sql").read_text(encoding="utf-8"))


def version(store) -> int:
    return store.conn.execute("PRAGMA user_version").fetchone()[0]


def pending(store) -> bool:
    """Whether migrations are waiting to be applied to the desk."""
    return version(store) < len(MIGRATIONS)


def upgrade(store) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    if store.dialect == "postgres":  # its own runner: no PRAGMA, no copy of a file
        from deskcli.store.pg import migrations as pg

        return pg.upgrade(store)
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
            from deskcli.store.faults import rollback

            rollback(conn)  # tolerates a transaction SQLite already rolled back (disk full)
            raise
        applied.append(step.__name__)
    return applied


def backup_before(store, current: int) -> None:
    """Keep a consistent copy of the desk before changing its schema."""
    import os

    from deskcli.clock import now

    target = f"{store.path}.before-v{current + 1}-{now().strftime('%Y%m%dT%H%M%SZ')}"
    if not os.path.exists(target):
        backup_to(store, target)


def backup_to(store, target) -> None:
    """Online backup (consistent even while others write), readable by whoever may read
    the desk: its owner, and its group when the desk is shared (0660, `init --group`);
    never by others."""
    import os

    destination = sqlite3.connect(target)
    try:
        store.conn.backup(destination)
    finally:
        destination.close()
    desk = os.stat(store.path)
    if desk.st_mode & 0o060:
        try:
            os.chown(target, -1, desk.st_gid)
        except PermissionError:  # not a member of the desk's group: keep it to the owner
            os.chmod(target, 0o600)
            return
    os.chmod(target, desk.st_mode & 0o660 | 0o600)


@migration
def m002_ticket_life(conn):
    """Attachments, links, tags, time worked, ratings and saved views."""
    execute_sql(conn, "M002_TICKET_LIFE")


@migration
def m003_notices(conn):
    """The outbox, external watchers, escalation levels, schedules and holidays."""
    execute_sql(conn, "M003_NOTICES")


@migration
def m004_mail_in(conn):
    """The ledger of e-mail read by `mail ingest`: a Message-ID is handled once (an MTA
    retry is safe), and a sender's recent messages can be counted (loops, floods)."""
    execute_sql(conn, "M004_MAIL_IN")


@migration
def m005_reports(conn):
    """Indexes that keep reports fast on large desks (1M tickets, 5M events: every report
    over 30 days in well under 2 s). The two event indexes replace narrower ones they
    contain, so every query that used those still finds its index:
      * events(kind, at) -> (kind, at, ticket_id, actor_id): a period's events of a kind,
        read from the index alone;
      * events(ticket_id) -> (ticket_id, kind, at): a ticket's events of a kind and when
        (the approval, the last offer before an acceptance, the last resolution);
      * open tickets with what the backlog and SLA breaches need (a partial index: small);
      * transfers, nudges and escalations with who they were about (a partial index);
      * ratings by time."""
    execute_sql(conn, "M005_REPORTS")


@migration
def m006_faq(conn):
    """The FAQ (knowledge base, SPEC §7): nested categories, entries with a stable key,
    keywords, optional ticket types, the full-text index, the terms `faq suggest`
    completes, and which FAQ answered which ticket. Every table is kept in step by the
    store on each add, update and remove (no rebuild step)."""
    execute_sql(conn, "M006_FAQ")


@migration
def m007_lookups(conn):
    """Index the tickets merged into another (ticket show lists them): without it, showing
    one ticket scanned every ticket of the desk."""
    conn.execute("CREATE INDEX tickets_merged_into ON tickets(merged_into) "
                 "WHERE merged_into IS NOT NULL")


@migration
def m008_assignee_load(conn):
    """Open tickets per assignee, kept by triggers, so least-loaded routing reads one row
    per department member instead of counting their tickets (46,000 index entries for a
    busy department of a million-ticket desk: ~10 ms on every `ticket open`)."""
    execute_sql(conn, "M008_ASSIGNEE_LOAD")


def remind_at_sql(row: str) -> str:
    """When `remind run` must look at a ticket next (NULL: not until something changes),
    from the row (`row` is NEW in a trigger, or a table alias) and its type's policy:
    the due time when it has not been nudged since; at once when enough nudges call for an
    escalation; else the last nudge plus the type's nudge-every (NULL without it)."""
    policy = "(SELECT {col} FROM ticket_types WHERE id = {row}.type_id)"
    nudge_every = policy.format(col="nudge_every", row=row)
    escalate_after = policy.format(col="escalate_after", row=row)

    def clock(due: str) -> str:
        return (f"CASE WHEN {row}.last_nudged_at IS NULL OR {row}.last_nudged_at < {row}.{due} "
                f"THEN {row}.{due} "
                f"WHEN {row}.status <> 'new' AND {escalate_after} > 0 AND "
                f"{row}.nudges / {escalate_after} > {row}.escalations "
                f"THEN {row}.last_nudged_at "
                f"ELSE strftime('%Y-%m-%dT%H:%M:%SZ', {row}.last_nudged_at, "
                f"'+' || {nudge_every} || ' seconds') END")

    return (f"CASE WHEN {row}.status IN ('new', 'assigned') AND {row}.accept_due_at IS NOT NULL "
            f"THEN {clock('accept_due_at')} "
            f"WHEN {row}.status = 'in_progress' AND {row}.resolve_due_at IS NOT NULL "
            f"THEN {clock('resolve_due_at')} END")


REMIND_COLUMNS = "status, accept_due_at, resolve_due_at, last_nudged_at, nudges, escalations"


@migration
def m009_remind_at(conn):
    """tickets.remind_at, kept by triggers: `remind run` reads only the tickets whose time
    has come from a small index, instead of every overdue ticket and its nudge arithmetic
    (half a second on a million-ticket desk with nothing due)."""
    execute_script(conn, f"""
ALTER TABLE tickets ADD COLUMN remind_at TEXT;
UPDATE tickets SET remind_at = {remind_at_sql('tickets')}
    WHERE status IN ('new', 'assigned', 'in_progress');
CREATE INDEX tickets_remind_at ON tickets(remind_at) WHERE remind_at IS NOT NULL;
CREATE TRIGGER tickets_remind_insert AFTER INSERT ON tickets
WHEN NEW.status IN ('new', 'assigned', 'in_progress')
BEGIN
    UPDATE tickets SET remind_at = {remind_at_sql('NEW')} WHERE id = NEW.id;
END;
CREATE TRIGGER tickets_remind_update AFTER UPDATE OF {REMIND_COLUMNS} ON tickets
BEGIN
    UPDATE tickets SET remind_at = {remind_at_sql('NEW')} WHERE id = NEW.id;
END;
""")


@migration
def m010_cc_pages(conn):
    """CC indexes that end with the ticket id, so "CC'd to me" pages are read in id order
    and stop at the page, however many tickets a department head is CC'd on."""
    execute_sql(conn, "M010_CC_PAGES")


@migration
def m011_open_work(conn):
    """A person's open tickets as assignee, owner and handler, read from the index alone:
    the dashboard sorts someone's whole open workload (thousands of tickets for the busiest
    agents) into its sections, and fetching every row from the table cost ~10 µs each.
    Partial indexes, so they hold only open tickets (about a tenth of a desk)."""
    columns = "status, assignee_id, owner_id, handler_id, accept_due_at, resolve_due_at, nudges"
    for role in ("assignee", "owner", "handler"):
        conn.execute(f"CREATE INDEX tickets_open_{role} ON tickets({role}_id, {columns}) "
                     f"WHERE status IN {OPEN_SQL}")


@migration
def m012_ticket_index_version(conn):
    """Record the index_text version the tickets' full-text index was built with (every
    desk so far: version 1), so a deskcli whose tokenizer changed can tell that the index
    needs `deskcli db reindex`."""
    conn.execute("INSERT OR IGNORE INTO search_index (name, version) VALUES ('ticket_fts', 1)")


@migration
def m013_open_work_not_null(conn):
    """The open-work indexes (m011) without the tickets nobody holds in that role: a new
    ticket has no owner or handler yet, and a queued one no assignee, and the dashboard
    never asks for those. Every open ticket written then maintains fewer entries."""
    columns = "status, assignee_id, owner_id, handler_id, accept_due_at, resolve_due_at, nudges"
    for role in ("assignee", "owner", "handler"):
        conn.execute(f"DROP INDEX IF EXISTS tickets_open_{role}")
        conn.execute(f"CREATE INDEX tickets_open_{role} ON tickets({role}_id, {columns}) "
                     f"WHERE status IN {OPEN_SQL} AND {role}_id IS NOT NULL")


@migration
def m014_ticket_contacts(conn):
    """Customer-side recipients made visible (issue 10): the Cc addresses that `mail ingest`
    used to add silently as 'watchers' become the ticket's contacts, listed by `ticket show`
    and changed by `ticket contact`; those kept from before are marked via = 'mail-cc' with
    no time. And the Message-IDs of the mail the customer side sent about a ticket, in the
    order they came, so notices thread under them (In-Reply-To, References)."""
    execute_sql(conn, "M014_TICKET_CONTACTS")


@migration
def m016_faq_synonyms(conn):
    """Synonym groups that FAQ search applies to queries (faq synonym ...), and the words
    of the tickets each entry solved (learned from `ticket reply --faq`), filled here from
    the answers already recorded. See deskcli/store/faq_words.py."""
    from deskcli.search.tokens import FTS_TOKENIZE, index_text

    execute_script(conn, f"""
CREATE TABLE faq_synonyms (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,            -- 'glossary' (shipped) or 'desk' (added here)
    created_at TEXT NOT NULL
);
CREATE TABLE faq_synonym_words (
    group_id INTEGER NOT NULL REFERENCES faq_synonyms(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    word     TEXT NOT NULL,              -- as written
    form     TEXT NOT NULL,              -- what a query must contain (deskcli.faq.synonyms.form)
    phrase   TEXT,                       -- the FTS5 phrase that finds it; NULL: none
    side     TEXT NOT NULL CHECK (side IN ('both', 'from', 'to')),
    PRIMARY KEY (group_id, position)
) WITHOUT ROWID;
CREATE INDEX faq_synonym_words_form ON faq_synonym_words(form);
CREATE TABLE faq_learned (
    id        INTEGER PRIMARY KEY,
    faq_id    INTEGER NOT NULL REFERENCES faq(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    UNIQUE (faq_id, ticket_id)
);
CREATE VIRTUAL TABLE faq_learned_fts USING fts5(words, tokenize = '{FTS_TOKENIZE}');
""")
    rows = conn.execute("SELECT a.faq_id, a.ticket_id, t.title, t.body FROM faq_answers a "
                        "JOIN tickets t ON t.id = a.ticket_id ORDER BY a.at").fetchall()
    for faq_id, ticket_id, title, body in rows:
        cur = conn.execute("INSERT INTO faq_learned (faq_id, ticket_id) VALUES (?, ?)",
                           (faq_id, ticket_id))
        conn.execute("INSERT INTO faq_learned_fts (rowid, words) VALUES (?, ?)",
                     (cur.lastrowid, index_text(f"{title}\n{(body or '')[:200]}")))


@migration
def m017_workdays(conn):
    """Make-up working days (调休: `holiday add --workday`, `holiday import --cn`): a
    holiday row with working = 1 is a working day whatever its weekday. Views that name
    people, types and customers (v_tickets, v_open_work, v_events, v_people) for browsing
    with sqlite3 or Datasette. Triggers written on one long line are written again on
    several (the same SQL), so that they read in sqlite_master."""
    from deskcli.store.browse import VIEWS, readable_sql

    conn.execute("ALTER TABLE holidays ADD COLUMN working INTEGER NOT NULL DEFAULT 0")
    execute_script(conn, VIEWS)
    for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall():
        pretty = readable_sql(sql)
        if pretty != sql:
            conn.execute(f'DROP TRIGGER "{name}"')
            conn.execute(pretty)


@migration
def m021_recommend(conn):
    """An index of the ids of solved tickets, for finding similar solved tickets (`faq
    recommend`, the suggestions of `ticket open`, `ticket related`): checking that each
    ticket a text search meets is solved reads a few pages of it instead of a row of the
    table each (on a million tickets, about a third of the time of the search)."""
    conn.execute("CREATE INDEX IF NOT EXISTS tickets_solved ON tickets(id) "
                 "WHERE status IN ('resolved', 'closed')")
