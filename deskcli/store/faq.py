"""The FAQ: categories, entries, keywords, ticket types, the full-text index, the terms
`faq suggest` completes, and which FAQ answered which ticket.

Invariants (the services rely on them):
  * faq_fts (contentless, rowid = faq.id), faq_keywords and faq_terms change only together
    with the faq row they describe, inside the caller's write transaction: `add_index` and
    `drop_index` take the entry's original text and tokenize it with index_text, so the
    index never needs a rebuild step;
  * a contentless FTS5 row is deleted by giving FTS5 the values it indexed; they are
    recomputed with the index_text version that search_index records for the table, and
    a table built with another version is re-indexed whole (`reindex`);
  * faq_terms.keywords / .questions count the entries that use a term; a term no entry
    uses is deleted.

Ranked search is split in SQL pieces here (`count_capped`, `top_faq`, `top_tickets`) and
the recipe that combines them, which is logic, in deskcli.faq.search.
"""

from deskcli.store import Store

FAQ_SELECT = """
SELECT e.id, e.key, e.question, e.answer, e.category_id, c.path AS category, e.created_at,
       e.updated_at, cu.login AS created_by, uu.login AS updated_by
FROM faq e
LEFT JOIN faq_categories c ON c.id = e.category_id
LEFT JOIN users cu ON cu.id = e.created_by_id
LEFT JOIN users uu ON uu.id = e.updated_by_id
"""

_HIGH = "\U0010ffff"  # sorts after every character: the end of a prefix range


# --- categories ---------------------------------------------------------------------------

def category_by_path(db: Store, path: str):
    return db.one("SELECT id, parent_id, name, path FROM faq_categories WHERE path = ?",
                  (path,))


def category_by_id(db: Store, category_id: int):
    return db.one("SELECT id, parent_id, name, path FROM faq_categories WHERE id = ?",
                  (category_id,))


def categories_named(db: Store, name: str):
    """Categories whose own (last) name is `name`, at any depth."""
    return db.all("SELECT id, parent_id, name, path FROM faq_categories WHERE name = ? "
                  "ORDER BY path", (name,))


def insert_category(db: Store, parent_id: int | None, name: str, path: str, at: str) -> int:
    return db.run("INSERT INTO faq_categories (parent_id, name, path, created_at) "
                  "VALUES (?, ?, ?, ?)", (parent_id, name, path, at)).lastrowid


def categories(db: Store) -> list[dict]:
    """Every category with its own entries and those of its subcategories."""
    rows = db.all("""
        SELECT c.id, c.parent_id, c.name, c.path, c.created_at, p.path AS parent,
               (SELECT count(*) FROM faq e WHERE e.category_id = c.id) AS own
        FROM faq_categories c LEFT JOIN faq_categories p ON p.id = c.parent_id
        ORDER BY c.path""")
    return [dict(r) for r in rows]


def children(db: Store, category_id: int) -> list[str]:
    """Paths of a category's direct subcategories."""
    return [r[0] for r in db.all("SELECT path FROM faq_categories WHERE parent_id = ? "
                                 "ORDER BY path", (category_id,))]


def move_category(db: Store, category_id: int, parent_id: int | None, name: str,
                  old_path: str, new_path: str) -> None:
    """Give a category a new name and parent; its subcategories' paths follow."""
    db.run("UPDATE faq_categories SET parent_id = ?, name = ?, path = ? WHERE id = ?",
           (parent_id, name, new_path, category_id))
    db.run("UPDATE faq_categories SET path = ? || substr(path, ?) "
           "WHERE substr(path, 1, ?) = ?",
           (new_path, len(old_path) + 1, len(old_path) + 1, old_path + "/"))


def move_entries(db: Store, from_id: int, to_id: int) -> int:
    """Put a category's own entries into another; returns how many moved."""
    return db.run("UPDATE faq SET category_id = ? WHERE category_id = ?",
                  (to_id, from_id)).rowcount


def delete_category(db: Store, category_id: int) -> None:
    db.run("DELETE FROM faq_categories WHERE id = ?", (category_id,))


def subtree_ids(db: Store, category_id: int) -> list[int]:
    """A category and all its descendants."""
    return [r[0] for r in db.all("""
        WITH RECURSIVE tree(id) AS (
            VALUES (?) UNION SELECT c.id FROM faq_categories c JOIN tree ON c.parent_id = tree.id
        ) SELECT id FROM tree""", (category_id,))]


