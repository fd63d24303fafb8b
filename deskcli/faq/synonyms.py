"""Synonyms and filler words for queries: the pure part (no SQL is run here).

A desk keeps groups of words that mean the same thing (登录, 登陆, log in, sign in) and
applies them when a question is asked, never when text is indexed: changing a group takes
effect at the next search, with no re-index. The file format is Solr's synonyms format,
one group a line::

    登录, 登陆, 登入, log in, login, sign in     # two-way: any of them finds the others
    踢下线, 挤下线 => 退出, logged out            # one-way: the left finds the right

Each word is kept with its *form*, what a query must contain for the word to count as
asked (the folded text for Chinese, found anywhere in the query; the stems of English
words, found as whole words in a row), and its *phrase*, the FTS5 phrase that finds it in
the index (deskcli.search.tokens.index_text's tokens, so folding and stemming match). A query
then gets, for each group it touches, one alternative group of phrases (("登录" OR "log
in" OR ...)) next to its own terms.

Filler (你好, 请问一下, 麻烦, 谢谢, my kid, again, thanks ...) is taken out of a question
before it is searched, so a long colloquial message is searched for its content words.
"""

from deskcli.search import queries
from deskcli.search import tokens as search

MAX_GROUPS = 8
"""At most this many synonym groups are added to one query (the longest words found
first): each costs a capped count and a share of bm25 on every search."""

# Greetings, politeness and filler of messages to a help desk. Cut out of the folded
# query before the search's own stop words (deskcli.search.tables) apply; longest first.
ZH_FILLER = (
    "老师您好 老师你好 您好 你好 请问一下 请问下 请问 麻烦问一下 麻烦问下 麻烦您 麻烦你 麻烦"
    " 谢谢老师 谢谢啦 谢谢您 谢谢你 谢谢 多谢 感谢 不好意思 打扰一下 打扰了 打扰 急用 着急"
    " 急急急 很急 在吗 想问一下 想问问 想问下 想请教 请教一下 请教 问一下 问下 帮忙看看"
    " 帮忙看一下 帮我看看 帮忙 辛苦了 辛苦 我家孩子 我家宝宝 我家小孩 我家娃 我孩子"
    " 我们家 我家 一下 哈 呀 啊 啦 哦 嗯 呢 吧 又 再次 还是"
)
EN_FILLER = (
    "hi there, hello there, hey there, hi, hey, hello, dear, good morning, good afternoon,"
    " good evening, thanks so much, thanks a lot, thank you so much, thank you, thanks, thx,"
    " please, pls, sorry to bother you, sorry to bother, sorry, again, really, just wondering,"
    " quick question, urgent, asap, kindly, can you help, could you help, help me, help,"
    " my kid, my kids, my son, my daughter, my child, our kid, our son, our daughter,"
    " our child"
)
"""English filler of help-desk messages (greetings, my kid, again, thanks so much),
taken out as whole words."""

_ZH_FILLER = sorted(ZH_FILLER.split(), key=len, reverse=True)
_en_filler = None


def strip_filler(text: str) -> str:
    """``text`` without greetings and filler, folded (deskcli.search.tokens.normalize); the
    folded text itself when nothing else would be left."""
    global _en_filler
    folded = search.normalize(text)
    cut = folded
    for word in _ZH_FILLER:
        if word in cut:
            cut = cut.replace(word, " ")
    if not cut.isascii() or any(c.isalpha() for c in cut):
        import re

        if _en_filler is None:
            words = sorted((w.strip() for w in EN_FILLER.split(",")), key=len, reverse=True)
            _en_filler = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")
        cut = _en_filler.sub(" ", cut)
    return cut if queries.rank_terms(cut) else folded


# --- words, their forms and phrases ---------------------------------------------------------

def form(word: str) -> str:
    """What a query must contain for ``word`` to count as asked: the folded word without
    spaces when it has Chinese (or other CJK) characters; else its English words, stemmed,
    joined by spaces ("Signed-in" → "sign in")."""
    folded = search.normalize(word).strip()
    if not folded.isascii():
        return "".join(folded.split())
    return " ".join(_stems(folded))


def _stems(folded: str) -> list[str]:
    import re

    words = re.findall(r"[a-z]+|\d+", folded.replace("'s", "").replace("'", ""))
    return [search.stem(w) for w in words]


