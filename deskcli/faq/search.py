"""Use cases for finding answers (SPEC §7): FAQ search, keyword completion, similar solved
tickets, recommendations that learn from `ticket reply --faq`, and the gaps in the FAQ.

Ranked search follows one recipe for the FAQ and for tickets (bench/faq/relevance.py
``rank()`` was its reference; deskcli.search.queries.common_terms explains why):

1. On a small table, each Chinese character of the query is also a prefix query.
2. Count the rows each phrase matches, capped at BUDGET + 1 (cheap: no positions are
   read), and leave out the most common phrases so that about BUDGET rows are read and
   scored.
3. Rank by bm25 the rows that match in the first columns (question and keywords; a
   ticket's title); fill up with rows that match anywhere.
4. If even the rarest phrase matches more than BUDGET rows, no bm25 ranking is cheap:
   the FAQ lists the newest entries with the rarest phrase; tickets (where this is the
   usual case on a large desk) score a small pool of the newest matches in Python
   (see _pooled).

This module is on the path of `faq search` and `faq suggest`, whose whole-command time
is a target: it imports nothing beyond the search core and the store.
"""

from deskcli.desk import Desk
from deskcli.errors import Invalid
from deskcli.policy import require
from deskcli.search import queries
from deskcli.search import tokens as search
from deskcli.store import Store
from deskcli.store import faq as fs

SOLVED = ("resolved", "closed")
BUDGET = 1000
"""Rows a ranked search may score (deskcli.search.queries.common_terms). Lower than
queries.RANK_BUDGET (1,500): on 100,000 FAQ entries it makes `faq search` about 20 % faster
(p95 5.7 against 7.0 ms in-process), which the whole command needs to stay within 4x of a
bare Python start; the quality estimate of relevance.py (--budget scaled to the labelled
set, 2-4 rows of 235) moves from hit@3 0.86 to 0.84. Tables smaller than this are ranked
whole, so the labelled set's figures do not change."""
TICKET_WEIGHTS = (3.0, 1.0)
"""bm25 weights of ticket_fts (title, body): the title says what the ticket is about."""
QUERY_CHARS = 200
"""Characters of a ticket's title and body used to find what is similar to it: enough for
its topic, and a long body does not turn into hundreds of phrases to count."""
TICKET_TERMS = 12
"""At most this many phrases (the first: the title's) of a ticket's text are counted and
ranked; each costs a capped count on every searched table, and a body's later phrases
are mostly bigrams across word boundaries (长说, 后仍) that bm25 then has to score."""
SUGGEST_SPAN = 24
"""`faq suggest` completes the end of what was typed, up to this many characters back."""


# --- the ranking recipe ---------------------------------------------------------------------

def ranked(db: Store, kind: str, text: str, limit: int, *, budget: int = BUDGET,
           chars: bool | None = None, max_terms: int | None = None, extra: list[str] = (),
           own: bool = True, **filters) -> list[tuple[int, float | None]]:
    """(id, score or None) of the best `limit` rows of the FAQ (`kind` 'faq') or of
    tickets ('tickets') for `text`, best first, using its first `max_terms` phrases and
    the `extra` ones (synonym groups, deskcli.faq.words.expand; without `own`, only
    those). `filters` go to store.faq.top_faq or top_tickets."""
    size = fs.size(db, kind)
    if chars is None:  # characters as prefix queries only on small tables
        chars = size <= queries.CHARS_MAX_ROWS
    phrases = queries.rank_terms(text, chars)[:max_terms] if own else []
    phrases += [p for p in extra if p not in phrases]
    if not phrases:
        return []
    top = fs.top_faq if kind == "faq" else fs.top_tickets
    weights = search.FAQ_WEIGHTS if kind == "faq" else TICKET_WEIGHTS
    found: list[tuple[int, str]] = []
    skip: set[str] = set()
    match, order = " OR ".join(phrases), "bm25"
    if size > budget:  # a smaller table is ranked whole: counting would leave nothing out
        counts = fs.counts_capped(db, kind, phrases, budget + 1)
        found = sorted((count, phrase) for phrase, count in counts.items() if count)
        if not found:
            return []
        if found[0][0] > budget and kind == "tickets":
            return _pooled(db, found, found, size, limit, **filters)
        if found[0][0] > budget:
            # Even the rarest phrase is too common for bm25: newest first, on it alone.
            match, order = found[0][1], "newest"
        else:
            skip = queries.common_terms(counts, budget)  # rank_query, on the phrases kept
            match = " OR ".join(p for p in phrases if p not in skip)
    hits: dict[int, float | None] = {}
    for first in (True, False):
        for row_id, score in top(db, match, limit + len(hits), order=order, weights=weights,
                                 first=first, **filters):
            hits.setdefault(row_id, score)
        if len(hits) >= limit:
            break
    if len(hits) < limit and kind == "tickets" and order == "bm25" and skip:
        # The filters (solved tickets) left too few of the rare phrases' rows: fill up
        # from the common phrases that were left out.
        seeds = [(c, p) for c, p in found if p in skip]
        for row_id, score in _pooled(db, seeds, found, size, limit, **filters):
            if len(hits) < limit:
                hits.setdefault(row_id, score)
    return list(hits.items())[:limit]