# --- entries ------------------------------------------------------------------------------

def by_key(db: Store, key: str):
    return db.one(FAQ_SELECT + " WHERE e.key = ?", (key,))


def by_id(db: Store, faq_id: int):
    return db.one(FAQ_SELECT + " WHERE e.id = ?", (faq_id,))


def by_ids(db: Store, ids: list[int]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((r["id"], dict(r)) for r in db.all(
            FAQ_SELECT + f" WHERE e.id IN ({marks})", chunk))
    return found


def entries(db: Store, *, category_ids: list[int] | None = None, type_id: int | None = None,
            limit: int | None = None) -> list[dict]:
    where, params = [], []
    if category_ids is not None:
        where.append(f"e.category_id IN ({','.join('?' * len(category_ids))})")
        params += category_ids
    if type_id is not None:
        where.append("e.id IN (SELECT faq_id FROM faq_types WHERE type_id = ?)")
        params.append(type_id)
    sql = FAQ_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.key"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in db.all(sql, params)]


def all_keys(db: Store) -> dict[str, int]:
    return {r[0]: r[1] for r in db.all("SELECT key, id FROM faq")}


def key_taken(db: Store, key: str) -> bool:
    return db.one("SELECT 1 FROM faq WHERE key = ?", (key,)) is not None


def max_id(db: Store) -> int:
    return db.scalar("SELECT max(id) FROM faq") or 0


def insert(db: Store, row: dict) -> int:
    return db.run(
        "INSERT INTO faq (key, category_id, question, answer, created_at, updated_at, "
        "created_by_id, updated_by_id) VALUES (:key, :category_id, :question, :answer, :at, "
        ":at, :by_id, :by_id)", row).lastrowid


def update(db: Store, faq_id: int, changes: dict) -> None:
    allowed = {"key", "category_id", "question", "answer", "updated_at", "updated_by_id"}
    assert set(changes) <= allowed, set(changes) - allowed
    sets = ", ".join(f"{name} = ?" for name in changes)
    db.run(f"UPDATE faq SET {sets} WHERE id = ?", (*changes.values(), faq_id))


def delete(db: Store, faq_id: int) -> None:
    from deskcli.store.faq_words import forget_entry

    forget_entry(db, faq_id)
    db.run("DELETE FROM faq_answers WHERE faq_id = ?", (faq_id,))
    db.run("DELETE FROM faq_types WHERE faq_id = ?", (faq_id,))
    db.run("DELETE FROM faq_keywords WHERE faq_id = ?", (faq_id,))
    db.run("DELETE FROM faq WHERE id = ?", (faq_id,))


def keywords(db: Store, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in db.all("SELECT faq_id, keyword FROM faq_keywords WHERE faq_id IN "
                        f"({','.join('?' * len(chunk))}) ORDER BY faq_id, position", chunk):
            found[r[0]].append(r[1])
    return found


def set_keywords(db: Store, faq_id: int, words: list[str]) -> None:
    db.run("DELETE FROM faq_keywords WHERE faq_id = ?", (faq_id,))
    db.many("INSERT INTO faq_keywords (faq_id, position, keyword) VALUES (?, ?, ?)",
            [(faq_id, i, w) for i, w in enumerate(words, start=1)])


def types(db: Store, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in db.all("SELECT f.faq_id, t.key FROM faq_types f JOIN ticket_types t "
                        f"ON t.id = f.type_id WHERE f.faq_id IN ({','.join('?' * len(chunk))}) "
                        "ORDER BY f.faq_id, t.key", chunk):
            found[r[0]].append(r[1])
    return found


def set_types(db: Store, faq_id: int, type_ids: list[int]) -> None:
    db.run("DELETE FROM faq_types WHERE faq_id = ?", (faq_id,))
    db.many("INSERT INTO faq_types (faq_id, type_id) VALUES (?, ?)",
            [(faq_id, t) for t in dict.fromkeys(type_ids)])


def type_id(db: Store, key: str) -> int | None:
    return db.scalar("SELECT id FROM ticket_types WHERE key = ?", (key,))


def typed_ids(db: Store, ids: list[int]) -> dict[int, set[int]]:
    """The ticket type ids of each entry that has any."""
    found: dict[int, set[int]] = {}
    if ids:
        for r in db.all(f"SELECT faq_id, type_id FROM faq_types WHERE faq_id IN "
                        f"({','.join('?' * len(ids))})", ids):
            found.setdefault(r[0], set()).add(r[1])
    return found


# --- the full-text index and the suggest terms ---------------------------------------------

def add_index(db: Store, faq_id: int, tokens: tuple[str, str, str],
              terms: tuple[list[str], list[str]]) -> None:
    """Index an entry: its (question, keywords, answer) tokens, and its suggest terms
    (keyword terms, question terms)."""
    db.run("INSERT INTO faq_fts (rowid, question, keywords, answer) VALUES (?, ?, ?, ?)",
           (faq_id, *tokens))
    _count_terms(db, terms, 1)


def drop_index(db: Store, faq_id: int, tokens: tuple[str, str, str],
               terms: tuple[list[str], list[str]]) -> None:
    """Remove an entry from the index: `tokens` and `terms` must be those it was added
    with (recomputed from the stored text; see the module's invariants)."""
    if db.dialect == "postgres":
        db.run("DELETE FROM faq_fts WHERE rowid = ?", (faq_id,))
    else:
        db.run("INSERT INTO faq_fts (faq_fts, rowid, question, keywords, answer) "
               "VALUES ('delete', ?, ?, ?, ?)", (faq_id, *tokens))
    _count_terms(db, terms, -1)


def _count_terms(db: Store, terms: tuple[list[str], list[str]], delta: int) -> None:
    keyword_terms, question_terms = terms
    rows = [(t, delta, 0) for t in keyword_terms] + [(t, 0, delta) for t in question_terms]
    if not rows:
        return
    db.many("INSERT INTO faq_terms (term, keywords, questions) VALUES (?, ?, ?) "
            "ON CONFLICT (term) DO UPDATE SET keywords = faq_terms.keywords + excluded.keywords, "
            "questions = faq_terms.questions + excluded.questions", rows)
    if delta < 0:
        db.many("DELETE FROM faq_terms WHERE term = ? AND keywords <= 0 AND questions <= 0",
                [(r[0],) for r in rows])


def index_version(db: Store, name: str = "faq_fts") -> int | None:
    """The index_text version a full-text table (faq_fts, ticket_fts) was built with."""
    return db.scalar("SELECT version FROM search_index WHERE name = ?", (name,))


def set_index_version(db: Store, name: str, version: int) -> None:
    db.run("INSERT INTO search_index (name, version) VALUES (?, ?) "
           "ON CONFLICT (name) DO UPDATE SET version = excluded.version", (name, version))


def reindex_start(db: Store, version: int) -> None:
    """Empty faq_fts and faq_terms before every entry is indexed again with `version`."""
    if db.dialect == "postgres":
        _pg().delete_all(db, "faq_fts")
    else:
        db.run("INSERT INTO faq_fts (faq_fts) VALUES ('delete-all')")
    db.run("DELETE FROM faq_terms")
    set_index_version(db, "faq_fts", version)


def texts(db: Store):
    """(id, question, answer) of every entry, for re-indexing."""
    return db.all("SELECT id, question, answer FROM faq ORDER BY id")


def complete(db: Store, prefix: str, limit: int, keyword_weight: int = 3) -> list[dict]:
    """Terms that start with `prefix`, most used first (keywords count more)."""
    rows = db.all(
        "SELECT term, keywords, questions FROM faq_terms WHERE term >= ? AND term < ? "
        f"ORDER BY keywords * {int(keyword_weight)} + questions DESC, length(term), term "
        "LIMIT ?", (prefix, prefix + _HIGH, limit))
    return [dict(r) for r in rows]


# --- ranked search: the SQL pieces ------------------------------------------------------------

_TABLES = {"faq": ("faq_fts", "faq", "{question keywords} : "),
           "tickets": ("ticket_fts", "tickets", "{title} : ")}


def size(db: Store, kind: str) -> int:
    """The largest id of the searched table (a cheap stand-in for its row count)."""
    return db.scalar(f"SELECT max(id) FROM {_TABLES[kind][1]}") or 0


def count_capped(db: Store, kind: str, match: str, cap: int) -> int:
    """Rows matching `match`, counted up to `cap`: reads at most `cap` rowids and no
    positions (about 0.1 µs a row), so it is cheap even for very common terms."""
    fts = _TABLES[kind][0]
    if db.dialect == "postgres":
        return _pg().count_capped(db, fts, match, cap)
    return db.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)",
                     (match, cap))


def counts_capped(db: Store, kind: str, matches: list[str], cap: int) -> dict[str, int]:
    """count_capped of each of `matches`, in one statement (a dozen phrases of a ticket's
    text: one round trip instead of twelve)."""
    fts = _TABLES[kind][0]
    if db.dialect == "postgres":
        return _pg().counts_capped(db, fts, matches, cap)
    counted = (f"(SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?))"
               for _ in matches)
    row = db.one("SELECT " + ", ".join(counted),
                 [v for match in matches for v in (match, cap)])
    return dict(zip(matches, row, strict=True))


def count_in_questions(db: Store, match: str, cap: int) -> int:
    """Like count_capped, for matches in an entry's question or keywords only."""
    return count_capped(db, "faq", _TABLES["faq"][2] + "(" + match + ")", cap)


def top_faq(db: Store, match: str, limit: int, *, order: str, weights=(),
            first: bool = False, category_ids: list[int] | None = None,
            type_id: int | None = None) -> list[tuple[int, float | None]]:
    """(id, bm25 score) of the best entries for an FTS5 expression: `order` 'bm25' (with
    column `weights`) or 'newest'; `first` looks in questions and keywords only;
    `category_ids` limits to those categories; `type_id` to entries tied to that ticket
    type or to none."""
    where, params = [], []
    if category_ids is not None:
        where.append(f"faq_fts.rowid IN (SELECT id FROM faq WHERE category_id IN "
                     f"({','.join('?' * len(category_ids))}))")
        params += category_ids
    if type_id is not None:
        where.append("(faq_fts.rowid IN (SELECT faq_id FROM faq_types WHERE type_id = ?) OR "
                     "faq_fts.rowid NOT IN (SELECT faq_id FROM faq_types))")
        params.append(type_id)
    return _top(db, "faq", match, limit, order, weights, first, where, params)


SOLVED = {"resolved", "closed"}
"""The statuses of tickets_solved, the partial index of solved ticket ids."""


def top_tickets(db: Store, match: str, limit: int, *, order: str, weights=(),
                first: bool = False, statuses: tuple[str, ...] = (),
                exclude: int | None = None) -> list[tuple[int, float | None]]:
    """(id, bm25 score) of the best tickets for an FTS5 expression (see top_faq); only
    `statuses` if given, without ticket `exclude`."""
    where, params = [], []
    indexed = db.dialect != "postgres"  # INDEXED BY is SQLite's
    if set(statuses) == SOLVED:
        # One look-up in the index of solved ids (m021_recommend): a few of its pages
        # hold the newest tickets, where a row of the table takes a page of its own. The
        # statuses are written out: SQLite uses a partial index only for the same terms.
        where.append(f"EXISTS (SELECT 1 FROM tickets{' INDEXED BY tickets_solved' * indexed} "
                     "WHERE status IN ('resolved', 'closed') AND id = ticket_fts.rowid)")
    elif statuses:
        where.append(f"EXISTS (SELECT 1 FROM tickets{' INDEXED BY tickets_status' * indexed} "
                     f"WHERE status IN ({','.join('?' * len(statuses))}) "
                     "AND id = ticket_fts.rowid)")
        params += statuses
    if exclude is not None:
        where.append("ticket_fts.rowid <> ?")
        params.append(exclude)
    return _top(db, "tickets", match, limit, order, weights, first, where, params)


def _top(db: Store, kind: str, match: str, limit: int, order: str, weights, first: bool,
         where: list[str], params: list) -> list[tuple[int, float | None]]:
    fts, _table, columns = _TABLES[kind]
    text = (columns + "(" + match + ")") if first else match
    if db.dialect == "postgres":
        return _pg().top(db, fts, text, limit, order=order, weights=weights, where=where,
                         params=params)
    if order == "bm25":
        score = f"bm25({fts}, {', '.join('?' * len(weights))})"
        score_params = list(weights)
        order_by = "2"
    else:
        score, score_params, order_by = "NULL", [], f"{fts}.rowid DESC"
    sql = (f"SELECT {fts}.rowid, {score} FROM {fts} WHERE {fts} MATCH ?"
           + "".join(f" AND {w}" for w in where) + f" ORDER BY {order_by} LIMIT ?")
    return [(r[0], r[1]) for r in db.all(sql, (*score_params, text, *params, limit))]


def _pg():
    """The PostgreSQL twin of FTS5's MATCH and bm25 (deskcli/store/pg/search.sql)."""
    from deskcli.store.pg import search

    return search


def ticket_tokens(db: Store, ids: list[int]) -> dict[int, tuple[str, str]]:
    """The indexed tokens (title, body) of tickets: ticket_fts stores them (it is not
    contentless), so similar tickets can be scored without re-tokenizing their text."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update((r[0], (r[1] or "", r[2] or "")) for r in db.all(
            f"SELECT rowid, title, body FROM ticket_fts WHERE rowid IN "
            f"({','.join('?' * len(chunk))})", chunk))
    return found


# --- what answered what ---------------------------------------------------------------------

def link_answer(db: Store, faq_id: int, ticket_id: int, at: str, by_id: int | None) -> bool:
    """Record that the entry answered the ticket; False if it was already recorded."""
    return db.run("INSERT OR IGNORE INTO faq_answers (faq_id, ticket_id, at, by_id) "
                  "VALUES (?, ?, ?, ?)", (faq_id, ticket_id, at, by_id)).rowcount > 0


def answers_for_tickets(db: Store, ticket_ids: list[int]) -> dict[int, list[int]]:
    """ticket id -> ids of the entries that answered it."""
    found: dict[int, list[int]] = {}
    if ticket_ids:
        for r in db.all("SELECT ticket_id, faq_id FROM faq_answers WHERE ticket_id IN "
                        f"({','.join('?' * len(ticket_ids))}) ORDER BY ticket_id, at",
                        ticket_ids):
            found.setdefault(r[0], []).append(r[1])
    return found


def answered_counts(db: Store, faq_ids: list[int]) -> dict[int, int]:
    if not faq_ids:
        return {}
    return {r[0]: r[1] for r in db.all(
        "SELECT faq_id, count(*) FROM faq_answers WHERE faq_id IN "
        f"({','.join('?' * len(faq_ids))}) GROUP BY faq_id", faq_ids)}


def answered_tickets(db: Store, faq_id: int, limit: int = 10) -> list[dict]:
    """The newest tickets the entry answered."""
    return [dict(r) for r in db.all(
        "SELECT a.ticket_id, a.at, u.login AS by, t.title, t.status FROM faq_answers a "
        "JOIN tickets t ON t.id = a.ticket_id LEFT JOIN users u ON u.id = a.by_id "
        "WHERE a.faq_id = ? ORDER BY a.at DESC, a.ticket_id DESC LIMIT ?", (faq_id, limit))]


def customer_history(db: Store, customer_id: int, limit: int = 200) -> tuple[dict, dict]:
    """The customer's recent tickets: ({faq id: times it answered one of them},
    {ticket type id: tickets of that type})."""
    answered: dict[int, int] = {}
    for r in db.all(
            "SELECT a.faq_id, count(*) FROM faq_answers a WHERE a.ticket_id IN "
            "(SELECT id FROM tickets WHERE customer_id = ? ORDER BY id DESC LIMIT ?) "
            "GROUP BY a.faq_id", (customer_id, limit)):
        answered[r[0]] = r[1]
    kinds = {r[0]: r[1] for r in db.all(
        "SELECT type_id, count(*) FROM (SELECT type_id FROM tickets WHERE customer_id = ? "
        "ORDER BY id DESC LIMIT ?) recent GROUP BY type_id", (customer_id, limit))}
    return answered, kinds


# --- gaps -----------------------------------------------------------------------------------

def recent_tickets(db: Store, since: str, limit: int) -> list[tuple[int, str]]:
    """(id, title) of the newest tickets created at or after `since`, newest first."""
    return [(r[0], r[1]) for r in db.all(
        "SELECT id, title FROM tickets WHERE created_at >= ? ORDER BY created_at DESC, id DESC "
        "LIMIT ?", (since, limit))]


def count_recent(db: Store, since: str) -> int:
    return db.scalar("SELECT count(*) FROM tickets WHERE created_at >= ?", (since,))


def answered_among(db: Store, ticket_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[start:start + 500]
        found.update(r[0] for r in db.all(
            "SELECT DISTINCT ticket_id FROM faq_answers WHERE ticket_id IN "
            f"({','.join('?' * len(chunk))})", chunk))
    return found
