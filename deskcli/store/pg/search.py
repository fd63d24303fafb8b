"""FTS5's MATCH and bm25() on a PostgreSQL desk: the same rows, in the same order.

The store builds FTS5 expressions (deskcli.search.tokens and deskcli.faq.synonyms): quoted
phrases of index_text tokens ("登录", "log in", "课"* for a prefix), joined with AND and OR,
in parentheses, optionally limited to columns ({question keywords} : (...)). This module
parses that language and evaluates it on the tables of search.sql:

* candidates come from the GIN index of `terms` (a tsquery: a phrase becomes the AND of
  its tokens, a column filter becomes weights), which is exact for a phrase of one token;
* a phrase of several tokens is then checked on the row's tokens in order (the column's
  text as an array: FTS5's positions, without tsvector's limits of 256 positions a lexeme
  and 16,383 a document);
* bm25 is FTS5's own formula (sqlite/ext/fts5/fts5_aux.c, k1 = 1.2, b = 0.75): for each
  phrase, its IDF from the rows it matches (in its columns) and the table's row count,
  times its weighted frequency in the row, saturated by the row's size against the
  average (fts_stats). Ties go to the lower rowid, as FTS5 reads rows in rowid order.

Tokens are folded as FTS5's tokenizer folds them: deskcli_fold in SQL (the rows), fold
here (the query's tokens), with search.sql's table.
"""

COLUMNS = {"faq_fts": ("question", "keywords", "answer"), "ticket_fts": ("title", "body"),
           "faq_learned_fts": ("words",)}

K1, B = 1.2, 0.75


class Phrase:
    __slots__ = ("tokens", "prefix", "cols")

    def __init__(self, tokens: list[str], prefix: bool, cols: tuple[int, ...]):
        self.tokens = tokens
        self.prefix = prefix
        self.cols = cols  # the columns (0-based) it may match in


class Query:
    """A parsed expression: its phrases, in order, and its tree of ('phrase', i),
    ('and', [...]), ('or', [...]) or None (matches nothing)."""

    def __init__(self, table: str, match: str):
        self.table = table
        self.columns = COLUMNS[table]
        self.phrases: list[Phrase] = []
        self._items = _lex(match)
        self._at = 0
        tree = self._or(tuple(range(len(self.columns))))
        if self._at != len(self._items):
            raise ValueError(f"unexpected {self._items[self._at][1]!r} in {match!r}")
        self.tree = _prune(tree, self.phrases)

    # --- parsing --------------------------------------------------------------------------

    def _peek(self):
        return self._items[self._at] if self._at < len(self._items) else (None, None)

    def _take(self, kind: str):
        got = self._peek()
        if got[0] != kind:
            raise ValueError(f"expected {kind}, found {got[1]!r}")
        self._at += 1
        return got[1]

    def _or(self, cols):
        items = [self._and(cols)]
        while self._peek() == ("word", "OR"):
            self._at += 1
            items.append(self._and(cols))
        return items[0] if len(items) == 1 else ("or", items)

    def _and(self, cols):
        items = [self._unary(cols)]
        while self._peek() == ("word", "AND"):
            self._at += 1
            items.append(self._unary(cols))
        return items[0] if len(items) == 1 else ("and", items)

    def _unary(self, cols):
        kind, value = self._peek()
        if kind == "{" or (kind == "word" and value not in ("AND", "OR", "NOT")):
            cols = self._colset(cols)
            kind, value = self._peek()
        if kind == "(":
            self._at += 1
            node = self._or(cols)
            self._take(")")
            return node
        if kind == "string":
            self._at += 1
            prefix = self._peek()[0] == "*"
            if prefix:
                self._at += 1
            self.phrases.append(Phrase(value.split(), prefix, cols))
            return ("phrase", len(self.phrases) - 1)
        raise ValueError(f"unexpected {value!r} in a full-text query")

    def _colset(self, cols):
        if self._peek()[0] == "{":
            self._at += 1
            names = []
            while self._peek()[0] == "word":
                names.append(self._take("word"))
            self._take("}")
        else:
            names = [self._take("word")]
        self._take(":")
        try:
            chosen = {self.columns.index(n) for n in names}
        except ValueError:
            raise ValueError(f"no column {names} in {self.table}") from None
        return tuple(c for c in cols if c in chosen)

    # --- SQL ------------------------------------------------------------------------------

    def exact(self) -> bool:
        """Whether the tsquery alone decides a match (no phrase of several tokens)."""
        return all(len(p.tokens) == 1 for p in self.phrases)

    def tsquery(self, node=None) -> str:
        """The GIN part: a tsquery that every matching row satisfies (and, when exact(),
        only those)."""
        node = self.tree if node is None else node
        if node[0] == "phrase":
            return _phrase_tsquery(self.phrases[node[1]], len(self.columns))
        glue = " & " if node[0] == "and" else " | "
        return "(" + glue.join(self.tsquery(n) for n in node[1]) + ")"

    def condition(self, node=None) -> tuple[str, list]:
        """SQL true for the rows that match, over the hits columns (see hits)."""
        node = self.tree if node is None else node
        if node[0] == "phrase":
            return f"h.p{node[1]} > 0", []
        parts = [self.condition(n)[0] for n in node[1]]
        glue = " AND " if node[0] == "and" else " OR "
        return "(" + glue.join(parts) + ")", []


