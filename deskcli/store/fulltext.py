"""The full-text tables (ticket_fts, faq_fts, faq_learned_fts) as the query modules use
them on either store: SQLite's FTS5, or its PostgreSQL twin (deskcli/store/pg/search.py)."""

from deskcli.store import Store


def rowids(db: Store, table: str, match: str) -> tuple[str, list]:
    """A SELECT of the rowids of `table` that match an FTS5 expression, and its
    parameters: the subquery `SELECT rowid FROM t WHERE t MATCH ?`."""
    if db.dialect == "postgres":
        from deskcli.store.pg import search

        return search.rowids(table, match)
    return f"SELECT {table}.rowid FROM {table} WHERE {table} MATCH ?", [match]
