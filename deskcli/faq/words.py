"""Use cases for the words FAQ search is given and learns: synonym groups (`faq synonym
add|list|remove|import|export|glossary`, applied to every query, see deskcli.faq.synonyms),
the shipped starter glossary, and the words of the tickets each entry solved (learned
when `ticket reply --faq` cites an entry).

The query side (expand, filter_match, learned) runs inside the caller's read transaction:
the pieces of the query that could be a synonym (runs of English stems, pieces of 2-8
Chinese characters) are looked up in an index of the words' forms, about a millisecond
for a sentence.
"""

from deskcli.clock import stamp
from deskcli.desk import Desk
from deskcli.errors import Invalid, NotFound
from deskcli.faq import synonyms
from deskcli.policy import require
from deskcli.search import queries
from deskcli.search import tokens as search
from deskcli.store import Store
from deskcli.store import faq_words as ws

GLOSSARY = "glossary/synonyms.txt"
"""The shipped starter glossary (a resource, see deskcli.resources)."""
LEARNED_BUDGET = 1000
"""Learned rows a search may score, as deskcli.faq.search.BUDGET for entries."""
LEARNED_WEIGHT = 0.8
"""What the best match among an entry's solved tickets adds to its score, against 1 for
the best text match (1/2, 1/3 ... for the next; the weight `faq recommend` gives an
entry that answered the most similar ticket): learned words lift an entry that past
tickets phrased like the question above the text's second answer, not above its first."""
LEARN_CHARS = 200
"""Characters of a solved ticket's title and body that are learned."""


# --- keeping synonyms -----------------------------------------------------------------------

def _rows(words: list[str], targets: list[str]) -> list[tuple[str, str, str | None, str]]:
    rows = []
    for side, group in (("from" if targets else "both", words), ("to", targets)):
        for word in group:
            folded = "".join(search.normalize(word).split())
            if not synonyms.form(word):
                raise Invalid(f"{word!r} has nothing to search for",
                              "use words with letters, digits or Chinese characters")
            if len(folded) == 1 and not folded.isascii():
                raise Invalid(f"{word!r} is a single character: it would match too much",
                              "use a word of two characters or more, e.g. 卡顿 not 卡")
            form = synonyms.form(word)
            if side != "to" and (len(form) > synonyms.MAX_CJK_FORM if not form.isascii()
                                 else len(form.split()) > synonyms.MAX_LATIN_FORM):
                raise Invalid(f"{word!r} is too long to look for in questions",
                              f"use at most {synonyms.MAX_CJK_FORM} Chinese characters or "
                              f"{synonyms.MAX_LATIN_FORM} English words (or put it after =>)")
            rows.append((word, form, synonyms.phrase(word), side))
    return rows


def synonym_add(desk: Desk, words: list[str], targets: list[str] | None = None, *,
                source: str = "desk") -> dict:
    """Add a group: two-way (every word finds the others), or one-way with `targets`
    (the words find the targets, not the reverse). Returns the group as listed."""
    require(desk.actor, "faq.manage", "change FAQ synonyms")
    words, targets = _clean(words), _clean(targets or [])
    if not targets and len(words) < 2:
        raise Invalid("a synonym group needs at least two words",
                      'deskcli faq synonym add 登录 登陆 "log in"')
    if targets and not words:
        raise Invalid("a one-way group needs words to expand", "deskcli faq synonym add "
                      "踢下线 --to 退出登录")
    with desk.store.write():
        group_id = ws.insert_group(desk.store, _rows(words, targets), source, stamp())
        return _listed(ws.groups(desk.store), group_id)


def _clean(words: list[str]) -> list[str]:
    return synonyms.split_words(",".join(words))


def _listed(groups: list[dict], group_id: int) -> dict:
    return next(_view(g) for g in groups if g["id"] == group_id)


def _view(group: dict) -> dict:
    words = [w for w, side in group["words"] if side != "to"]
    targets = [w for w, side in group["words"] if side == "to"]
    return {"id": group["id"], "words": words, "targets": targets,
            "two_way": not targets, "source": group["source"],
            "line": synonyms.format_group(words, targets), "created_at": group["created_at"]}


def synonym_list(desk: Desk, word: str | None = None, *, source: str | None = None) -> list:
    """Every group (or those with a word of the same form as `word`), in id order."""
    require(desk.actor, "faq.view", "read FAQ synonyms")
    with desk.store.read():
        found = [_view(g) for g in ws.groups(desk.store, source=source)]
        if word:
            ids = set(ws.groups_with_form(desk.store, synonyms.form(word)))
            found = [g for g in found if g["id"] in ids]
        return found


