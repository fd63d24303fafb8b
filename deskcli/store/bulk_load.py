"""A large ticket import's bulk mode (deskcli.tickets.bulk): the secondary indexes of
tickets and events dropped past a threshold and built again at the end, and the per-row
triggers paused, with their work done once in a set operation. SQLite only: on
PostgreSQL, DROP INDEX would lock every reader out until the import commits, and the
triggers keep running. (Moved out of store/tickets.py, which had grown past 500 lines.)
"""

from contextlib import contextmanager

from deskcli.store import Store, catalog

OPEN_LOAD_SQL = ("INSERT INTO assignee_load (user_id, open) SELECT assignee_id, count(*) "
                 "FROM tickets WHERE assignee_id IS NOT NULL "
                 "AND status IN ('assigned', 'in_progress', 'waiting') GROUP BY assignee_id")


PAUSED_TRIGGERS = ("assignee_load_insert", "tickets_remind_insert")
# what a bulk import may rebuild instead of maintain; not tickets_external, which the import
# reads to find repeated external ids
DEFERRABLE_TABLES = ("tickets", "events")
KEPT_INDEXES = ("tickets_external",)


class DeferredIndexes:
    """For a bulk import, inside its transaction: once the import has added at least as many
    tickets as the desk held before it, drop the secondary indexes of tickets and events,
    and build them again from their own SQL at the end (`rebuild`). Sorting every entry
    once is several times cheaper than inserting them one by one into 20 b-trees; on a
    big desk that a small import would force to re-sort, the indexes are kept. On an error
    the transaction's rollback brings the indexes back."""

    def __init__(self, db: Store, existing: int, least: int = 20_000):
        self.db, self.threshold, self.saved = db, max(existing, least), []

    def added(self, count: int) -> None:
        # PostgreSQL's DROP INDEX locks its table (ACCESS EXCLUSIVE) until the import
        # commits: every reader would wait for the whole import; the indexes are kept there
        if self.saved or count < self.threshold or self.db.dialect == "postgres":
            return
        self.saved = [(name, sql) for name, sql in catalog.indexes(self.db, DEFERRABLE_TABLES)
                      if name not in KEPT_INDEXES]
        for name, _ in self.saved:
            self.db.run(f"DROP INDEX {name}")

    @property
    def deferred(self) -> bool:
        return bool(self.saved)

    def rebuild(self) -> None:
        if self.saved:
            # SQLite sorts each index in up to the cache size of memory, on top of the page
            # cache itself: a smaller cache keeps a million-ticket import under 200 MiB
            self.db.bulk_cache(24)
        for _, sql in self.saved:
            self.db.run(sql)
        self.saved = []


@contextmanager
def triggers_paused(db: Store, first_id: int):
    """For a bulk import, inside its transaction: drop the per-row triggers that count
    each new ticket's assignee and compute its remind_at (together they cost more than
    the ticket's own insert), then do both once for all the new tickets. On an error the
    transaction's rollback brings the triggers back."""
    from deskcli.store.remind import refresh_remind_at

    if db.dialect == "postgres":
        # DROP TRIGGER would lock every reader of tickets out until the commit (ACCESS
        # EXCLUSIVE); DISABLE TRIGGER takes SHARE ROW EXCLUSIVE, which readers pass (a
        # role that does not own the table leaves the trigger on). remind_at stays with
        # its row trigger: cheaper here than an UPDATE of every new row afterwards
        from deskcli.store.pg.bulk import owned

        if not owned(db.conn, "tickets"):
            yield
            return
        db.run("ALTER TABLE tickets DISABLE TRIGGER assignee_load_insert")
        yield
        db.run("ALTER TABLE tickets ENABLE TRIGGER assignee_load_insert")
    else:
        saved = [(name, catalog.trigger(db, "tickets", name)) for name in PAUSED_TRIGGERS]
        for name, sql in saved:
            if sql:
                catalog.drop_trigger(db, "tickets", name)
        yield
        refresh_remind_at(db, since_id=first_id)
        for _, sql in saved:
            if sql:
                db.run(sql)
    db.run("DELETE FROM assignee_load")
    db.run(OPEN_LOAD_SQL)


@contextmanager
def text_buffer(db: Store, table: str = "ticket_fts", mib: int = 8):
    """For a bulk import, inside its transaction: FTS5 keeps up to `mib` MiB of new terms
    in memory before it writes them out as a segment (its default is 1 MiB), so the
    import writes fewer, larger segments and merges them less: 100,000 tickets' text
    rows 1.0 -> 0.8 s. The setting ('hashsize') is stored in the table's config: the
    row is removed again at the end, so the desk's config is what it was (an error's
    rollback removes it too). SQLite only."""
    if db.dialect != "sqlite":
        yield
        return
    config = f"{table}_config"
    before = db.scalar(f"SELECT v FROM {config} WHERE k = 'hashsize'")
    db.run(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', ?)", (mib << 20,))
    yield
    if before is None:
        db.run(f"DELETE FROM {config} WHERE k = 'hashsize'")
    else:
        db.run(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', ?)", (before,))