def phrase(word: str) -> str | None:
    """The FTS5 phrase that finds ``word`` in text indexed with index_text; None when the
    word has nothing to index or is a single CJK character (too many matches to rank)."""
    tokens = search.index_text(word).split()
    folded = "".join(search.normalize(word).split())
    if not tokens or (len(folded) == 1 and not folded.isascii()):
        return None
    if len(tokens) > 1 and len(tokens[-1]) == 1 and not tokens[-1].isascii() \
            and tokens[-2].endswith(tokens[-1]):
        tokens = tokens[:-1]  # the last character of a CJK run is also indexed alone
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def parse_line(line: str) -> tuple[list[str], list[str]] | None:
    """One line of a synonyms file as (words, targets): targets is empty for a two-way
    group; None for a blank line or a comment. Raises ValueError for a line that is not a
    group (fewer than two words)."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    left, arrow, right = text.partition("=>")
    words = split_words(left)
    targets = split_words(right) if arrow else []
    if arrow and (not words or not targets):
        raise ValueError("a one-way group needs words on both sides of =>")
    if not arrow and len(words) < 2:
        raise ValueError("a group needs at least two words, separated by commas")
    return words, targets


def split_words(text: str) -> list[str]:
    """Words separated by commas (also ，、; or |), spaces inside a word kept."""
    for sep in ("，", "、", ";", "；", "|"):
        text = text.replace(sep, ",")
    return list(dict.fromkeys(" ".join(w.split()) for w in text.split(",") if w.strip()))


def format_group(words: list[str], targets: list[str]) -> str:
    """The line of a synonyms file for a group (parse_line's inverse)."""
    line = ", ".join(words)
    return f"{line} => {', '.join(targets)}" if targets else line


# --- applying them to a query ---------------------------------------------------------------

MAX_CJK_FORM = 8
"""The longest Chinese word (in characters) looked for in a query: a query is matched
against the desk's words by looking up its pieces, so longer words are never found."""
MAX_LATIN_FORM = 5
"""The most English words in one synonym looked for in a query."""


class Query:
    """What a query asks for, to match synonym forms against: the folded text without
    spaces (for CJK forms) and its English stems (for English forms)."""

    def __init__(self, text: str) -> None:
        folded = search.normalize(text)
        self.compact = "".join(folded.split())
        self.words = _stems(folded)

    def candidates(self) -> list[str]:
        """Every form the query could contain: its runs of 1-MAX_LATIN_FORM English
        stems, and its pieces of 2-MAX_CJK_FORM characters that have a CJK character."""
        found: dict[str, None] = {}
        words = self.words
        for i in range(len(words)):
            for n in range(1, min(MAX_LATIN_FORM, len(words) - i) + 1):
                found[" ".join(words[i:i + n])] = None
        text = self.compact
        for i in range(len(text) - 1):
            for n in range(2, min(MAX_CJK_FORM, len(text) - i) + 1):
                piece = text[i:i + n]
                if not piece.isascii():
                    found[piece] = None
        return list(found)


def matched(forms: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(group id, form) of the asked `forms`, one per group, the longest form of each
    group and the groups with the longest forms first, at most MAX_GROUPS."""
    best: dict[int, str] = {}
    for group_id, word_form in forms:
        if len(word_form) > len(best.get(group_id, "")):
            best[group_id] = word_form
    ranked = sorted(best.items(), key=lambda kv: -len(kv[1]))
    return ranked[:MAX_GROUPS]


def overlaps(word_form: str, asked: str) -> bool:
    """Whether a synonym's form holds the asked form or is held by it (加盟校区 and 加盟,
    声音 and 没有声音): the query's own terms find it already, and adding it again would
    count those entries twice."""
    if word_form.isascii() != asked.isascii():
        return False
    if word_form.isascii():
        return f" {asked} " in f" {word_form} " or f" {word_form} " in f" {asked} "
    return asked in word_form or word_form in asked


def rank_groups(alternatives: dict[int, list[str]]) -> list[str]:
    """One FTS5 term per group: its phrases joined with OR (for deskcli.search.tokens's rank
    terms, which a group is kept or left out with as a whole)."""
    out = []
    for phrases in alternatives.values():
        unique = list(dict.fromkeys(p for p in phrases if p))
        if unique:
            out.append(unique[0] if len(unique) == 1 else "(" + " OR ".join(unique) + ")")
    return out


def filter_query(text: str, found: list[tuple[str, list[str]]]) -> str | None:
    """An FTS5 filter that requires every term of ``text`` (deskcli.search.queries.filter_query)
    where each asked word of a synonym group may be any word of it: ``found`` holds (form
    asked, the phrases of its synonyms). The asked words are cut out of the text and
    required as groups (("登陆" OR "登录" OR "log in")); the rest is required as typed,
    except single Chinese characters left between them (登陆了 → 了), which would be
    prefix queries over the whole index. So 登陆失败 finds "登录失败" and "login 失败".
    Without ``found``, exactly deskcli.search.queries.filter_query."""
    if not found:
        return queries.filter_query(text)
    rest = search.normalize(text)
    groups = []
    for word_form, phrases in found:
        cut = _replace(rest, word_form, ",")
        if cut is None:
            continue
        rest = cut
        own = phrase(word_form) if not word_form.isascii() else f'"{word_form}"'
        alternatives = list(dict.fromkeys(p for p in (own, *phrases) if p))
        groups.append("(" + " OR ".join(alternatives) + ")" if len(alternatives) > 1
                      else alternatives[0])
    if not groups:
        return queries.filter_query(text)
    import re

    rest = re.sub(r"(?<![\u3400-\u9fff])[\u3400-\u9fff](?![\u3400-\u9fff])", " ", rest)
    base = queries.filter_query(rest)
    return " AND ".join(([base] if base else []) + groups)


def _replace(folded: str, word_form: str, other: str) -> str | None:
    """``folded`` with the words of ``word_form`` replaced by ``other``."""
    if not word_form.isascii():
        if word_form in folded:
            return folded.replace(word_form, f" {other} ", 1)
        compact = "".join(folded.split())  # the form was found across a space
        return compact.replace(word_form, f" {other} ", 1) if word_form in compact else None
    import re

    words = list(re.finditer(r"[a-z]+|\d+", folded))
    want = word_form.split()
    stems = [search.stem(m.group()) for m in words]
    for i in range(len(stems) - len(want) + 1):
        if stems[i:i + len(want)] == want:
            start, end = words[i].start(), words[i + len(want) - 1].end()
            return f"{folded[:start]} {other} {folded[end:]}"
    return None
