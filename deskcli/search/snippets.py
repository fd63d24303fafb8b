"""Snippets: a piece of a text around the best match of a query, matches marked, for
`faq search` and the suggestions. Split from deskcli.search.tokens (tokenising) and queries."""

from deskcli.search.queries import _is_cjk, _query_terms
from deskcli.search.tokens import _L, _Lazy, normalize, stem


def _fold_same_length(text: str) -> str:
    """normalize() character by character, keeping positions (for snippets)."""
    if text.isascii():
        return text.lower()
    whole = normalize(text)
    if len(whole) == len(text):
        # The usual case (NFKC, the Chinese table and lower() all kept one character for
        # one): folding the whole text at once is about 20 times faster.
        return whole
    out = []
    for ch in text:
        folded = normalize(ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _match_spans(folded: str, query: str | None) -> list[tuple[int, int, int]]:
    """(start, end, term number) of each place in ``folded`` where a query term occurs."""
    lazy = _L()
    found, singles, _runs = _query_terms(query)
    spans: list[tuple[int, int, int]] = []
    latin: dict[str, int] = {}
    needles: list[str] = [] if found else list(singles)
    for surface, tokens in found:
        if _is_cjk(surface):  # a CJK piece
            # The piece where it occurs verbatim, else its bigrams.
            needles.extend([surface] if surface in folded else tokens)
        else:
            for tok in tokens:
                latin.setdefault(tok, len(latin))
    for number, needle in enumerate(dict.fromkeys(needles), start=len(latin)):
        at = folded.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle), number))
            at = folded.find(needle, at + len(needle))
    if latin:
        for start, word in _latin_pieces(lazy, folded):
            number = latin.get(stem(word) if word.isalpha() else word)
            if number is not None:
                spans.append((start, start + len(word), number))
    spans.sort()
    return spans


def _latin_pieces(lazy: _Lazy, text: str) -> list[tuple[int, str]]:
    """(offset, word) of the Latin words and numbers of ``text``, outside CJK runs."""
    found: list[tuple[int, str]] = []
    pos = 0
    for i, part in enumerate(lazy.cjk_split(text)):
        if not i % 2:
            found.extend((pos + m.start(), m.group()) for m in lazy.piece.finditer(part))
        pos += len(part)
    return found


def snippet(
    text: str | None, query: str | None, width: int = 60, mark: tuple[str, str] = ("[", "]")
) -> str:
    """A piece of the original ``text`` of about ``width`` characters around the best
    match of ``query``, with each match wrapped in ``mark`` (``[`` ``]``; the CLI may
    colour them) and … where the text was cut. Whitespace runs become one space.

    FTS5's own snippet() would show index tokens (学员 员登 登录), hence this. The best
    window is the one that covers the most different query terms; the text before the
    first match is kept short so the match is near the start. Without any match, the
    start of the text.
    """
    flat = " ".join((text or "").split())
    spans = _match_spans(_fold_same_length(flat), query)
    start, end = 0, min(len(flat), width)
    if len(flat) > width and spans:
        best = (-1, 0, 0)
        for i, (s, _e, _n) in enumerate(spans):
            inside = [sp for sp in spans[i:] if sp[1] <= s + width]
            score = len({n for _s, _e2, n in inside})
            if score > best[0]:
                best = (score, s, max(e for _s, e, _n in inside))
        _score, first, last = best
        # Some context before the match: a quarter of what the matches leave over.
        start = max(0, min(first - (width - (last - first)) // 4, len(flat) - width))
        stop = max(flat.rfind(p, start, first) for p in "。！？；，.!?;,")
        if stop >= 0:
            # Start at a clause when one begins between the cut and the match.
            start = stop + 1 + (flat[stop + 1 : stop + 2] == " ")
        elif start and flat[start - 1].isalnum() and flat[start].isascii():
            # Do not cut an English word in two: start at its beginning.
            start = flat.rfind(" ", max(0, start - 15), start) + 1 or start
        end = min(len(flat), start + width)
        if end < len(flat) and flat[end - 1].isascii() and flat[end].isalnum():
            space = flat.rfind(" ", last, end)
            end = space if space > 0 else end
    out = ["…"] if start > 0 else []
    pos = start
    for s, e, _n in spans:
        s, e = max(s, pos), min(e, end)
        if s >= e:
            continue
        out += [flat[pos:s], mark[0], flat[s:e], mark[1]]
        pos = e
    out.append(flat[pos:end])
    if end < len(flat):
        out.append("…")
    return "".join(out)