POOL = 50
"""Newest rows read for each of the rarest phrases when every phrase of a ticket is too
common for bm25 (see _pooled)."""


def _pooled(db: Store, seeds: list[tuple[int, str]], found: list[tuple[int, str]], size: int,
            limit: int, **filters) -> list[tuple[int, float | None]]:
    """Similar tickets when every phrase is common (a million tickets: 登录, 退款, 校区
    ... each in thousands). bm25 would read every posting list whole, and an FTS5 AND of
    common phrases that rarely meet reads them whole too (20 ms and more). Instead: the
    newest POOL rows of each of the three rarest `seeds` (cheap: no positions, no
    scores), scored in Python by the phrases of `found` they contain, each weighted by its
    rarity (an IDF from the capped counts) and by the column (TICKET_WEIGHTS); newest
    first on ties. `seeds` and `found` are (count, phrase), rarest first."""
    pool: dict[int, None] = {}
    for _count, phrase in seeds[:3]:
        pool.update((i, None) for i, _ in fs.top_tickets(db, phrase, POOL, order="newest",
                                                         **filters))
    if not pool:
        return []
    import math

    # each phrase: the strings that show it in a column's tokens (padded with spaces)
    needles = [([f" {tokens}" if prefix else f" {tokens} "
                 for tokens, prefix in _alternatives(phrase)],
                math.log(1 + (size - count + 0.5) / (count + 0.5))) for count, phrase in found]
    title_weight, body_weight = TICKET_WEIGHTS
    scored = []
    for row_id, (title, body) in fs.ticket_tokens(db, list(pool)).items():
        title, body = f" {title} ", f" {body} "
        score = 0.0
        for options, idf in needles:
            if any(n in title for n in options):
                score += title_weight * idf
            elif any(n in body for n in options):
                score += body_weight * idf
        scored.append((-score, -row_id))
    scored.sort()
    return [(-neg_id, -neg) for neg, neg_id in scored[:limit]]


def _alternatives(phrase: str) -> list[tuple[str, bool]]:
    """The alternatives of one rank_terms phrase ("a b", ("x" OR "y"), "c"*) as
    (space-joined tokens, is a prefix)."""
    out, i = [], 0
    while (start := phrase.find('"', i)) >= 0:
        end = start + 1
        while True:
            end = phrase.index('"', end)
            if phrase.startswith('""', end):
                end += 2
                continue
            break
        tokens = phrase[start + 1:end].replace('""', '"')
        prefix = phrase.startswith("*", end + 1)
        out.append((tokens, prefix))
        i = end + 1 + prefix
    return out


# --- faq search -----------------------------------------------------------------------------

def faq_search(desk: Desk, text: str, *, category: str | None = None,
               type_key: str | None = None, limit: int = 10,
               mark: tuple[str, str] = ("[", "]"), explain: bool = False) -> list[dict]:
    """The entries that best answer `text`, best first, each with a snippet of its answer
    (matches wrapped in `mark`) and its question with matches marked. Filler is left out
    of `text`, the desk's synonyms are added, and without filters the words of solved
    tickets (deskcli.faq.words) reorder the hits; `explain` adds `why` to each."""
    _ready_to_search(desk, text)
    from deskcli.faq import words as faq_words
    from deskcli.faq.synonyms import strip_filler
    from deskcli.search.snippets import snippet

    db = desk.store
    query = strip_filler(text)
    with db.read():
        filters: dict = {}
        if category:
            from deskcli.faq.categories import category_ids

            filters["category_ids"] = category_ids(db, category)
        if type_key:
            filters["type_id"] = _type_id(db, type_key)
        expansion = faq_words.expand(db, query)
        hits = faq_words.with_synonyms(ranked, db, query, expansion, max(limit, 20),
                                       **filters)
        taught = [] if filters else faq_words.learned(
            db, queries.rank_terms(query) + expansion.terms)
        hits = faq_words.fuse(hits, taught, limit)
        rows = fs.by_ids(db, [i for i, _ in hits])
        words = fs.keywords(db, list(rows))
        out = []
        for rank, (faq_id, score) in enumerate(hits, start=1):
            r = rows[faq_id]
            out.append({
                "rank": rank, "key": r["key"], "id": faq_id, "category": r["category"],
                "question": r["question"], "keywords": words[faq_id],
                "score": None if score is None else round(-score, 3),
                "snippet": snippet(r["answer"], text, 80, mark),
                "question_marked": snippet(r["question"], text, 500, mark)})
        if explain:
            from deskcli.faq.explain import add_why

            add_why(db, out, query, expansion, taught)
        return out


