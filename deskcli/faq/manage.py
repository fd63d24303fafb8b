"""Use cases for keeping the FAQ (SPEC §7): entries, import and export, and the
link "this FAQ answered this ticket" that `ticket reply --faq` records.

Every change to an entry updates its full-text row and its suggest terms in the same
transaction (see deskcli.store.faq), so search and `faq suggest` never need a rebuild.
Search, suggestions, recommendations and gaps are in deskcli.faq.search; categories in
deskcli.faq.categories.
"""

from deskcli import clock
from deskcli.desk import Desk
from deskcli.errors import Conflict, Invalid, NotFound
from deskcli.faq.categories import category_ids, category_path, find_category
from deskcli.plain import Record, new
from deskcli.policy import require
from deskcli.search import queries
from deskcli.search import tokens as search
from deskcli.store import Store
from deskcli.store import faq as fs

MAX_QUESTION = 500
MAX_KEY = 64
SEPARATORS = ",，、;；"


class Faq(Record):
    """One FAQ entry as the commands show it."""

    id: int
    key: str
    category: str | None
    question: str
    answer: str
    keywords: list[str] = new(list)
    types: list[str] = new(list)
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None
    updated_by: str | None = None
    extra: dict = new(dict)

    def to_dict(self) -> dict:
        data = {"id": self.id, "key": self.key, "category": self.category,
                "question": self.question, "answer": self.answer,
                "keywords": list(self.keywords), "types": list(self.types),
                "created_at": self.created_at, "updated_at": self.updated_at,
                "created_by": self.created_by, "updated_by": self.updated_by}
        data.update(self.extra)
        return data


class Changes(Record):
    """What `faq add` / `faq update` were given; None leaves a value as it is."""

    key: str | None = None
    category: str | None = None
    question: str | None = None
    answer: str | None = None
    keywords: list[str] | None = None
    types: list[str] | None = None


# --- small parsers --------------------------------------------------------------------------

def split_keywords(values) -> list[str]:
    """Keywords from `k1,k2` strings (also ， 、 ; as separators), in order, once each."""
    if isinstance(values, str):
        values = [values]
    found: dict[str, str] = {}
    for value in values or ():
        text = str(value)
        for sep in SEPARATORS[1:]:
            text = text.replace(sep, ",")
        for word in text.split(","):
            word = " ".join(word.split())
            if word and search.normalize(word) not in found:
                found[search.normalize(word)] = word
    return list(found.values())


def check_key(key: str) -> str:
    key = (key or "").strip()
    ok = 0 < len(key) <= MAX_KEY and all(ch.isascii() and (ch.isalnum() or ch in "._-")
                                         for ch in key)
    if not ok:
        raise Invalid(f"{key!r} is not a valid FAQ key",
                      f"use letters, digits and . _ - (up to {MAX_KEY} characters), "
                      "e.g. login-wechat")
    return key


# --- indexing -------------------------------------------------------------------------------

def _tokens(question: str, keywords: list[str], answer: str) -> tuple[str, str, str]:
    return (search.index_text(question), search.index_text(", ".join(keywords)),
            search.index_text(answer))


def _terms(question: str, keywords: list[str]) -> tuple[list[str], list[str]]:
    keyword_terms = [" ".join(search.normalize(k).split()) for k in keywords]
    return (list(dict.fromkeys(t for t in keyword_terms if t)), queries.terms(question))


def _index(db: Store, faq_id: int, question: str, keywords: list[str], answer: str) -> None:
    fs.add_index(db, faq_id, _tokens(question, keywords, answer), _terms(question, keywords))


def _unindex(db: Store, faq_id: int, question: str, keywords: list[str], answer: str) -> None:
    fs.drop_index(db, faq_id, _tokens(question, keywords, answer), _terms(question, keywords))


def index_current(db: Store) -> bool:
    """Whether the full-text index was built with this deskcli's index_text."""
    return fs.index_version(db) == search.INDEX_VERSION


def reindex(db: Store) -> int:
    """Index every entry again (inside the caller's write transaction); returns how many.
    Run automatically when the index was built by another version of index_text."""
    search.for_bulk()
    fs.reindex_start(db, search.INDEX_VERSION)
    rows = fs.texts(db)
    words = fs.keywords(db, [r["id"] for r in rows])
    for r in rows:
        _index(db, r["id"], r["question"], words[r["id"]], r["answer"])
    return len(rows)


