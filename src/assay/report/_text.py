"""Untrusted text made safe to print: the one function every report uses for what a candidate could write.

A candidate controls its exception's type name and message, a compiler's output, its thread names, and
through them flag evidence, scan notes and results files; a task file names the task. None of it may steer
the terminal or the report: rich markup (`[bold green]verified[/]`, or an unbalanced `[/]` that makes rich
raise after the run), ANSI escape sequences (cursor moves that overwrite the verdict line), carriage returns
and backspaces, bidirectional overrides that reorder what a person reads, and lone surrogates (which cannot
be encoded, so printing them raises).
"""

from __future__ import annotations

import re

# Escape sequences whole, so that their parameters do not stay behind as text: CSI (ESC [ or U+009B, then
# parameters and one final byte), OSC/DCS/SOS/PM/APC strings up to their terminator (BEL or ST), and the
# two-byte escapes (ESC c, ESC ( B). What is left of a cut-off sequence goes with the control characters.
_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]",
    re.DOTALL,
)
# C0 controls but tab and newline, DEL, C1 controls, bidirectional marks, embeddings, overrides and isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")
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
    out = _SURROGATES.sub("\ufffd", str(text))
    out = _LINE_BREAKS.sub("\n", out)
    out = _ESCAPE_SEQUENCES.sub("", out)
    out = _CONTROLS.sub("", out).replace("\t", " ")
    if one_line:
        out = out.replace("\n", " ")
    if not markup:
        return out
    out = _BACKSLASH_BEFORE_BRACKET.sub("\\\\" + ZERO_WIDTH_SPACE, out).replace("[", "\\[")
    return out + ZERO_WIDTH_SPACE if out.endswith("\\") else out