def _ready_to_search(desk: Desk, text: str) -> None:
    """Refuse a reader without faq.view or a text with nothing to search for; bring the
    index up to date."""
    require(desk.actor, "faq.view", "read the FAQ")
    if not queries.rank_terms(text):
        raise Invalid(f"nothing to search for in {text!r}", "give a word or two, e.g. 登录")
    _ensure_index(desk)


def _ensure_index(desk: Desk) -> None:
    """deskcli.faq.manage.ensure_index, without importing deskcli.faq.manage when (as nearly always)
    the index is current."""
    if fs.index_version(desk.store) != search.INDEX_VERSION:
        from deskcli.faq.manage import ensure_index

        ensure_index(desk)


def _type_id(db: Store, key: str) -> int:
    type_id = fs.type_id(db, key)
    if type_id is None:
        from deskcli.errors import NotFound

        raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
    return type_id


# --- faq suggest ----------------------------------------------------------------------------

def faq_suggest(desk: Desk, prefix: str, limit: int = 10) -> list[dict]:
    """Completions of what was typed (关键词联想): keywords and frequent question terms
    that start with its last word(s), most used first, the longest match first
    (学员登 → 学员登录 ... then 登录 ...)."""
    require(desk.actor, "faq.view", "read the FAQ")
    text = search.normalize(prefix)
    original = prefix if len(text) == len(prefix) else text
    found: dict[str, tuple[int, dict]] = {}
    with desk.store.read():
        for start in _starts(text):
            for row in fs.complete(desk.store, text[start:], limit):
                found.setdefault(row["term"], (start, row))
            if len(found) >= limit:
                break
    return [{"suggestion": original[:start] + row["term"], "term": row["term"],
             "keywords": row["keywords"], "questions": row["questions"]}
            for start, row in list(found.values())[:limit]]


def _starts(text: str) -> list[int]:
    """Where a completion may start: at word starts and at every CJK character within
    the last SUGGEST_SPAN characters, the earliest (longest match) first."""
    if not text.strip():
        return []
    first = max(0, len(text) - SUGGEST_SPAN)
    starts = []
    for i in range(first, len(text)):
        ch, before = text[i], text[i - 1] if i else " "
        if ch.isspace():
            continue
        if i == first or not before.isalnum() or _cjk(ch) or _cjk(before):
            starts.append(i)
    return starts


def _cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"


# --- similar tickets and recommendations ----------------------------------------------------

def similar_tickets(desk: Desk, text: str, limit: int, *, exclude: int | None = None) -> list:
    """Solved tickets like `text` that the actor may see, most similar first (Ticket
    objects with extra['faq'], the keys of the entries that answered them)."""
    actor = desk.actor
    if actor.is_client or not actor.can("ticket.view"):
        return []
    from deskcli.store import tickets as tstore
    db = desk.store
    hits = ranked(db, "tickets", text[:QUERY_CHARS], limit * 2, max_terms=TICKET_TERMS,
                  statuses=SOLVED, exclude=exclude)
    if not hits:
        return []
    order = {ticket_id: n for n, (ticket_id, _score) in enumerate(hits)}
    found: list = []
    ids = list(order)
    while ids and len(found) < limit:
        # The best first: most readers see them all, so the rest are never loaded. Only
        # what ticket_summary shows (no CC list or checklist).
        batch, ids = ids[:limit - len(found)], ids[limit - len(found):]
        found += tstore.query(db, tstore.TicketQuery(ids=batch, visible_to=desk.visibility(),
                                                     limit=None, details=False))
    found.sort(key=lambda t: order[t.id])
    answers = fs.answers_for_tickets(db, [t.id for t in found])
    keys = fs.by_ids(db, sorted({f for ids in answers.values() for f in ids}))
    for t in found:
        t.extra["faq"] = [keys[f]["key"] for f in answers.get(t.id, ()) if f in keys]
        t.extra["faq_ids"] = answers.get(t.id, [])
    return found


