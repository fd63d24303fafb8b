"""Why an entry was found (`faq search --explain`, `faq recommend --explain`): the query's
words found in the entry, the synonyms that found it, and the words of the tickets it
solved that the query shares. Only the shown entries are looked at, after the search:
their text is tokenized again (deskcli.search.tokens.index_text), which the index does not keep.
"""

from deskcli.faq import synonyms
from deskcli.search import queries
from deskcli.search import tokens as search
from deskcli.store import Store
from deskcli.store import faq as fs
from deskcli.store import faq_words as ws


def add_why(db: Store, hits: list[dict], query: str, expansion,
            taught: list[tuple[int, float]]) -> None:
    """Add `why` to each hit (dicts with 'id'): {'matched': [words], 'synonyms':
    [{'asked', 'found'}], 'learned': [words], 'learned_rank': n or None}."""
    ids = [h["id"] for h in hits]
    rows = fs.by_ids(db, ids)
    words = fs.keywords(db, ids)
    learned_rank = {faq_id: n for n, (faq_id, _s) in enumerate(taught, start=1)}
    learned = ws.learned_tokens(db, [i for i in ids if i in learned_rank])
    asked = _asked_words(query)
    for hit in hits:
        r = rows[hit["id"]]
        text = " ".join((r["question"], ", ".join(words[hit["id"]]), r["answer"]))
        tokens = f" {search.index_text(text)} "
        found_syn = []
        for group_id, form in expansion.asked.items():
            for word, phrase in expansion.words.get(group_id, ()):
                if synonyms.form(word) != form and _has(tokens, phrase):
                    found_syn.append({"asked": expansion.shown.get(group_id, form),
                                      "found": word})
                    break
        taught_tokens = " " + " ".join(learned.get(hit["id"], ())) + " "
        hit["why"] = {
            "matched": _found(tokens, asked),
            "synonyms": found_syn,
            "learned": _found(taught_tokens, asked),
            "learned_rank": learned_rank.get(hit["id"]),
        }


def _asked_words(query: str) -> tuple[list[tuple[str, str]], list[str]]:
    """What the query asks: its English terms as people see them with their phrases
    (deskcli.search.queries.terms), and its runs of Chinese characters."""
    import re

    words = [(t, p) for t in queries.terms(query) if t.isascii() and (p := synonyms.phrase(t))]
    runs = re.findall(r"[\u3400-\u9fff\uf900-\ufaff]{2,}", search.normalize(query))
    return words, runs


def _found(tokens: str, asked) -> list[str]:
    """The asked words in the token string: English terms, and the longest pieces of the
    Chinese runs that it holds (孩子生病这周 → 孩子生病), stop words alone left out."""
    words, runs = asked
    found = [w for w, p in words if _has(tokens, p)]
    for run in runs:
        i = 0
        while i < len(run) - 1:
            j = i + 2
            while j <= len(run) and _has(tokens, synonyms.phrase(run[i:j])):
                j += 1
            piece = run[i:j - 1]
            if len(piece) >= 2 and queries.terms(piece) and piece not in found:
                found.append(piece)
            i = j - 1 if len(piece) >= 2 else i + 1
    return found


def _has(tokens: str, phrase: str | None) -> bool:
    """Whether the padded token string holds the phrase's tokens in a row."""
    if not phrase:
        return False
    inner = phrase.strip('"').replace('""', '"')
    return f" {inner} " in tokens


def describe(why: dict) -> str:
    """One line for people: matched 登录, 失败; synonyms 登陆 → 登录; learned 踢下线."""
    parts = []
    if why["matched"]:
        parts.append("matched " + ", ".join(why["matched"]))
    if why["synonyms"]:
        parts.append("synonyms " + ", ".join(f"{s['asked']} → {s['found']}"
                                             for s in why["synonyms"]))
    if why["learned"] or why["learned_rank"]:
        words = ", ".join(why["learned"]) or "similar words"
        parts.append(f"learned from solved tickets: {words}")
    return "; ".join(parts) or "matched by single characters"
