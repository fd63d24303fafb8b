"""Search queries from what people type: FTS5 MATCH expressions built from the tokens of
deskcli.search.tokens (a filter that needs every term, a ranked OR of the useful ones and
the budget that keeps it cheap), and the user-visible terms of a text. Pure: no SQL is
run here. Split from deskcli.search.tokens, which makes the tokens the index holds."""

from deskcli.search.tables import _EN_STOP
from deskcli.search.tokens import _L, _bigrams, _latin_tokens, _latin_words, normalize

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs several ms
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping


def _quote(tokens: list[str]) -> str:
    """One FTS5 string (a phrase when several tokens); quotes are doubled, so nothing in
    user input can become FTS5 syntax (AND, NEAR, *, column:, parentheses)."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _cjk_phrase(run: str) -> str:
    if len(run) == 1:
        # Every character starts a token (a bigram, or the run's last character).
        return _quote([run]) + "*"
    return _quote(_bigrams(run))


def filter_query(text: str | None) -> str | None:
    """Return an FTS5 MATCH expression that requires every term of ``text``, or None.

    Used as a filter (``ticket list --search``). Each CJK run must appear as typed
    (登录失败 is the phrase "登录 录失 失败"); each Latin unit is a phrase of its stemmed
    tokens. Terms are joined with AND. None when ``text`` has no searchable token
    (empty, punctuation, emoji). A single CJK character is a prefix query ("课"*),
    which on a large table is slow (about 20 ms on 100,000 entries for a common one).
    """
    parts: list[str] = []
    for cjk, latin in _L().units(normalize(text)):
        tokens = [] if cjk else _latin_tokens(latin)
        part = _cjk_phrase(cjk) if cjk else _quote(tokens) if tokens else None
        if part and part not in parts:
            parts.append(part)
    return " AND ".join(parts) or None


def _zh_pieces(run: str) -> list[str]:
    """Split a CJK run at stop words: 学员登录不了怎么办 → [学员登录].

    From left to right, the longest word to keep (在线, 有效 ...) or else the longest stop
    word that starts at each position is taken; a stop word becomes a cut."""
    lazy = _L()
    out: list[str] = []
    i, end = 0, len(run)
    while i < end:
        for size, words in lazy.zh_keep:
            if run[i : i + size] in words:
                out.append(run[i : i + size])
                i += size
                break
        else:
            for size, words in lazy.zh_stop:
                if run[i : i + size] in words:
                    out.append(" ")
                    i += size
                    break
            else:
                out.append(run[i])
                i += 1
    return "".join(out).split()


_Terms = tuple[list[tuple[str, list[str]]], list[str], list[str]]


_recent_terms: dict[str | None, _Terms] = {}
"""_query_terms of the last few queries: one search asks for them once for the ranking
and again for each snippet it shows."""


def _query_terms(text: str | None) -> _Terms:
    """The useful terms of a query: ([(surface, tokens)], leftover single CJK characters,
    the CJK runs as typed). Callers must not change the lists (they are shared).

    A surface is a CJK piece (its tokens are its bigrams) or a Latin unit (its tokens are
    stems). Stop words are dropped; if nothing at all is left they are used after all, so
    a query made only of stop words still finds something.
    """
    known = _recent_terms.get(text)
    if known is None:
        if len(_recent_terms) >= 8:
            _recent_terms.clear()
        known = _recent_terms[text] = _split_query(text)
    return known


def _split_query(text: str | None) -> _Terms:
    found: list[tuple[str, list[str]]] = []
    singles: list[str] = []
    stopped: list[tuple[str, list[str]]] = []
    runs: list[str] = []
    for cjk, latin in _L().units(normalize(text)):
        if cjk:
            runs.append(cjk)
            pieces = _zh_pieces(cjk)
            if not pieces:
                stopped.append((cjk, _bigrams(cjk) or [cjk]))
            for piece in pieces:
                if len(piece) == 1:
                    singles.append(piece)
                else:
                    found.append((piece, _bigrams(piece)))
        else:
            tokens = _latin_tokens(latin)
            if latin.replace("'", "").replace("’", "") in _EN_STOP:
                stopped.append((latin, tokens))
            elif tokens:
                found.append((latin, tokens))
    if not found and not singles:
        found = stopped
    return found, singles, runs


RANK_BUDGET = 1500
"""How many rows a ranked search may read and score. bm25 costs 2–5 µs per matching row
here (reading the row's positions and column sizes), and computing a phrase's IDF reads
its whole posting list, so a term found in a third of 100,000 entries (校区) costs over
50 ms alone. See :func:`common_terms` for how the store keeps within the budget. On
100,000 entries and a busy 2-core machine, p95 of a search measured 7.5 ms with 1,000
rows, about 10 ms with 1,500 and 11–14 ms with 2,000; the quality estimate in
common_terms barely moves between them (hit@3 0.86 ± 0.01)."""


CHARS_MAX_ROWS = 10_000
"""Tables up to this many rows can afford ``chars=True`` in :func:`rank_terms`."""


def rank_terms(text: str | None, chars: bool = False) -> list[str]:
    """The terms that :func:`rank_query` joins with OR, without duplicates: each is an
    FTS5 phrase ("登录") or a group of alternatives (("登录" OR "登陆")).

    Made for whole sentences as people type them (学员登录不了怎么办, how do I reset a
    student's password, APP 闪退 iOS 17) as well as single words (登录, 续费, login):

    * Stop words are dropped (的, 了, 怎么办, 不了, 请问 ...; how, do, I, the ...).
    * A CJK piece contributes each of its bigrams (学员登录 → 学员, 员登, 登录). Adding the
      whole piece as a phrase, to reward verbatim matches, was measured and did not help.
    * A Latin unit contributes each token, plus the phrase when it has several
      (iphone13 → "iphon" OR "13" OR "iphon 13").
    * A word of a small built-in synonym list becomes a group with its synonyms (退钱 →
      ("退钱" OR "退款" OR "退费")), so that :func:`common_terms` keeps or leaves out a
      word and its synonyms together. A character left alone between stop words adds
      its synonyms (很卡 → 卡 → "卡顿").
    * Other characters left alone (我的课 → 课) are used only when nothing else is left,
      as prefix queries ("课"* matches 课, 课时, 课程).
    * With ``chars``, every CJK character of the query is added as a prefix query too,
      which finds documents that share characters but no bigram (密码锁了 → 锁定). On
      the labelled set this raises hit@1 of paraphrased queries from 0.65 to 0.73 and
      hit@3 from 0.81 to 0.85, and changes nothing for the others; indexing every
      character as a unigram instead measured the same and grew the index by 41 %.
      But FTS5 merges the postings of every token with the prefix before reading the
      first row ("课"* takes 20 ms on 100,000 entries), so only small tables (see
      CHARS_MAX_ROWS) should ask for it.
    """
    found, singles, runs = _query_terms(text)
    lazy = _L()
    parts: list[str] = []

    def group(word: str, others: list[str]) -> str:
        # One-character synonyms (卡) serve lone characters only, below.
        words = [w for w in (word, *others) if len(w) > 1 or not _is_cjk(w)]
        quoted = [_quote(_bigrams(w) if _is_cjk(w) else [w]) for w in words]
        return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"

    for _surface, tokens in found:
        for tok in tokens:
            others = lazy.synonyms.get(tok)
            parts.append(group(tok, others) if others else _quote([tok]))
        if len(tokens) > 1 and tokens[0].isascii():
            parts.append(_quote(tokens))
    for run in runs:
        # Looked for in the run as typed: stop words may cut a synonym (想不起).
        for key in lazy.zh_synonym_keys:
            if key in run:
                parts.append(group(key, lazy.synonyms[key]))
    for char in singles:
        parts.extend(_quote(_bigrams(other)) for other in lazy.synonyms.get(char, ()))
    if chars:
        pieces = [surface for surface, _tokens in found if not surface.isascii()]
        parts.extend(_quote([char]) + "*" for char in "".join(pieces) + "".join(singles))
    elif not parts:
        # A prefix query reads the postings of every token that starts with the
        # character (课* → 课时, 课程, ...): costly on a large table, so only as a last
        # resort.
        parts = [_quote([char]) + "*" for char in singles]
    return list(dict.fromkeys(parts))


def _is_cjk(word: str) -> bool:
    return _L().is_cjk(word)


def rank_query(text: str | None, skip: "Collection[str]" = (), chars: bool = False) -> str | None:
    """Return an FTS5 MATCH expression for ranked retrieval (ORDER BY bm25), or None.

    An OR of the useful terms of ``text`` (see :func:`rank_terms`), so that documents
    matching only some of them are still found and bm25 ranks those matching more,
    rarer terms first. Phrases in ``skip`` (as returned by :func:`rank_terms`, usually
    chosen by :func:`common_terms`) are left out; ``chars`` as for rank_terms. None when
    nothing is left.
    """
    return " OR ".join(t for t in rank_terms(text, chars) if t not in skip) or None


def common_terms(counts: "Mapping[str, int]", budget: int = RANK_BUDGET) -> set[str]:
    """The phrases to leave out of a ranked search so that it reads about ``budget`` rows.

    ``counts`` maps each phrase of :func:`rank_terms` to the number of rows it matches,
    which need not be exact above ``budget``: the store counts with a capped query that
    reads at most budget + 1 rowids and no positions (about 0.1 µs a row; see
    deskcli/store/faq.py).

    Phrases are kept from the rarest up while the rows they match add up to at most
    ``budget``; the rarest phrase that matches anything is always kept (phrases that
    match nothing cost nothing and are kept too). What is left out is what bm25 values
    least (the lowest IDF), so small tables lose nothing: with 235 FAQs no phrase comes
    near 1,500 rows. The store then ranks the question and keyword columns first, by
    bm25 with FAQ_WEIGHTS, ten at a time (deskcli/store/faq.py; bench/faq/relevance.py
    ``rank()`` is the reference)

    filling up, when that gives fewer than 10, with the same query on all columns
    (question and keyword matches first measured better: hit@1 0.93 against 0.91, MRR
    0.947 against 0.942, though hit@3 0.968 against 0.976).
    If even the rarest phrase matches more than ``budget`` rows (a query made only of
    very common words, like 登录 or 校区 in 100,000 entries), no bm25 ranking is cheap,
    as the IDF alone reads the whole posting list: the store lists the newest entries
    that have that phrase, in the question or keywords first, with ORDER BY rowid DESC.

    On the labelled set, this recipe with the budget scaled down to the set's size (3–4
    rows of 235, no ``chars``) gives hit@3 0.86 instead of 0.97: an estimate of what the
    pruning costs on a 100,000-entry table, if it were the labelled set copied 400 times.
    """
    kept = 0
    skip: set[str] = set()
    for phrase, count in sorted(counts.items(), key=lambda kv: kv[1]):
        if kept and kept + count > budget:
            skip.add(phrase)
        else:
            kept += count
    return skip


# -- what people see ---------------------------------------------------------------------


def terms(text: str | None) -> list[str]:
    """The user-visible terms of ``text``, for keyword completion (``faq suggest``).

    English: lower-cased words of two or more letters that are not stop words, unstemmed.
    Chinese: each run is cut at stop words and particles (的, 了, 怎么, 请问 ...); pieces of
    2–4 characters are kept as they are (登录, 续费, 阶段测试); from longer pieces only
    words of a small built-in domain list are taken (学员登录失败 → 学员, 登录), because
    without a dictionary their word boundaries are a guess; a 3–4 character piece made
    only of domain words is split into them too (学员登录 → 学员, 登录). The keywords
    authors give an FAQ are the better source; the store should rank those first. Order
    of first appearance, no duplicates.
    """
    found: dict[str, None] = {}
    lazy = _L()
    for cjk, latin in lazy.units(normalize(text)):
        for word in _latin_words(latin) if latin else ():
            if len(word) > 1 and word.isalpha() and word not in _EN_STOP:
                found[word] = None
        for piece in _zh_pieces(cjk) if cjk else ():
            words = _domain_words(piece, lazy.domain)
            if 1 < len(piece) <= 4 and (piece in lazy.domain or "".join(words) != piece):
                found[piece] = None
            else:
                found.update(dict.fromkeys(words))
    return list(found)


def topics(text: str | None) -> list[str]:
    """What a ticket title is about, for the FAQ gaps report: :func:`terms`, and the
    domain words inside its longer Chinese terms (发票开错了 → 发票开错, 发票), so that
    tickets phrased differently still count toward the same topic."""
    found = dict.fromkeys(terms(text))
    domain = _L().domain
    for term in list(found):
        if len(term) > 2 and _is_cjk(term):
            found.update(dict.fromkeys(w for w in _domain_words(term, domain) if w != term))
    return list(found)


def _domain_words(piece: str, domain: frozenset[str]) -> list[str]:
    """Domain words in ``piece``, longest first from left to right (学员登录 → 学员, 登录)."""
    words: list[str] = []
    i = 0
    while i < len(piece) - 1:
        for n in (5, 4, 3, 2):
            if piece[i : i + n] in domain:
                words.append(piece[i : i + n])
                i += n
                break
        else:
            i += 1
    return words
