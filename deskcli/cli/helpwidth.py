"""--help measured in display columns. click wraps help text by characters, so a line
with Chinese (two columns a character) could run past 80 columns; while click wraps, each
wide character is followed by an invisible mark (one more character), removed after."""

MARK = "\u2060"  # WORD JOINER: not whitespace, so textwrap never breaks at it


def install(click) -> None:
    """Make click's wrap_text (help paragraphs, option help) count wide characters twice."""
    formatting = click.formatting
    original = formatting.wrap_text
    if getattr(original, "counts_wide", False):
        return

    def wrap_text(text, *args, **kwargs):
        if text.isascii():
            return original(text, *args, **kwargs)
        import unicodedata

        padded = "".join(ch + MARK if unicodedata.east_asian_width(ch) in "WF" else ch
                         for ch in text)
        return original(padded, *args, **kwargs).replace(MARK, "")

    wrap_text.counts_wide = True
    formatting.wrap_text = wrap_text