def ticket_summary(t) -> dict:
    """How a similar ticket was resolved, for suggestions and `ticket related`."""
    return {"id": t.id, "title": t.title, "type": t.type, "status": t.status,
            "customer": t.customer, "owner": t.owner, "resolved_at": t.resolved_at,
            "closed_at": t.closed_at, "resolution": t.resolution,
            "faq": t.extra.get("faq", [])}


def recommend_in(desk: Desk, text: str, *, customer_id: int | None = None,
                 type_id: int | None = None, limit: int = 5, tickets: int = 5,
                 exclude: int | None = None, similar=None, explain: bool = False) -> dict:
    """Inside a read transaction: {'faq': [...], 'tickets': [...]} for `text`.

    FAQ entries are scored by their text rank (1, 1/2, 1/3 ...), plus what solved similar
    tickets (0.8 for each similar ticket an entry answered, weighted by that ticket's
    rank), plus the customer's own history (0.3 when the entry answered the customer
    before) and the ticket type (0.25 when tied to it; -0.3 when tied to other types
    only). Each entry says why (`reasons`)."""
    actor = desk.actor
    db = desk.store
    if similar is None:
        similar = similar_tickets(desk, text, max(tickets, 8), exclude=exclude)
    entries: list[dict] = []
    if actor.can("faq.view"):
        entries = _score_faq(db, text, similar, customer_id, type_id, limit, explain)
    return {"faq": entries, "tickets": [ticket_summary(t) for t in similar[:tickets]]}


def _score_faq(db: Store, text: str, similar: list, customer_id: int | None,
               type_id: int | None, limit: int, explain: bool = False) -> list[dict]:
    from deskcli.faq import words as faq_words
    from deskcli.faq.synonyms import strip_filler

    scores: dict[int, float] = {}
    reasons: dict[int, list[str]] = {}
    query = strip_filler(text)[:QUERY_CHARS]
    expansion = faq_words.expand(db, query)
    hits = faq_words.with_synonyms(ranked, db, query, expansion, max(20, limit),
                                   max_terms=TICKET_TERMS)
    for n, (faq_id, _score) in enumerate(hits):
        scores[faq_id] = 1.0 / (1 + n)
        reasons[faq_id] = [f"text match #{n + 1}"]
    taught = faq_words.learned(db, queries.rank_terms(query)[:TICKET_TERMS] + expansion.terms)
    for n, (faq_id, _score) in enumerate(taught[:20]):
        scores[faq_id] = scores.get(faq_id, 0.0) + faq_words.LEARNED_WEIGHT / (1 + n)
        reasons.setdefault(faq_id, []).append(f"words of tickets it solved #{n + 1}")
    for n, t in enumerate(similar):
        for faq_id in t.extra.get("faq_ids", ()):
            scores[faq_id] = scores.get(faq_id, 0.0) + 0.8 / (1 + n)
            reasons.setdefault(faq_id, []).append(f"answered similar #{t.id}")
    if not scores:
        return []
    if customer_id is not None:
        answered, _kinds = fs.customer_history(db, customer_id)
        for faq_id, times in answered.items():
            if faq_id in scores:
                scores[faq_id] += 0.3
                reasons[faq_id].append(f"answered this customer {times}x before")
    if type_id is not None:
        typed = fs.typed_ids(db, list(scores))
        for faq_id, type_ids in typed.items():
            if type_id in type_ids:
                scores[faq_id] += 0.25
                reasons[faq_id].append("for this ticket type")
            else:
                scores[faq_id] -= 0.3
    best = sorted(scores, key=lambda f: -scores[f])[:limit]
    rows = fs.by_ids(db, best)
    counts = fs.answered_counts(db, best)
    out = [{"key": rows[f]["key"], "id": f, "category": rows[f]["category"],
            "question": rows[f]["question"], "score": round(scores[f], 3),
            "answered": counts.get(f, 0), "reasons": reasons[f]} for f in best]
    if explain:
        from deskcli.faq.explain import add_why

        add_why(db, out, query, expansion, taught)
    return out


def faq_recommend(desk: Desk, text: str, *, customer: str | None = None,
                  type_key: str | None = None, limit: int = 5,
                  explain: bool = False) -> dict:
    """FAQ entries for a customer's question, ranked by text, by what solved similar
    tickets, and by the customer's own history; with the similar solved tickets."""
    _ready_to_search(desk, text)
    db = desk.store
    with db.read():
        customer_id = _customer_id(db, customer) if customer else None
        type_id = _type_id(db, type_key) if type_key else None
        return recommend_in(desk, text, customer_id=customer_id, type_id=type_id,
                            limit=limit, tickets=limit, explain=explain)