def synonym_remove(desk: Desk, refs: list[str], *, source: str | None = None) -> list[int]:
    """Remove groups by id, or every group with a word like a given word; with `source`
    and no refs, every group of that source ('glossary', 'desk'). Returns the ids."""
    require(desk.actor, "faq.manage", "change FAQ synonyms")
    db = desk.store
    with db.write():
        ids: list[int] = []
        if not refs and source:
            ids = [g["id"] for g in ws.groups(db, source=source)]
        for ref in refs:
            found = [int(ref)] if ref.isdigit() else ws.groups_with_form(db, synonyms.form(ref))
            if not found or (ref.isdigit() and not any(g["id"] == int(ref)
                                                       for g in ws.groups(db))):
                raise NotFound(f"no synonym group {ref!r}", "see `deskcli faq synonym list`")
            ids += found
        ids = sorted(set(ids))
        if ids:
            ws.delete_groups(db, ids)
        return ids


def parse_file(text: str) -> list[tuple[list[str], list[str]]]:
    """The groups of a synonyms file; Invalid names the first bad line."""
    groups = []
    for n, line in enumerate(text.splitlines(), start=1):
        try:
            group = synonyms.parse_line(line)
        except ValueError as e:
            raise Invalid(f"line {n}: {e}", "one group a line: a, b, c  or  a, b => c") from e
        if group:
            groups.append(group)
    return groups


def synonym_import(desk: Desk, text: str, *, source: str = "desk",
                   replace: bool = False) -> dict:
    """Add the groups of a synonyms file (groups already there are skipped); `replace`
    first removes the groups of the same source. Returns counts."""
    require(desk.actor, "faq.manage", "change FAQ synonyms")
    groups = parse_file(text)
    with desk.store.write():
        return import_groups(desk.store, groups, source=source, replace=replace)


def import_groups(db: Store, groups: list[tuple[list[str], list[str]]], *, source: str,
                  replace: bool = False) -> dict:
    """synonym_import's work, inside the caller's write transaction (also `init`)."""
    removed = 0
    if replace:
        old = [g["id"] for g in ws.groups(db, source=source)]
        removed = ws.delete_groups(db, old) if old else 0
    known = {_view(g)["line"] for g in ws.groups(db)}
    added = skipped = 0
    at = stamp()
    for words, targets in groups:
        line = synonyms.format_group(words, targets)
        if line in known:
            skipped += 1
            continue
        ws.insert_group(db, _checked_rows(words, targets), source, at)
        known.add(line)
        added += 1
    return {"added": added, "skipped": skipped, "removed": removed,
            "groups": ws.group_count(db)}


def _checked_rows(words: list[str], targets: list[str]):
    try:
        return _rows(words, targets)
    except Invalid as e:
        raise Invalid(f"in the group {synonyms.format_group(words, targets)!r}: {e.args[0]}",
                      "fix or remove that word and import again") from e


def synonym_export(desk: Desk, *, source: str | None = None) -> str:
    """The groups as a synonyms file (import gives them back)."""
    lines = [g["line"] for g in synonym_list(desk, source=source)]
    return "".join(f"{line}\n" for line in lines)


def glossary_text() -> str:
    from deskcli.resources import resource

    return resource(GLOSSARY).read_text(encoding="utf-8")


def load_glossary(desk: Desk, *, replace: bool = False) -> dict:
    """Add the shipped starter glossary (groups already there are skipped); `replace`
    first removes the glossary groups loaded before, edited or not."""
    return synonym_import(desk, glossary_text(), source="glossary", replace=replace)


def seed_glossary(db: Store) -> dict | None:
    """Load the glossary into a new desk, inside `init`'s write transaction (None when
    the desk's schema predates synonyms: a deskcli limited to older migrations)."""
    if not ws.has_synonyms(db):
        return None
    return import_groups(db, parse_file(glossary_text()), source="glossary")


# --- applying them to a query ---------------------------------------------------------------

class Expansion:
    """The synonym groups a query touches: `asked` (group id → the form asked),
    `words` (group id → [(word, phrase)] it may also mean) and `terms` (FTS5 terms)."""

    def __init__(self, asked: dict[int, str], words: dict[int, list[tuple[str, str]]]):
        self.asked = asked
        self.words = words
        self.shown: dict[int, str] = {}  # the asked word as the group writes it
        self.terms = synonyms.rank_groups({g: [p for _w, p in alts]
                                           for g, alts in words.items()})


def expand(db: Store, text: str) -> Expansion:
    """The synonym groups that `text` asks for (inside a read transaction)."""
    forms = ws.forms_asked(db, synonyms.Query(text).candidates())
    if not forms:
        return Expansion({}, {})
    asked = dict(synonyms.matched(forms))
    found = ws.alternatives(db, list(asked))
    words = {g: [(w, p) for w, p in alts if not synonyms.overlaps(synonyms.form(w), asked[g])]
             for g, alts in found.items()}
    expansion = Expansion(asked, words)
    expansion.shown = {g: next((w for w, _p in alts if synonyms.form(w) == asked[g]), asked[g])
                       for g, alts in found.items()}
    return expansion


