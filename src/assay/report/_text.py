"""Untrusted text made safe to print: the one function every report uses for what a candidate could write.

`assay._text.plain` removes what could steer a terminal; this adds what rich needs on top: markup
(`[bold green]verified[/]`, or an unbalanced `[/]` that makes rich raise after the run) is escaped.
"""

from __future__ import annotations

import re

from assay._text import plain

# rich reads "[" as a tag when a letter, "#", "/" or "@" follows, and that may come from the next piece of
# text (`f"{a} <- {b}"` with a = "[/" and b = "]"), so every "[" is escaped. A backslash before "[" (ours or
# the text's) changes what rich does with it, so the text's own backslashes are kept apart from the "[" after
# them, and from whatever markup follows the text, by a zero-width space.
_BACKSLASH_BEFORE_BRACKET = re.compile(r"\\(?=\[)")
ZERO_WIDTH_SPACE = "\u200b"


def safe_text(text: object, *, markup: bool = True, one_line: bool = False) -> str:
    """`text` as plain, printable characters; with `markup`, ready to sit inside rich markup.

    Escape sequences and control characters are removed (tab becomes a space; carriage returns and Unicode
    line separators become newlines first, so a `\\r` cannot move the cursor back over a line), lone
    surrogates become U+FFFD, and with `one_line` every newline becomes a space. With `markup`, every "[" is
    escaped and the text's backslashes cannot reach a bracket (a zero-width space keeps them apart), so
    `f"[red]{safe_text(a)} {safe_text(b)}[/] [b]x"` renders `a` and `b` literally whatever they hold. (This is
    rich.markup.escape made safe for text cut at any point: rich's escapes only whole tags.)
    """
    out = plain(text, one_line=one_line)
    if not markup:
        return out
    out = _BACKSLASH_BEFORE_BRACKET.sub("\\\\" + ZERO_WIDTH_SPACE, out).replace("[", "\\[")
    return out + ZERO_WIDTH_SPACE if out.endswith("\\") else out