def ensure_index(desk: Desk) -> None:
    """Re-index first if the index is of another index_text version (after an upgrade)."""
    db = desk.store
    if not index_current(db):
        with db.write():
            if not index_current(db):
                reindex(db)


# --- entries --------------------------------------------------------------------------------

def _load(db: Store, ref: str):
    """An entry by key, or by id (`12` or `#12`)."""
    ref = str(ref).strip()
    row = fs.by_key(db, ref)
    if row is None and ref.lstrip("#").isdigit():
        row = fs.by_id(db, int(ref.lstrip("#")))
    if row is None:
        raise NotFound(f"no FAQ entry {ref!r}", "see `deskcli faq list` or `deskcli faq search "
                                                 "WORDS`")
    return row


def hydrate(db: Store, rows) -> list[Faq]:
    rows = [dict(r) for r in rows]
    ids = [r["id"] for r in rows]
    words, kinds = fs.keywords(db, ids), fs.types(db, ids)
    return [Faq(id=r["id"], key=r["key"], category=r["category"], question=r["question"],
                answer=r["answer"], keywords=words[r["id"]], types=kinds[r["id"]],
                created_at=r["created_at"], updated_at=r["updated_at"],
                created_by=r["created_by"], updated_by=r["updated_by"]) for r in rows]


def _type_ids(db: Store, keys: list[str]) -> list[int]:
    from deskcli.store import types as ts

    ids = []
    for key in keys:
        ttype = ts.type_by_key(db, key)
        if ttype is None:
            raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
        ids.append(ttype.id)
    return ids


def _check_text(question: str | None, answer: str | None) -> tuple[str, str]:
    question = " ".join((question or "").split())
    answer = (answer or "").strip()
    if not question:
        raise Invalid("the question is empty", "give it with --question TEXT")
    if len(question) > MAX_QUESTION:
        raise Invalid(f"the question is {len(question)} characters; keep it under "
                      f"{MAX_QUESTION} and put details in the answer")
    if not answer:
        raise Invalid("the answer is empty",
                      "give it with --answer TEXT, --answer-file FILE (- for stdin), or $EDITOR")
    return question, answer


def _new_key(db: Store) -> str:
    number = fs.max_id(db) + 1
    while fs.key_taken(db, f"faq-{number:03d}"):
        number += 1
    return f"faq-{number:03d}"


def faq_add(desk: Desk, c: Changes, created: list | None = None) -> Faq:
    """Add an entry; its category is created if it does not exist yet (named in
    `created`)."""
    require(desk.actor, "faq.manage", "change the FAQ")
    question, answer = _check_text(c.question, c.answer)
    keywords = split_keywords(c.keywords or [])
    db = desk.store
    with db.write():
        if not index_current(db):
            reindex(db)
        key = check_key(c.key) if c.key else _new_key(db)
        if fs.key_taken(db, key):
            raise Conflict(f"a FAQ entry {key!r} already exists",
                           f"change it with `deskcli faq update {key} ...`")
        faq_id = _insert(db, desk.actor.id, key, c.category, question, answer, keywords,
                         c.types or [], created)
        return hydrate(db, [fs.by_id(db, faq_id)])[0]


def _insert(db: Store, by_id: int, key: str, category: str | None, question: str, answer: str,
            keywords: list[str], type_keys: list[str], created: list | None) -> int:
    category_id = find_category(db, category, create=True, created=created) if category else None
    type_ids = _type_ids(db, type_keys)
    faq_id = fs.insert(db, {"key": key, "category_id": category_id, "question": question,
                            "answer": answer, "at": clock.stamp(), "by_id": by_id})
    fs.set_keywords(db, faq_id, keywords)
    fs.set_types(db, faq_id, type_ids)
    _index(db, faq_id, question, keywords, answer)
    return faq_id


def faq_update(desk: Desk, ref: str, c: Changes, created: list | None = None) -> Faq:
    """Change an entry; options not given stay as they are."""
    require(desk.actor, "faq.manage", "change the FAQ")
    db = desk.store
    with db.write():
        if not index_current(db):
            reindex(db)
        row = _load(db, ref)
        _update(db, desk.actor.id, hydrate(db, [row])[0], c, created)
        return hydrate(db, [fs.by_id(db, row["id"])])[0]