SYNONYM_WEIGHT = 0.5
"""What a match through synonyms counts against a match of the asked words: entries in
the words (and language) of the question come first, synonyms find the rest."""
POOL = 20
SYNONYM_BUDGET = 300
"""Rows the ranking on synonyms may score (deskcli.faq.search.BUDGET is 1,000 for the
asked words): it is the second signal, and groups of common words (扣款, charge, 到期)
would otherwise double the cost of a search on a large FAQ."""
"""Entries each of the two rankings of with_synonyms reads."""


def with_synonyms(ranked, db: Store, query: str, expansion: Expansion, limit: int,
                  **options) -> list[tuple[int, float | None]]:
    """FAQ hits for `query`: deskcli.faq.search.ranked (passed in) on the asked words,
    and again on their synonyms alone, fused by bm25 score (the synonyms' weighed by
    SYNONYM_WEIGHT; by rank when a ranking had no scores). Without synonyms, the first."""
    own = ranked(db, "faq", query, max(limit, POOL), **options)
    if not expansion.terms:
        return own[:limit]
    other = ranked(db, "faq", query, max(limit, POOL), extra=expansion.terms, own=False,
                   budget=SYNONYM_BUDGET, **options)
    scored = all(s is not None for _i, s in own + other)
    scores: dict[int, float] = {}
    for weight, hits in ((1.0, own), (SYNONYM_WEIGHT, other)):
        for n, (faq_id, score) in enumerate(hits):
            value = -score if scored else 1.0 / (1 + n)
            scores[faq_id] = scores.get(faq_id, 0.0) + weight * value
    bm25 = dict(other) | dict(own)
    best = sorted(scores, key=lambda f: -scores[f])[:limit]
    return [(f, bm25[f] if scored else None) for f in best]


FILTER_GROUPS = 2
FILTER_ALTERNATIVES = 8
"""`ticket list --search` applies at most FILTER_GROUPS synonym groups (those of the
longest words asked), each with its first FILTER_ALTERNATIVES words: each group is an OR
that the full-text index must walk beside every other required word, and on a million
tickets a filter of four groups of ten words took 50-170 ms (one or two take 2-25 ms)."""


def filter_match(db: Store, text: str) -> str | None:
    """deskcli.search.queries.filter_query of `text` for `ticket list --search`, with synonyms:
    every term is required, and a word of a synonym group may be any word of it."""
    expansion = expand(db, text)
    found = [(asked, [p for _w, p in expansion.words.get(g, ())][:FILTER_ALTERNATIVES])
             for g, asked in list(expansion.asked.items())[:FILTER_GROUPS]]
    return synonyms.filter_query(text, found)


# --- learning from solved tickets -----------------------------------------------------------

def learn(db: Store, faq_id: int, ticket_id: int) -> None:
    """Learn the words of a ticket the entry solved (inside the reply's transaction)."""
    text = ws.ticket_text(db, ticket_id)
    if text is not None:
        title, body = text
        ws.learn(db, faq_id, ticket_id, search.index_text(f"{title}\n{body}"[:LEARN_CHARS]))


def learned(db: Store, phrases: list[str], limit: int = 50) -> list[tuple[int, float]]:
    """(entry id, score) of the entries whose solved tickets best match `phrases` (terms
    of deskcli.search.queries.rank_terms), best first; the most common phrases are left out as in
    deskcli.faq.search.ranked."""
    size = ws.learned_size(db)
    if not size or not phrases:
        return []
    if size > LEARNED_BUDGET:
        counts = {p: ws.count_learned(db, p, LEARNED_BUDGET + 1) for p in phrases}
        skip = queries.common_terms(counts, LEARNED_BUDGET)
        phrases = [p for p in phrases if counts[p] and p not in skip]
        if not phrases:
            return []
    return ws.top_learned(db, " OR ".join(phrases), limit)[:limit]


def fuse(text_hits: list[tuple[int, float | None]], learned_hits: list[tuple[int, float]],
         limit: int) -> list[tuple[int, float | None]]:
    """Text hits reordered by what solved tickets taught: 1, 1/2, 1/3 ... by text rank,
    plus LEARNED_WEIGHT, /2, /3 ... by learned rank. Without learned hits, unchanged."""
    if not learned_hits:
        return text_hits[:limit]
    scores: dict[int, float] = {}
    bm25 = dict(text_hits)
    for n, (faq_id, _score) in enumerate(text_hits):
        scores[faq_id] = 1.0 / (1 + n)
    for n, (faq_id, _score) in enumerate(learned_hits):
        scores[faq_id] = scores.get(faq_id, 0.0) + LEARNED_WEIGHT / (1 + n)
    best = sorted(scores, key=lambda f: -scores[f])[:limit]
    return [(f, bm25.get(f)) for f in best]