def _customer_id(db: Store, key: str) -> int:
    from deskcli.errors import NotFound
    from deskcli.store import people as ps

    row = ps.customer_by_key(db, key)
    if row is None:
        raise NotFound(f"no customer {key!r}", "see `deskcli customer list`")
    return row["id"]


def for_ticket(desk: Desk, ticket, limit: int = 3) -> dict:
    """What `ticket open` suggests for a new ticket: up to `limit` FAQ entries and
    similar solved tickets. Runs in its own read transaction after the open committed."""
    db = desk.store
    text = f"{ticket.title}\n{ticket.body or ''}"
    if not queries.rank_terms(text):
        return {"faq": [], "tickets": []}
    with db.read():
        if fs.index_version(db) != search.INDEX_VERSION:
            return {"faq": [], "tickets": []}  # re-indexed by the next FAQ command
        customer_id = _customer_id(db, ticket.customer) if ticket.customer else None
        type_id = _type_id(db, ticket.type)
        return recommend_in(desk, text, customer_id=customer_id, type_id=type_id,
                            limit=limit, tickets=limit, exclude=ticket.id)


def related(desk: Desk, ticket_id: int, limit: int = 5) -> dict:
    """For `ticket related`: the FAQ entries that answered the ticket or may answer it,
    and similar solved tickets with how they were resolved."""
    from deskcli.tickets.opening import visible_ticket

    require(desk.actor, "ticket.view", "see tickets")
    _ensure_index(desk)
    db = desk.store
    with db.read():
        ticket = visible_ticket(desk, ticket_id)
        text = f"{ticket.title}\n{ticket.body or ''}"
        customer_id = _customer_id(db, ticket.customer) if ticket.customer else None
        result = recommend_in(desk, text, customer_id=customer_id,
                              type_id=_type_id(db, ticket.type), limit=limit, tickets=limit,
                              exclude=ticket.id)
        linked = fs.answers_for_tickets(db, [ticket.id]).get(ticket.id, [])
        if linked and desk.actor.can("faq.view"):
            rows = fs.by_ids(db, linked)
            cited = [{"key": rows[f]["key"], "id": f, "category": rows[f]["category"],
                      "question": rows[f]["question"], "score": None,
                      "answered": None, "reasons": ["answered this ticket"]} for f in linked]
            rest = [e for e in result["faq"] if e["id"] not in set(linked)]
            result["faq"] = (cited + rest)[:max(limit, len(cited))]
        result["ticket"] = {"id": ticket.id, "title": ticket.title, "status": ticket.status}
        return result


# --- gaps -----------------------------------------------------------------------------------

def faq_gaps(desk: Desk, *, since: str = "30d", limit: int = 20, min_tickets: int = 2,
             sample: int = 20_000, examples: int = 3) -> dict:
    """The topics recent tickets ask about most that no FAQ entry answers well: no entry
    has the topic in its question or keywords. Topics are the terms of ticket titles
    (queries.topics); tickets an FAQ answered (ticket reply --faq) do not count. At most
    the newest `sample` tickets since `since` are read."""
    actor = desk.actor
    require(actor, "faq.view", "read the FAQ")
    require(actor, "ticket.view", "see tickets")
    if actor.is_client:
        from deskcli.errors import NotPermitted

        raise NotPermitted("access clients may not see the FAQ gaps",
                           "run it as a staff user (--as LOGIN)")
    _ensure_index(desk)
    db = desk.store
    since_stamp = desk.when(since)
    with db.read():
        total = fs.count_recent(db, since_stamp)
        rows = fs.recent_tickets(db, since_stamp, sample)
        answered = fs.answered_among(db, [r[0] for r in rows])
        titles = dict(rows)
        topics: dict[str, list[int]] = {}
        for ticket_id, title in rows:
            if ticket_id in answered:
                continue
            for term in queries.topics(title):
                topics.setdefault(term, []).append(ticket_id)
        ordered = sorted(topics.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        gaps = []
        for term, ids in ordered:
            if len(ids) < min_tickets or len(gaps) >= limit:
                break
            match = queries.filter_query(term)
            if match is None or fs.count_in_questions(db, match, 1):
                continue  # an entry has it in its question or keywords
            gaps.append({"topic": term, "tickets": len(ids),
                         "share": round(len(ids) / max(1, len(rows) - len(answered)), 3),
                         "faq_mentions": fs.count_capped(db, "faq", match, 100),
                         "examples": [{"id": i, "title": titles[i]} for i in ids[:examples]]})
        return {"since": since_stamp, "tickets": total, "read": len(rows),
                "answered_by_faq": len(answered), "gaps": gaps}
