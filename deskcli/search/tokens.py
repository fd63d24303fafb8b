"""Text search for FAQs and tickets: the pure part (no SQL is run here).

SQLite's FTS5 ``unicode61`` tokenizer treats a run of Han characters as one token, so a
search for 登录 never finds 学员登录失败, and Python's sqlite3 cannot register a custom
tokenizer. So we tokenize in Python and let FTS5 split on spaces only: every indexed
column holds :func:`index_text` of the original text, and queries are built from the
same tokens. The store declares its tables like this::

    CREATE VIRTUAL TABLE faq_fts USING fts5(
        question, keywords, answer,
        tokenize = 'unicode61 remove_diacritics 2');
    -- rowid = faq.id; each column = index_text(original); keywords joined by ", "

and searches with deskcli.search.queries: ``rank_query`` for ORDER BY bm25(faq_fts,
*FAQ_WEIGHTS), keeping within its RANK_BUDGET as ``common_terms`` explains
(bench/faq/relevance.py ``rank()`` is the reference), ``filter_query`` to filter. A
contentless table (``content=''``) is 2.5 times smaller on disk (FTS5 otherwise stores
the token text again); deleting from it takes the indexed values, which index_text
recomputes.
Changing index_text means re-indexing: the store should record a version of it.

Tokens (see :func:`index_text`):

* CJK runs become overlapping character bigrams, the approach of Lucene's CJKAnalyzer:
  a query 登录失败 is the phrase "登录 录失 失败", which only matches the four characters
  in a row. The last character of each run is also indexed alone, so that every
  character begins some token and a one-character query is the prefix query "课"*
  (matching 课 and 课程, 课时 ...). Indexing every character as a unigram too was
  measured: it grows the index by 41 % for what prefix queries give on small tables
  (see ``chars`` in queries.rank_terms), and on large ones single characters match
  most documents, which bm25 cannot rank quickly.
* Latin letters and digits become lower-cased words, split where letters meet digits
  (iPhone13 → iphon 13, queried as a phrase so "iPhone 13" matches too); English
  words are reduced by :func:`stem` (Porter2), so login/logins/logging/logged and
  crash/crashes/crashed/crashing meet.
* Text is first folded by :func:`normalize`: NFKC (full-width Ａ１！ → A1!), lower case,
  and traditional → simplified Chinese for about 780 common characters.

Everything costly (regular expressions, the conversion table, word lists) is built on
first use, and neither re, typing nor unicodedata is imported with the module: every
command that may search imports it, and that takes about a millisecond from compiled
bytecode.
"""

from deskcli.search.tables import (  # the tables, kept in their own module
    _CJK,
    _DOMAIN_WORDS,
    _EN_SYNONYMS,
    _LATIN_STEM_ALIASES,
    _SIMP,
    _STEM_KEEP,
    _TRAD,
    _ZH_KEEP,
    _ZH_STOP,
    _ZH_SYNONYMS,
)

FTS_TOKENIZE = "unicode61 remove_diacritics 2"
"""The ``tokenize`` option of every FTS5 table that stores :func:`index_text` output."""

INDEX_VERSION = 1
"""The version of :func:`index_text` (and normalize, stem). Bump it with any change to the
tokens they produce: the store records the version each full-text table was built with
and re-indexes a table whose version differs."""

FAQ_COLUMNS = ("question", "keywords", "answer")
"""The FAQ FTS5 table's columns, in order (bm25 weights follow this order)."""

FAQ_WEIGHTS = (4.0, 4.0, 1.0)
"""bm25 column weights for FAQ_COLUMNS: a match in the question or an author's keyword
says more than one somewhere in a long answer. Weights saturate quickly (bm25's k1 is
1.2), so they mostly order documents by *where* they match; on the labelled set every
choice from 3 : 2 : 1 to 10 : 10 : 1 is within one query of the best."""