def _update(db: Store, by_id: int, old: Faq, c: Changes, created: list | None) -> bool:
    """Apply changes to an entry; False when nothing differs."""
    question, answer = _check_text(old.question if c.question is None else c.question,
                                   old.answer if c.answer is None else c.answer)
    keywords = old.keywords if c.keywords is None else split_keywords(c.keywords)
    changes: dict = {}
    if c.key is not None and c.key != old.key:
        key = check_key(c.key)
        if fs.key_taken(db, key):
            raise Conflict(f"a FAQ entry {key!r} already exists", "choose another key")
        changes["key"] = key
    if c.category is not None:
        path = category_path(c.category) if c.category else None
        if path != old.category:
            changes["category_id"] = (find_category(db, path, create=True, created=created)
                                      if path else None)
    if question != old.question:
        changes["question"] = question
    if answer != old.answer:
        changes["answer"] = answer
    text_changed = bool({"question", "answer"} & set(changes)) or keywords != old.keywords
    types_changed = c.types is not None and sorted(set(c.types)) != sorted(old.types)
    if not changes and not text_changed and not types_changed:
        return False
    if text_changed:
        _unindex(db, old.id, old.question, old.keywords, old.answer)
        _index(db, old.id, question, keywords, answer)
    if keywords != old.keywords:
        fs.set_keywords(db, old.id, keywords)
    if types_changed:
        fs.set_types(db, old.id, _type_ids(db, c.types))
    changes.update(updated_at=clock.stamp(), updated_by_id=by_id)
    fs.update(db, old.id, changes)
    return True


def faq_remove(desk: Desk, refs: list[str]) -> list[str]:
    """Remove entries (and their index rows); returns their keys. The record that an
    entry answered a ticket goes too; the reply event keeps the entry's key."""
    require(desk.actor, "faq.manage", "change the FAQ")
    db = desk.store
    with db.write():
        if not index_current(db):
            reindex(db)
        removed = []
        for ref in refs:
            entry = hydrate(db, [_load(db, ref)])[0]
            _unindex(db, entry.id, entry.question, entry.keywords, entry.answer)
            fs.delete(db, entry.id)
            removed.append(entry.key)
        return removed


def faq_show(desk: Desk, ref: str) -> Faq:
    """An entry with the tickets it answered."""
    require(desk.actor, "faq.view", "read the FAQ")
    db = desk.store
    with db.read():
        entry = hydrate(db, [_load(db, ref)])[0]
        entry.extra["answered"] = fs.answered_counts(db, [entry.id]).get(entry.id, 0)
        if desk.actor.can("ticket.view") and not desk.actor.is_client:
            entry.extra["answered_tickets"] = [
                {"id": r["ticket_id"], "title": r["title"], "status": r["status"],
                 "at": r["at"], "by": r["by"]} for r in fs.answered_tickets(db, entry.id)]
        return entry


def faq_list(desk: Desk, *, category: str | None = None, type_key: str | None = None,
             limit: int | None = None) -> list[Faq]:
    require(desk.actor, "faq.view", "read the FAQ")
    db = desk.store
    with db.read():
        ids = category_ids(db, category) if category else None
        type_id = _type_ids(db, [type_key])[0] if type_key else None
        entries = hydrate(db, fs.entries(db, category_ids=ids, type_id=type_id, limit=limit))
        counts = fs.answered_counts(db, [e.id for e in entries])
        for e in entries:
            e.extra["answered"] = counts.get(e.id, 0)
        return entries


# --- import and export ------------------------------------------------------------------------

class _DryRun(Exception):
    """Raised to roll a dry run back after counting."""


