"""Words the FAQ search was given or learned: synonym groups (applied to queries, never
to the index) and the words of tickets that an entry solved.

Invariants (the services rely on them):
  * a synonym group is a faq_synonyms row and its words in faq_synonym_words, written and
    deleted together; each word carries its form (what a query must contain) and its FTS5
    phrase, both from deskcli.faq.synonyms, so a query reads them without re-tokenizing;
  * faq_learned has one row per (entry, ticket) that `ticket reply --faq` linked, and
    faq_learned_fts (rowid = faq_learned.id) the index_text tokens of that ticket's title
    and the start of its body; removing an entry removes what was learned for it.
"""

from deskcli.store import Store, fulltext

# --- synonyms -------------------------------------------------------------------------------

def insert_group(db: Store, words: list[tuple[str, str, str | None, str]], source: str,
                 at: str) -> int:
    """Add a group: `words` are (word, form, phrase, side), side 'both', 'from' or 'to'."""
    group_id = db.run("INSERT INTO faq_synonyms (source, created_at) VALUES (?, ?)",
                      (source, at)).lastrowid
    db.many("INSERT INTO faq_synonym_words (group_id, position, word, form, phrase, side) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(group_id, n, *w) for n, w in enumerate(words)])
    return group_id


def delete_groups(db: Store, ids: list[int]) -> int:
    """Remove groups; the number removed."""
    marks = ",".join("?" * len(ids))
    db.run(f"DELETE FROM faq_synonym_words WHERE group_id IN ({marks})", ids)
    return db.run(f"DELETE FROM faq_synonyms WHERE id IN ({marks})", ids).rowcount


def groups(db: Store, *, source: str | None = None) -> list[dict]:
    """Every group in id order: {'id', 'source', 'created_at', 'words': [(word, side)]}."""
    where, params = ("WHERE s.source = ?", (source,)) if source else ("", ())
    found: dict[int, dict] = {}
    for r in db.all(f"SELECT s.id, s.source, s.created_at, w.word, w.side "
                    f"FROM faq_synonyms s JOIN faq_synonym_words w ON w.group_id = s.id "
                    f"{where} ORDER BY s.id, w.position", params):
        group = found.setdefault(r[0], {"id": r[0], "source": r[1], "created_at": r[2],
                                        "words": []})
        group["words"].append((r[3], r[4]))
    return list(found.values())


def groups_with_form(db: Store, form: str) -> list[int]:
    """Ids of the groups that have a word of this form."""
    return [r[0] for r in db.all("SELECT DISTINCT group_id FROM faq_synonym_words "
                                 "WHERE form = ? ORDER BY group_id", (form,))]


def forms_asked(db: Store, candidates: list[str]) -> list[tuple[int, str]]:
    """(group id, form) of the words a query may ask for (sides 'both' and 'from') whose
    form is one of `candidates` (an index lookup each), by form: the order decides which
    of two forms of a group asked alike is the asked one (deskcli.faq.synonyms.matched)."""
    found: list[tuple[int, str]] = []
    for start in range(0, len(candidates), 500):
        chunk = candidates[start:start + 500]
        found += [(r[0], r[1]) for r in db.all(
            f"SELECT group_id, form FROM faq_synonym_words WHERE form IN "
            f"({','.join('?' * len(chunk))}) AND side <> 'to' "
            "ORDER BY form, group_id, position", chunk)]  # one order on both stores
    return found


def alternatives(db: Store, group_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(word, phrase) that a query asking a group finds (sides 'both' and 'to')."""
    found: dict[int, list[tuple[str, str]]] = {g: [] for g in group_ids}
    if group_ids:
        for r in db.all(f"SELECT group_id, word, phrase FROM faq_synonym_words "
                        f"WHERE group_id IN ({','.join('?' * len(group_ids))}) "
                        f"AND side <> 'from' AND phrase IS NOT NULL "
                        f"ORDER BY group_id, position", group_ids):
            found[r[0]].append((r[1], r[2]))
    return found


def has_synonyms(db: Store) -> bool:
    """Whether the schema has the synonym tables (migration m016_faq_synonyms)."""
    if db.dialect == "postgres":
        return True  # the baseline schema has them
    return db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'faq_synonyms'") > 0


def group_count(db: Store) -> int:
    return db.scalar("SELECT count(*) FROM faq_synonyms")


# --- what solved tickets taught -------------------------------------------------------------

def learn(db: Store, faq_id: int, ticket_id: int, tokens: str) -> bool:
    """Record the tokens of a ticket the entry solved; False if already recorded."""
    cur = db.run("INSERT OR IGNORE INTO faq_learned (faq_id, ticket_id) VALUES (?, ?)",
                 (faq_id, ticket_id))
    if not cur.rowcount:
        return False
    db.run("INSERT INTO faq_learned_fts (rowid, words) VALUES (?, ?)", (cur.lastrowid, tokens))
    return True


def forget_entry(db: Store, faq_id: int) -> None:
    """Remove what was learned for an entry (it is being removed)."""
    db.run("DELETE FROM faq_learned_fts WHERE rowid IN "
           "(SELECT id FROM faq_learned WHERE faq_id = ?)", (faq_id,))
    db.run("DELETE FROM faq_learned WHERE faq_id = ?", (faq_id,))


def ticket_text(db: Store, ticket_id: int) -> tuple[str, str] | None:
    row = db.one("SELECT title, body FROM tickets WHERE id = ?", (ticket_id,))
    return None if row is None else (row[0] or "", row[1] or "")


def learned_size(db: Store) -> int:
    return db.scalar("SELECT max(id) FROM faq_learned") or 0


def top_learned(db: Store, match: str, limit: int) -> list[tuple[int, float]]:
    """(entry id, summed bm25 score, negated: higher is better) of the entries whose
    solved tickets best match `match`, from at most `limit` ticket rows."""
    scores: dict[int, float] = {}
    if db.dialect == "postgres":
        from deskcli.store.pg import search

        best = search.top(db, "faq_learned_fts", match, limit, order="bm25")
        owners = dict(db.all(f"SELECT id, faq_id FROM faq_learned WHERE id IN "
                             f"({','.join('?' * len(best))})", [i for i, _ in best])
                      ) if best else {}
        rows = [(owners[i], score) for i, score in best]
    else:
        rows = db.all(
            "SELECT l.faq_id, f.score FROM (SELECT rowid, bm25(faq_learned_fts) AS score "
            "FROM faq_learned_fts WHERE faq_learned_fts MATCH ? ORDER BY score LIMIT ?) f "
            "JOIN faq_learned l ON l.id = f.rowid", (match, limit))
    for faq_id, score in rows:
        scores[faq_id] = scores.get(faq_id, 0.0) - score
    return sorted(scores.items(), key=lambda kv: -kv[1])


def learned_tokens(db: Store, faq_ids: list[int], limit: int = 50) -> dict[int, list[str]]:
    """The learned token strings of entries (at most `limit` tickets each), for --explain."""
    found: dict[int, list[str]] = {f: [] for f in faq_ids}
    for faq_id in faq_ids:
        found[faq_id] = [r[0] for r in db.all(
            "SELECT f.words FROM faq_learned l JOIN faq_learned_fts f ON f.rowid = l.id "
            "WHERE l.faq_id = ? ORDER BY l.id DESC LIMIT ?", (faq_id, limit))]
    return found


def count_learned(db: Store, match: str, cap: int) -> int:
    sql, params = fulltext.rowids(db, "faq_learned_fts", match)
    return db.scalar(f"SELECT count(*) FROM ({sql} LIMIT ?) m", (*params, cap))