def _lex(match: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(match)
    while i < n:
        ch = match[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            j, text = i + 1, []
            while True:
                end = match.index('"', j)
                text.append(match[j:end])
                if match.startswith('""', end):
                    text.append('"')
                    j = end + 2
                    continue
                break
            out.append(("string", "".join(text)))
            i = end + 1
        elif ch in "(){}:*":
            out.append((ch, ch))
            i += 1
        else:
            j = i
            while j < n and not match[j].isspace() and match[j] not in '(){}:*"':
                j += 1
            out.append(("word", match[i:j]))
            i = j
    return out


def _prune(node, phrases):
    """The tree without phrases that match nothing (no tokens, no columns); None if it
    matches nothing at all."""
    if node[0] == "phrase":
        p = phrases[node[1]]
        return node if p.tokens and p.cols else None
    kept = [_prune(n, phrases) for n in node[1]]
    if node[0] == "and":
        return None if any(k is None for k in kept) else node[:1] + (kept,)
    kept = [k for k in kept if k is not None]
    return None if not kept else kept[0] if len(kept) == 1 else ("or", kept)


def _lexeme(token: str) -> str:
    return "'" + fold(token).replace("\\", "\\\\").replace("'", "''") + "'"


def _phrase_tsquery(phrase: Phrase, ncols: int) -> str:
    weights = "" if len(phrase.cols) == ncols else "".join("ABCD"[c] for c in phrase.cols)
    last = len(phrase.tokens) - 1
    parts = [_lexeme(t) + (":*" if phrase.prefix and i == last else ":" if weights else "")
             + weights for i, t in enumerate(phrase.tokens)]
    return "(" + " & ".join(parts) + ")" if len(parts) > 1 else parts[0]


def _arrays(q: Query, alias: str, cols: set[int]) -> str:
    """A LATERAL of the row's tokens, one array per column used."""
    names = ", ".join(f"deskcli_tokens({alias}.{q.columns[c]}) AS a{c}" for c in sorted(cols))
    return f" CROSS JOIN LATERAL (SELECT {names}) s"


def _hits_lateral(q: Query, which: list[int]) -> tuple[str, list, set[int]]:
    """A LATERAL h of c<i>_<col> (how many times phrase i occurs in column col: FTS5's
    instances) and p<i> (in all its columns), for the phrases `which`; its parameters and
    the columns it reads. Each column's tokens are read once, every phrase counted there
    by a FILTER (a phrase of several tokens looks at the tokens after its first)."""
    per_col: dict[int, list[tuple[int, str, list]]] = {}
    for i in which:
        phrase = q.phrases[i]
        last = len(phrase.tokens) - 1
        for c in phrase.cols:
            a = f"s.a{c}"
            conds = ["starts_with(x, ?)" if phrase.prefix and not last else "x = ?"]
            for k in range(1, last + 1):
                conds.append(f"starts_with({a}[p + {k}], ?)" if phrase.prefix and k == last
                             else f"{a}[p + {k}] = ?")
            tokens = [fold(t) for t in phrase.tokens]
            per_col.setdefault(c, []).append((i, " AND ".join(conds), tokens))
    sql, params, names = "", [], []
    for c, counts in sorted(per_col.items()):
        sql += (" CROSS JOIN LATERAL (SELECT " + ", ".join(
            f"count(*) FILTER (WHERE {cond}) AS c{i}_{c}" for i, cond, _t in counts)
            + f" FROM unnest(s.a{c}) WITH ORDINALITY u(x, p)) h{c}")
        for i, _cond, tokens in counts:
            params += tokens
            names.append((i, c))
    outer = [f"h{c}.c{i}_{c}::float8 AS c{i}_{c}" for i, c in names]
    for i in which:
        outer.append(" + ".join(f"h{c}.c{i}_{c}" for c in q.phrases[i].cols) + f" AS p{i}")
    return sql + f" CROSS JOIN LATERAL (SELECT {', '.join(outer)}) h", params, set(per_col)


_fold: dict | None = None
_foldable = None  # search.sql's test for a text that has something to fold


def fold(token: str) -> str:
    """A token as FTS5's tokenizer folds it: deskcli_fold of search.sql, in Python (its
    translation table is read from there). A text without a character below U+3000 to
    fold (ASCII, or CJK and its punctuation) is left as it is without the translation."""
    global _fold, _foldable
    if token.isascii() or (_foldable is not None and not _foldable(token)):
        return token
    if _fold is None:
        import re
        from pathlib import Path

        _foldable = re.compile("[\u0080-\u2fff]").search

        sql = Path(__file__).with_name("search.sql").read_text(encoding="utf-8")
        source, target = re.search(r"translate\(t,\s*'([^']*)',\s*'([^']*)'\)", sql).groups()
        _fold = str.maketrans(source, target)
    return token.translate(_fold)


def _matching(q: Query, alias: str) -> tuple[str, list]:
    """FROM-and-WHERE over `alias` for the rows that match. A phrase of one token is
    decided by the tsquery; one of several tokens reads its columns' tokens only for the
    rows where the cheaper tests left the answer open (OR stops at the first true term):
    `ticket list --search 登录` at 1M, 10.6 ms -> 1.6 ms a page of 500."""
    table = q.table
    source = f"{table} {alias}" if alias != table else table
    where = f" FROM {source} WHERE {alias}.terms @@ ?::tsquery"
    if q.exact():
        return where, [q.tsquery()]
    cond, params = _phrase_condition(q, alias, q.tree)
    return f"{where} AND {cond}", [q.tsquery(), *params]


def _phrase_condition(q: Query, alias: str, node) -> tuple[str, list]:
    """SQL true for the rows of `alias` where the node of q's tree matches."""
    if node[0] != "phrase":
        parts = [_phrase_condition(q, alias, n) for n in node[1]]
        glue = " AND " if node[0] == "and" else " OR "
        return ("(" + glue.join(sql for sql, _ in parts) + ")",
                [p for _, params in parts for p in params])
    phrase = q.phrases[node[1]]
    test = f"{alias}.terms @@ ?::tsquery"
    params = [_phrase_tsquery(phrase, len(q.columns))]
    if len(phrase.tokens) == 1:
        return test, params
    last = len(phrase.tokens) - 1
    tokens = [fold(t) for t in phrase.tokens]
    found = []
    for c in phrase.cols:
        conds = ["x = ?"] + [f"starts_with(s.a[p + {k}], ?)" if phrase.prefix and k == last
                             else f"s.a[p + {k}] = ?" for k in range(1, last + 1)]
        found.append(f"EXISTS (SELECT 1 FROM (SELECT deskcli_tokens({alias}.{q.columns[c]}) "
                     f"AS a) s, unnest(s.a) WITH ORDINALITY u(x, p) "
                     f"WHERE {' AND '.join(conds)})")
        params += tokens
    return f"({test} AND ({' OR '.join(found)}))", params


def rowids(table: str, match: str) -> tuple[str, list]:
    """A SELECT of the rowids that match (the subquery `SELECT rowid FROM t WHERE t MATCH
    ?` of SQLite), and its parameters."""
    q = Query(table, match)
    if q.tree is None:
        return f"SELECT rowid FROM {table} WHERE false", []
    body, params = _matching(q, table)
    return f"SELECT {table}.rowid" + body, params


def count_capped(db, table: str, match: str, cap: int) -> int:
    sql, params = rowids(table, match)
    return db.scalar(f"SELECT count(*) FROM ({sql} LIMIT ?) m", (*params, cap))


def counts_capped(db, table: str, matches: list[str], cap: int) -> dict[str, int]:
    selects, params = [], []
    for match in matches:
        sql, more = rowids(table, match)
        selects.append(f"(SELECT count(*) FROM ({sql} LIMIT ?) m)")
        params += [*more, cap]
    row = db.one("SELECT " + ", ".join(selects), params)
    return dict(zip(matches, row, strict=True))


def _idf(q: Query, i: int) -> tuple[str, list]:
    """SQL: FTS5's IDF of phrase i, log((N - n + 0.5) / (n + 0.5)) for the n rows it
    matches (in its columns), or 1e-6 when that is not positive."""
    sub = Query.__new__(Query)
    sub.table, sub.columns, sub.phrases, sub.tree = q.table, q.columns, [q.phrases[i]], \
        ("phrase", 0)
    body, params = _matching(sub, "g")
    return (f"(SELECT CASE WHEN v > 0 THEN v ELSE 1e-6::float8 END FROM "
            f"(SELECT ln((st.n - c + 0.5::float8) / (c + 0.5::float8)) AS v FROM "
            f"(SELECT count(*)::float8 AS c{body}) k) v)", params)


def top(db, table: str, match: str, limit: int, *, order: str, weights=(),
        where: list[str] = (), params: list = ()) -> list[tuple[int, float | None]]:
    """(rowid, bm25 score or None) of the best rows for `match`: ORDER BY bm25 with the
    column `weights` (order 'bm25'), or the newest first ('newest'); `where` are extra
    conditions on `{table}.rowid`."""
    q = Query(table, match)
    if q.tree is None:
        return []
    extra = "".join(f" AND {w}" for w in where)
    if order != "bm25":
        body, more = _matching(q, table)
        rows = db.all(f"SELECT {table}.rowid, NULL{body}{extra} ORDER BY {table}.rowid DESC "
                      "LIMIT ?", (*more, *params, limit))
        return [(r[0], None) for r in rows]
    which = list(range(len(q.phrases)))
    idfs, idf_params = [], []
    for i in which:
        sql, more = _idf(q, i)
        idfs.append(f"{sql} AS i{i}")
        idf_params += more
    hits, hit_params, cols = _hits_lateral(q, which)
    terms = []
    for i in which:
        f = " + ".join(f"{_weight(weights, c)} * h.c{i}_{c}" for c in q.phrases[i].cols)
        terms.append(f"(CASE WHEN h.p{i} > 0 THEN d.i{i} * ((({f}) * {K1 + 1.0!r}::float8) / "
                     f"(({f}) + {K1!r}::float8 * (1 - {B!r}::float8 + {B!r}::float8 * "
                     f"{table}.size / st.avgdl))) ELSE 0::float8 END)")
    cond, _ = q.condition()
    # d MATERIALIZED: the IDFs once, as a row; inlined, their subqueries were planned into
    # every score's expression: a paraphrase with synonyms (19 phrases) took 23 ms, most
    # of it planning, against 14 ms
    sql = (f"WITH st AS (SELECT rows::float8 AS n, CASE WHEN rows > 0 THEN tokens::float8 / "
           f"rows ELSE 1 END AS avgdl FROM fts_stats WHERE name = '{table}'), "
           f"d AS MATERIALIZED (SELECT {', '.join(idfs)} FROM st) "
           f"SELECT {table}.rowid, -1.0::float8 * ({' + '.join(terms)}) AS score "
           f"FROM {table} CROSS JOIN st CROSS JOIN d{_arrays(q, table, cols)}{hits} "
           f"WHERE {table}.terms @@ ?::tsquery AND {cond}{extra} "
           "ORDER BY score, 1 LIMIT ?")
    rows = db.all(sql, (*idf_params, *hit_params, q.tsquery(), *params, limit))
    return [(r[0], r[1]) for r in rows]


def _weight(weights, col: int) -> str:
    return f"{float(weights[col]) if col < len(weights) else 1.0!r}::float8"


def delete_all(db, table: str) -> None:
    """FTS5's 'delete-all': empty the table, its counts from zero again."""
    db.run(f"DELETE FROM {table}")
    db.run("UPDATE fts_stats SET rows = 0, tokens = 0 WHERE name = ?", (table,))


def check(db) -> list[str]:
    """What FTS5's integrity-check finds, on this twin: rows whose terms and size are
    not those of their tokens, and row and token counts (fts_stats) that are not the
    tables' own."""
    problems = []
    for table, columns in COLUMNS.items():
        cols = ", ".join(columns)
        bad = db.scalar(f"SELECT count(*) FROM {table} WHERE terms <> deskcli_terms(ARRAY[{cols}])"
                        f" OR size <> (SELECT coalesce(sum(cardinality(deskcli_tokens(c))), 0) "
                        f"FROM unnest(ARRAY[{cols}]) c)")
        if bad:
            problems.append(f"full-text index: {bad} rows of {table} do not match their text; "
                            "run `deskcli db reindex`")
        row = db.one(f"SELECT (SELECT count(*) FROM {table}), (SELECT coalesce(sum(size), 0) "
                     f"FROM {table}), rows, tokens FROM fts_stats WHERE name = ?", (table,))
        if row is None or (row[0], row[1]) != (row[2], row[3]):
            problems.append(f"full-text index: the counts of {table} are wrong; "
                            "run `deskcli db reindex`")
    return problems