class _Lazy:
    """Regular expressions and tables, compiled on first use (import stays cheap).

    Compiling the CJK character class (40,000 characters) costs 2-3 ms, as re builds a
    bitmap of it in Python: too much for a command that tokenises one title. So CJK runs
    are found among the runs of non-ASCII word characters instead (every CJK character is
    one), see cjk_split; bulk work (import, re-indexing) compiles the class once with
    for_bulk, which splits a text about five times faster. Text is first split into CJK
    runs and the rest, and the Latin expressions only ever see the rest."""

    def __init__(self) -> None:
        import re

        # runs of non-ASCII word characters: CJK runs, accented Latin, other scripts
        self.wide = re.compile(r"[^\W\x00-\x7f]+")
        # the characters between U+3041 and U+9FFF that are not in _CJK
        self.not_cjk = re.compile("[\u3097-\u309c\u30a0\u30fb\u3100-\u33ff\u4dc0-\u4dff]")
        self.cjk_starts, self.cjk_ends = _ranges(_CJK)
        self.cjk_run = None  # re.compile(f"([{_CJK}]+)"), once for_bulk() has run
        self.scan = None  # the units in one pass, once for_bulk() has run (see there)
        self.trad = None  # finds a traditional character, once for_bulk() has run
        # A Latin "unit" (in text without CJK): letters/digits joined by . - or ' (3.2.1,
        # wi-fi, don't), which is queried as one phrase.
        self.latin = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
        self.piece = re.compile(r"[^\W\d_]+|\d+")
        # Chinese words to keep and stop words, by length, longest first (a set lookup
        # per length and position: cheaper to build than an alternation of 160 words)
        self.zh_keep = _by_length(_ZH_KEEP)
        self.zh_stop = _by_length(_ZH_STOP)
        self.domain = frozenset(_DOMAIN_WORDS.split())
        self.synonyms: dict[str, list[str]] = {}
        for group in (*_ZH_SYNONYMS, *_EN_SYNONYMS):
            words = group.split()
            for word in words:
                self.synonyms.setdefault(word, []).extend(w for w in words if w != word)
        self.zh_synonym_keys = sorted(
            (w for g in _ZH_SYNONYMS for w in g.split() if len(w) > 1), key=len, reverse=True
        )

    def for_bulk(self) -> None:
        """Compile the CJK class: worth its 2-3 ms before tokenising many texts."""
        if self.cjk_run is None:
            import re

            self.cjk_run = re.compile(f"([{_CJK}]+)")
            # What units() gives, in one findall: a CJK run, or a Latin unit made of word
            # characters that are not CJK (so it stops where a CJK run begins, as the
            # Latin expression does on the text between runs). A unit is one or the other
            # whole: its first character tells which.
            self.scan = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+"
                                   f"(?:['’.\\-][^\\W_{_CJK}]+)*")
            self.trad = re.compile(f"[{re.escape(_TRAD)}]")

    def cjk_split(self, text: str) -> list[str]:
        """What re.split(f"([{_CJK}]+)", text) gives: the text between CJK runs at the
        even positions, the runs at the odd ones."""
        if self.cjk_run is not None:
            return self.cjk_run.split(text)
        out: list[str] = []
        rest = 0  # where the text after the last CJK run begins
        for match in self.wide.finditer(text):
            run = match.group()
            if "\u3041" <= min(run) and max(run) <= "\u9fff" and not self.not_cjk.search(run):
                pieces = [(match.start(), match.end())]  # all CJK: the common case
            else:
                pieces = self._cjk_pieces(run, match.start())
            for start, end in pieces:
                out += [text[rest:start], text[start:end]]
                rest = end
        out.append(text[rest:])
        return out

    def _cjk_pieces(self, run: str, offset: int) -> list[tuple[int, int]]:
        """(start, end) in the text of the CJK runs inside a run of word characters."""
        from bisect import bisect_right

        pieces: list[tuple[int, int]] = []
        start = None
        for i, char in enumerate(run):
            code = ord(char)
            at = bisect_right(self.cjk_starts, code) - 1
            if at >= 0 and code <= self.cjk_ends[at]:
                if start is None:
                    start = i
            elif start is not None:
                pieces.append((offset + start, offset + i))
                start = None
        if start is not None:
            pieces.append((offset + start, offset + len(run)))
        return pieces

    def is_cjk(self, word: str) -> bool:
        """Whether ``word`` is one CJK run (and nothing else)."""
        parts = self.cjk_split(word)
        return len(parts) == 3 and not parts[0] and not parts[2]

    def units(self, text: str) -> list[tuple[str, str]]:
        """(CJK run, "") or ("", Latin unit) for each unit of ``text``, in order."""
        out: list[tuple[str, str]] = []
        for i, part in enumerate(self.cjk_split(text)):
            if i % 2:
                out.append((part, ""))
            elif part:
                out.extend(("", unit) for unit in self.latin.findall(part))
        return out


def _ranges(spec: str) -> tuple[list[int], list[int]]:
    """A character class's body ("a-z0-9_") as sorted (starts, ends) code points."""
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(spec):
        low = high = spec[i]
        if i + 2 < len(spec) and spec[i + 1] == "-":
            high = spec[i + 2]
            i += 3
        else:
            i += 1
        starts.append(ord(low))
        ends.append(ord(high))
    order = sorted(range(len(starts)), key=starts.__getitem__)
    return [starts[k] for k in order], [ends[k] for k in order]


def _by_length(words: str) -> list[tuple[int, frozenset[str]]]:
    sizes: dict[int, set[str]] = {}
    for word in words.split():
        sizes.setdefault(len(word), set()).add(word)
    return [(size, frozenset(sizes[size])) for size in sorted(sizes, reverse=True)]


_lazy: _Lazy | None = None
_t2s: dict | None = None


def for_bulk() -> None:
    """Prepare to tokenise many texts (an import, a re-index): see _Lazy."""
    _L().for_bulk()


def _L() -> _Lazy:
    global _lazy
    if _lazy is None:
        _lazy = _Lazy()
    return _lazy


# -- normalising and tokenising ----------------------------------------------------------