def faq_import(desk: Desk, records: list[dict], *, prune: bool = False,
               dry_run: bool = False) -> dict:
    """Add and update entries from records (key, category, question, answer, keywords,
    types), idempotent by key, all or nothing. A record without a key matches an entry
    with the same question, else gets a key made from its question. With `prune`,
    entries not in the records are removed (a FAQ kept in git, synced)."""
    require(desk.actor, "faq.manage", "change the FAQ")
    clean = _clean_records(records)
    if len(clean) > 100:
        search.for_bulk()
    db = desk.store
    counts = {"added": 0, "updated": 0, "unchanged": 0, "removed": 0, "categories_added": 0}
    try:
        with db.write():
            if not index_current(db):
                reindex(db)
            created: list[str] = []
            by_question = None
            seen: set[int] = set()
            for number, r in clean:
                key = r["key"]
                row = fs.by_key(db, key) if key else None
                if row is None and not key:
                    if by_question is None:
                        by_question = {search.normalize(e["question"]): e["id"]
                                       for e in fs.entries(db)}
                    found = by_question.get(search.normalize(r["question"]))
                    row = fs.by_id(db, found) if found else None
                    key = row["key"] if row else _question_key(r["question"])
                try:
                    if row is None:
                        seen.add(_insert(db, desk.actor.id, key, r["category"], r["question"],
                                         r["answer"], r["keywords"], r["types"], created))
                        counts["added"] += 1
                        continue
                    seen.add(row["id"])
                    old = hydrate(db, [row])[0]
                    changes = Changes(category=r["category"] or "", question=r["question"],
                                      answer=r["answer"], keywords=r["keywords"],
                                      types=r["types"])
                    changed = _update(db, desk.actor.id, old, changes, created)
                    counts["updated" if changed else "unchanged"] += 1
                except (Invalid, NotFound, Conflict) as exc:
                    exc.message = f"entry {number} ({key}): {exc.message}"
                    raise
            if prune:
                for _key, faq_id in sorted(fs.all_keys(db).items()):
                    if faq_id not in seen:
                        entry = hydrate(db, [fs.by_id(db, faq_id)])[0]
                        _unindex(db, faq_id, entry.question, entry.keywords, entry.answer)
                        fs.delete(db, faq_id)
                        counts["removed"] += 1
            counts["categories_added"] = len(created)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    counts["dry_run"] = dry_run
    return counts


def _question_key(question: str) -> str:
    import hashlib

    digest = hashlib.sha1(search.normalize(question).encode("utf-8")).hexdigest()
    return f"q-{digest[:10]}"


def _clean_records(records: list[dict]) -> list[tuple[int, dict]]:
    problems, clean, keys = [], [], {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            problems.append(f"entry {number}: not an object")
            continue
        unknown = set(record) - {"key", "id", "category", "question", "answer", "keywords",
                                 "types", "created_at", "updated_at", "created_by",
                                 "updated_by", "answered"}
        if unknown:
            problems.append(f"entry {number}: unknown field(s) {', '.join(sorted(unknown))}")
            continue
        key = str(record.get("key") or "").strip() or None
        try:
            if key:
                check_key(key)
            question, answer = _check_text(record.get("question"), record.get("answer"))
            category = record.get("category")
            category = category_path(category) if category else None
        except Invalid as exc:
            problems.append(f"entry {number}{f' ({key})' if key else ''}: {exc.message}")
            continue
        if key and key in keys:
            problems.append(f"entry {number}: key {key!r} again (first in entry {keys[key]})")
            continue
        if key:
            keys[key] = number
        types = record.get("types") or []
        clean.append((number, {"key": key, "category": category, "question": question,
                               "answer": answer,
                               "keywords": split_keywords(record.get("keywords") or []),
                               "types": split_keywords(types)}))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise Invalid("; ".join(problems[:5]) + more,
                      "nothing was imported; fix the file and run the import again")
    return clean


def faq_export(desk: Desk, *, category: str | None = None) -> list[dict]:
    """Every entry (or a category's) as import records, sorted by key."""
    require(desk.actor, "faq.view", "read the FAQ")
    db = desk.store
    with db.read():
        ids = category_ids(db, category) if category else None
        return [{"key": e.key, "category": e.category, "question": e.question,
                 "answer": e.answer, "keywords": e.keywords, "types": e.types}
                for e in hydrate(db, fs.entries(db, category_ids=ids))]


# --- answering tickets ----------------------------------------------------------------------

def cite(desk: Desk, ref: str, text: str | None) -> tuple[Faq, str]:
    """For `ticket reply --faq`: the entry and the reply text with its answer inserted
    (after the agent's own words, if any). Runs inside the reply's transaction."""
    require(desk.actor, "faq.view", "read the FAQ")
    entry = hydrate(desk.store, [_load(desk.store, ref)])[0]
    own = (text or "").strip()
    return entry, f"{own}\n\n{entry.answer}" if own else entry.answer


def record_answer(desk: Desk, faq_id: int, ticket_id: int, at: str) -> None:
    """Record that the entry answered the ticket: recommendations learn from the link,
    and FAQ search from the ticket's words (deskcli.faq.words.learn)."""
    if fs.link_answer(desk.store, faq_id, ticket_id, at, desk.actor.id):
        from deskcli.faq.words import learn

        learn(desk.store, faq_id, ticket_id)
