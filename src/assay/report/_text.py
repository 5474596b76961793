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

from rich.markup import escape

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
# Backslashes before a "[" that rich would not read as a tag: rich drops one of them ("\\[" renders "["), so
# one more keeps them all. Brackets that look like tags are rich.markup.escape's (the same pattern).
_BACKSLASHES_BEFORE_TEXT_BRACKET = re.compile(r"(\\+)(?=\[(?![a-z#/@][^\[]*?\]))")


def safe_text(text: object, *, markup: bool = True, one_line: bool = False) -> str:
    """`text` as plain, printable characters; with `markup`, ready to sit inside rich markup.

    Escape sequences and control characters are removed (tab becomes a space; carriage returns and Unicode
    line separators become newlines first, so a `\\r` cannot move the cursor back over a line), lone
    surrogates become U+FFFD, and with `one_line` every newline becomes a space. With `markup`, square
    brackets that rich would read as tags are escaped, and a trailing backslash cannot swallow the tag that
    follows (it gets a zero-width space after it), so `f"[red]{safe_text(s)}[/] [b]x"` renders `s` literally.
    """
    out = _SURROGATES.sub("\ufffd", str(text))
    out = _LINE_BREAKS.sub("\n", out)
    out = _ESCAPE_SEQUENCES.sub("", out)
    out = _CONTROLS.sub("", out).replace("\t", " ")
    if one_line:
        out = out.replace("\n", " ")
    if not markup:
        return out
    out = escape(_BACKSLASHES_BEFORE_TEXT_BRACKET.sub(r"\1\\", out))
    # Trailing backslashes would escape (or halve before) whatever markup comes next: a zero-width space
    # keeps them apart from it.
    return out + "\u200b" if out.endswith("\\") else out