def normalize(text: str | None) -> str:
    """Fold text for matching: NFKC, lower case, traditional → simplified Chinese.

    NFKC turns full-width letters, digits and punctuation into ASCII (ＡＰＰ１７！ →
    APP17!) and the ideographic space into a space. The Chinese table covers about
    780 common characters (登錄 → 登录, 續費 → 续费, 帳號 → 账号); it is a character
    table, not a phrase converter, which is enough for matching.
    """
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    import unicodedata

    trad = _lazy.trad if _lazy is not None else None
    if trad is not None:  # bulk work: skip what would change nothing (same result)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if trad.search(text) is None:
            return text.lower()
        return text.translate(_t2s_table()).lower()
    return unicodedata.normalize("NFKC", text).translate(_t2s_table()).lower()


def _t2s_table() -> dict:
    global _t2s
    if _t2s is None:  # apart from _L(): `faq suggest` needs only this
        _t2s = str.maketrans(_TRAD, _SIMP)
    return _t2s


_stems: dict[str, str] = {}
"""Words already stemmed: a vocabulary is small next to the number of words indexed, and
Porter2 in Python costs about 20 µs a word."""


def stem(word: str) -> str:
    """Reduce an English word to its stem with Porter2 (the Snowball English stemmer).

    ``crashes``, ``crashed``, ``crashing`` → ``crash``; ``cancellation`` → ``cancel``.
    Deliberate changes: words this help desk needs intact (``ios``, ``sms``) are kept,
    and a few stems are aliased (see _LATIN_STEM_ALIASES: login → ``log``, the stem of
    logging/logged). Words that are not ASCII letters are returned lower-cased but
    otherwise unchanged.
    """
    w = word.lower()
    found = _stems.get(w)
    if found is not None:
        return found
    if len(w) <= 2 or not w.isascii() or not w.isalpha() or w in _STEM_KEEP:
        found = w
    else:
        from deskcli.search.stemmer import porter2  # only words that need it

        found = porter2(w)
        found = _LATIN_STEM_ALIASES.get(found, found)
    if len(_stems) >= 50_000:  # bound the memory of a long-running import
        _stems.clear()
    _stems[w] = found
    return found


def _latin_words(unit: str) -> list[str]:
    """Words of one Latin unit, unstemmed: iphone13 → [iphone, 13]; e-mail → [email];
    student's → [student]; don't → [dont]; 3.2.1 → [3, 2, 1]."""
    u = unit.replace("’", "'")
    if u.endswith("'s"):
        u = u[:-2]
    u = u.replace("'", "")
    if "-" in u:
        parts = u.split("-")
        # e-mail, wi-fi, log-in are one word; long-term, step-by-step are several.
        if all(p.isalpha() for p in parts) and min(map(len, parts)) <= 2:
            u = "".join(parts)
    return _L().piece.findall(u)


def _latin_tokens(unit: str) -> list[str]:
    """Index tokens of one Latin unit: its words, stemmed."""
    return [stem(w) if w.isalpha() else w for w in _latin_words(unit)]


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str | None) -> str:
    """Return the space-separated tokens to store in an FTS5 column for ``text``.

    CJK runs give their overlapping bigrams followed by the run's last character
    (学员登录 → 学员 员登 登录 录; 课 → 课); Latin text gives lower-cased, stemmed words
    (Logged in on iOS 17 → log in on ios 17). Token order is kept, so phrase queries
    work. None or empty text gives "".
    """
    if not text:
        return ""
    lazy = _L()
    if lazy.scan is not None:
        return _index_bulk(lazy.scan.findall(normalize(text)))
    out: list[str] = []
    for cjk, latin in lazy.units(normalize(text)):
        if cjk:
            out.extend(_bigrams(cjk))
            out.append(cjk[-1])
        elif latin.isalpha():  # the common case, without _latin_tokens' work
            out.append(stem(latin))
        elif latin.isdecimal():
            out.append(latin)
        else:
            out.extend(_latin_tokens(latin))
    return " ".join(out)


_units: dict[str, str] = {}
"""The tokens of units already seen in bulk work, joined (a CJK run's bigrams, a Latin
unit's stems): an import's texts repeat most of their words and many of their phrases."""
UNIT_MEMO = 20_000  # units remembered at most (about 3 MiB)


def _index_bulk(units: list[str]) -> str:
    """index_text's loop for many texts (the same tokens): each unit's tokens, joined,
    are looked up in a memo (in C, for the whole text at once) and made only the first
    time a unit is seen."""
    found = list(map(_units.get, units))
    if None in found:
        memo = _units
        if len(memo) >= UNIT_MEMO:  # bound the memory of a long import
            memo.clear()
        cjk = _lazy.cjk_run.match
        for i, tokens in enumerate(found):
            if tokens is None:
                unit = units[i]
                # a CJK run (scan gives them whole; none begins below U+3041)
                if unit >= "\u3041" and cjk(unit):
                    from operator import add  # here: a fresh interpreter lacks it at start

                    tokens = (" ".join(map(add, unit[:-1], unit[1:])) + " " + unit[-1]
                              if len(unit) > 1 else unit)
                elif unit.isalpha():
                    tokens = stem(unit)
                elif unit.isdecimal():
                    tokens = unit
                else:
                    tokens = " ".join(_latin_tokens(unit))
                found[i] = memo[unit] = tokens
    if "" in found:
        found = [tokens for tokens in found if tokens]
    return " ".join(found)
