"""The Porter2 (Snowball English) stemmer, used by deskcli.search.tokens for English words.

Kept, not snowballstemmer or PyStemmer (issue 11; measured 2026-12-04 on 123,578 distinct
words from the Python library, its docs and site-packages): both libraries (3.1) follow
Snowball 3's revised English stemmer and give another stem for 47 of those words (added,
adding -> 'add', not 'ad'; atlas, bias, cosmos kept whole; emergency -> 'emergenc'), so a
switch changes the tokens of the full-text indexes and every desk would need `deskcli db
reindex` (the index_text version would go up). The gain would be speed: 1.2 µs a word in
either against 6.8 µs here, while search.stem() caches the stems of a vocabulary (a desk
uses a few thousand words), and imports of 1.1 ms (snowballstemmer) or 0.9 ms (PyStemmer,
C) against 2.6 ms for this module, loaded only for words that need stemming.
"""

# -- Porter2 ---------------------------------------------------------------------------
# The Snowball English stemmer (https://snowballstem.org/algorithms/english/stemmer.html),
# written out so that the search core needs nothing outside the standard library.

_PORTER_EXCEPTIONS = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
    "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
    "singly": "singl",
}  # fmt: skip
_PORTER_STOP_AFTER_1A = frozenset(
    "inning outing canning herring earring proceed exceed succeed".split()
)
_VOWELS = frozenset("aeiouy")
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_STEP1B = ("eedly", "ingly", "edly", "eed", "ing", "ed")
_STEP2 = (
    ("ization", "ize"), ("ational", "ate"), ("fulness", "ful"), ("ousness", "ous"),
    ("iveness", "ive"), ("tional", "tion"), ("biliti", "ble"), ("lessli", "less"),
    ("entli", "ent"), ("ation", "ate"), ("alism", "al"), ("aliti", "al"), ("ousli", "ous"),
    ("iviti", "ive"), ("fulli", "ful"), ("enci", "ence"), ("anci", "ance"),
    ("abli", "able"), ("izer", "ize"), ("ator", "ate"), ("alli", "al"), ("bli", "ble"),
    ("ogi", "og"), ("li", ""),
)  # fmt: skip
_STEP3 = (
    ("ational", "ate"), ("tional", "tion"), ("alize", "al"), ("icate", "ic"),
    ("iciti", "ic"), ("ative", ""), ("ical", "ic"), ("ness", ""), ("ful", ""),
)  # fmt: skip
_STEP4 = (
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti",
    "ous", "ive", "ize", "ion", "al", "er", "ic",
)  # fmt: skip


def _region(w: str, start: int) -> int:
    """Start of the region after the first non-vowel that follows a vowel."""
    for i in range(start + 1, len(w)):
        if w[i] not in _VOWELS and w[i - 1] in _VOWELS:
            return i + 1
    return len(w)


def _short_syllable_at_end(w: str) -> bool:
    if len(w) == 2:
        return w[0] in _VOWELS and w[1] not in _VOWELS
    return (
        len(w) > 2
        and w[-3] not in _VOWELS
        and w[-2] in _VOWELS
        and w[-1] not in _VOWELS
        and w[-1] not in "wxY"
    )


def porter2(w: str) -> str:
    """Porter2 on a lower-case ASCII word of 3+ letters (not an exception)."""
    if w in _PORTER_EXCEPTIONS:
        return _PORTER_EXCEPTIONS[w]
    # A y that acts as a consonant becomes Y, which is not a vowel.
    chars = list(w)
    for i, ch in enumerate(chars):
        if ch == "y" and (i == 0 or chars[i - 1] in _VOWELS):
            chars[i] = "Y"
    w = "".join(chars)
    for prefix in ("gener", "commun", "arsen"):
        if w.startswith(prefix):
            r1 = len(prefix)
            break
    else:
        r1 = _region(w, 0)
    r2 = _region(w, r1)

    # Step 1a: plurals.
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ied", "ies")):
        w = w[:-2] if len(w) > 4 else w[:-1]
    elif w.endswith(("us", "ss")):
        pass
    elif w.endswith("s") and any(c in _VOWELS for c in w[:-2]):
        w = w[:-1]
    if w in _PORTER_STOP_AFTER_1A:
        return w

    # Step 1b: -ed, -ing.
    for suffix in _STEP1B:
        if w.endswith(suffix):
            base = w[: -len(suffix)]
            if suffix.startswith("ee"):
                if len(base) >= r1:
                    w = base + "ee"
            elif any(c in _VOWELS for c in base):
                w = base
                if w.endswith(("at", "bl", "iz")):
                    w += "e"
                elif w.endswith(_DOUBLES):
                    w = w[:-1]
                elif r1 >= len(w) and _short_syllable_at_end(w):
                    w += "e"
            break

    # Step 1c: a final y after a consonant (not the first letter) becomes i.
    if len(w) > 2 and w[-1] in "yY" and w[-2] not in _VOWELS:
        w = w[:-1] + "i"

    # Steps 2 and 3: the longest matching suffix, replaced if it lies in R1.
    for table in (_STEP2, _STEP3):
        for suffix, repl in table:
            if w.endswith(suffix):
                at = len(w) - len(suffix)
                if at >= r1:
                    if suffix == "ogi" and w[at - 1 : at] != "l":
                        break
                    if suffix == "li" and w[at - 1 : at] not in tuple("cdeghkmnrt"):
                        break
                    if suffix == "ative" and at < r2:
                        break
                    w = w[:at] + repl
                break

    # Step 4: suffixes deleted when they lie in R2.
    for suffix in _STEP4:
        if w.endswith(suffix):
            at = len(w) - len(suffix)
            if at >= r2 and (suffix != "ion" or w[at - 1 : at] in ("s", "t")):
                w = w[:at]
            break

    # Step 5: a final e or double l.
    if w.endswith("e"):
        at = len(w) - 1
        if at >= r2 or (at >= r1 and not _short_syllable_at_end(w[:-1])):
            w = w[:-1]
    elif w.endswith("ll") and len(w) - 1 >= r2:
        w = w[:-1]
    return w.replace("Y", "y")
