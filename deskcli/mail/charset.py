"""Reading the bytes of inbound mail as text: declared charsets (with the aliases Chinese
clients need), and an ordered list of fallback charsets (the desk setting mail.charsets)
for 8-bit text that declares none, or declares one it is not written in. Pure: no desk.

Order of trial for one piece of text (a header, a body part, a file name):
  1. the declared charset (GB2312 and GBK are read as GB18030, their superset);
  2. UTF-8 (raw UTF-8 headers are allowed by RFC 6532, and valid UTF-8 is not an accident);
  3. each fallback charset in order -- the first that decodes the bytes into plausible text
     (no private-use, unassigned or control characters) wins, and is recorded as a guess;
     once one has won, it is tried first for the rest of the message (one sender's client
     writes one charset, and the body, read first, is longer than any header);
  4. UTF-8 with the undecodable bytes replaced by U+FFFD (recorded as a guess too).
A multi-byte charset (gb18030, big5, shift_jis) rejects most text that is not its own; a
single-byte one (koi8-r, windows-1251, latin-1) reads any bytes, so list those last.
"""

import re
import unicodedata

CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "csgb2312": "gb18030", "gb_2312-80": "gb18030",
    "windows-936": "gb18030", "ks_c_5601-1987": "cp949", "unicode-1-1-utf-7": "utf-7",
}
DEFAULT_FALLBACKS = ("gb18030", "big5")
ALLOWED_CONTROLS = set("\t\n\r\f")


def charset_name(charset: str | None) -> str | None:
    if not charset:
        return None
    name = str(charset).strip().strip('"').lower()
    return CHARSET_ALIASES.get(name, name)


def check_fallbacks(value: str) -> list[str]:
    """The setting mail.charsets ('gb18030,big5,koi8-r') as codec names; raises ValueError
    naming an unknown charset."""
    import codecs

    names = [charset_name(part) for part in value.split(",") if part.strip()]
    if not names:
        raise ValueError("name at least one charset, e.g. gb18030,big5")
    for name in names:
        try:
            text_codec = getattr(codecs.lookup(name), "_is_text_encoding", True)
        except LookupError:
            text_codec = False
        if not text_codec:
            raise ValueError(f"unknown charset {name!r}")
    return names


def plausible(text: str) -> bool:
    """Text a person wrote: no private-use, unassigned, surrogate or control characters
    (a wrong multi-byte reading of single-byte text often yields them)."""
    for ch in text:
        if ch < " " and ch not in ALLOWED_CONTROLS:
            return False
        if ch >= "\x7f" and unicodedata.category(ch) in ("Co", "Cn", "Cs", "Cc"):
            return False
    return True


class Decoder:
    """Decodes the pieces of one message and remembers where it had to guess."""

    def __init__(self, fallbacks=None):
        names = DEFAULT_FALLBACKS if fallbacks is None else fallbacks
        self.fallbacks = [charset_name(name) for name in names]
        self.guesses: list[dict] = []
        self.preferred: str | None = None

    def text(self, data: bytes, declared: str | None = None, where: str = "text") -> str:
        """Bytes in a declared (possibly wrong, unknown or missing) charset -> text,
        never failing."""
        name = charset_name(declared)
        if name in ("us-ascii", "ascii"):  # the default: 8-bit bytes in it declare nothing
            name = declared = None
        if name:
            try:
                return data.decode(name)
            except (LookupError, ValueError):
                pass
        try:
            text = data.decode("utf-8")  # undeclared, not a guess: RFC 6532 allows it
            if name:
                self._guessed(where, "utf-8", declared)
            return text
        except ValueError:
            pass
        first = [self.preferred] if self.preferred else []
        for candidate in first + [c for c in self.fallbacks if c != self.preferred]:
            if candidate == name:
                continue
            try:
                text = data.decode(candidate)
            except (LookupError, ValueError):
                continue
            if plausible(text):
                self._guessed(where, candidate, declared)
                self.preferred = candidate
                return text
        self._guessed(where, "utf-8, undecodable bytes replaced", declared)
        return data.decode("utf-8", errors="replace")

    def _guessed(self, where: str, charset: str, declared: str | None) -> None:
        guess = {"part": where, "charset": charset, "declared": declared or None}
        if guess not in self.guesses:
            self.guesses.append(guess)

    def header(self, raw: str | None, where: str) -> str:
        """A raw header value (encoded words, or raw 8-bit bytes) -> unfolded text."""
        from email.header import decode_header

        if not raw:
            return ""
        raw = self.raw_bytes(raw, where)
        raw = re.sub(r"\r?\n[ \t]+", " ", raw)
        if "=?" not in raw:
            return raw.strip()
        try:
            chunks = decode_header(raw)
        except Exception:  # noqa: BLE001 - a malformed encoded word: keep the raw text
            return raw.strip()
        out = []
        for chunk, charset in chunks:
            out.append(chunk if isinstance(chunk, str) else
                       self.text(chunk, charset or "ascii", where))
        return "".join(out).strip()

    def raw_bytes(self, value: str, where: str) -> str:
        """A header as the parser kept it: raw 8-bit bytes (surrogate escapes) decoded."""
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            return self.text(value.encode("ascii", "surrogateescape"), None, where)
        return value
