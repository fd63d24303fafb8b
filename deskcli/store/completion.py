"""What shell completion offers from a desk: one small indexed query per Tab.

Opened read-only and without migrating, so completing never changes the desk (nor waits
for a writer: SQLite readers do not block in WAL mode); any problem (no desk, no right to
read it, an older schema) offers nothing rather than an error in the middle of a line.
"""

import sqlite3

from deskcli.store import OPEN_SQL, is_url

LIMIT = 200

QUERIES = {
    "login": "SELECT login, name FROM users WHERE active AND kind = 'staff' "
             "AND login LIKE ? ESCAPE '\\' ORDER BY login LIMIT ?",
    "client": "SELECT login, name FROM users WHERE active "
              "AND login LIKE ? ESCAPE '\\' ORDER BY login LIMIT ?",
    "type": "SELECT key, name FROM ticket_types WHERE active "
            "AND key LIKE ? ESCAPE '\\' ORDER BY key LIMIT ?",
    "dept": "SELECT key, name FROM departments WHERE key LIKE ? ESCAPE '\\' "
            "ORDER BY key LIMIT ?",
    "customer": "SELECT key, name FROM customers WHERE key LIKE ? ESCAPE '\\' "
                "ORDER BY key LIMIT ?",
    "view": "SELECT DISTINCT name, NULL FROM saved_views WHERE name LIKE ? ESCAPE '\\' "
            "ORDER BY name LIMIT ?",
    # open tickets first (newest first), then the others
    "ticket": f"SELECT id, title FROM tickets WHERE CAST(id AS TEXT) LIKE ? ESCAPE '\\' "
              f"ORDER BY status IN {OPEN_SQL} DESC, id DESC LIMIT ?",
}


def candidates(path: str, kind: str, prefix: str) -> list[tuple[str, str | None]]:
    """(value, description) pairs of `kind` starting with `prefix`."""
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if is_url(path):
        return _from_server(path, kind, pattern)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return []
    try:
        return [(str(value), label) for value, label in
                conn.execute(QUERIES[kind], (pattern, LIMIT))]
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _from_server(url: str, kind: str, pattern: str) -> list[tuple[str, str | None]]:
    """The same on a PostgreSQL desk: opened without migrating, one read; a server that
    cannot be reached, or any other problem, offers nothing."""
    from deskcli.errors import DeskError
    from deskcli.store import Store

    try:
        store = Store.open(url, migrate=False)
    except DeskError:
        return []
    try:
        with store.read():
            return [(str(row[0]), row[1]) for row in store.all(QUERIES[kind],
                                                                 (pattern, LIMIT))]
    except DeskError:
        return []
    finally:
        store.close()
