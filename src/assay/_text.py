"""Untrusted text (a candidate's exception, a compiler's output, a task's name) made plain: the one place that
decides what of it survives. Storing code keeps `clean` text; printing code escapes markup on top of it
(`assay.report.safe_text`).

A candidate controls its exception's type name and message, a compiler's output, its thread names, and through
them flag evidence, scan notes and results files. None of it may steer a terminal or a parser: ANSI escape
sequences (cursor moves that overwrite the verdict line), carriage returns and backspaces, bidirectional
overrides that reorder what a person reads, and lone surrogates (which cannot be encoded, so printing or
serializing them raises).
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

# A load_inline failure starts with the compiler's command line and ends with its error: keep both ends.
DETAIL_HEAD = 300
DETAIL_TAIL = 1200


def plain(text: object, *, one_line: bool = False) -> str:
    """`text` as printable characters: escape sequences and control characters removed (tab becomes a space;
    carriage returns and Unicode line separators become newlines first, so a `\\r` cannot move the cursor back
    over a line), lone surrogates replaced by U+FFFD; with `one_line`, newlines become spaces."""
    out = _SURROGATES.sub("\ufffd", str(text))
    out = _LINE_BREAKS.sub("\n", out)
    out = _ESCAPE_SEQUENCES.sub("", out)
    out = _CONTROLS.sub("", out).replace("\t", " ")
    return out.replace("\n", " ") if one_line else out


def head_and_tail(text: str, head: int = DETAIL_HEAD, tail: int = DETAIL_TAIL) -> str:
    """`text` whole when short; else its first `head` and last `tail` characters, saying how much was cut."""
    if len(text) <= head + tail:
        return text
    return f"{text[:head]} ... ({len(text) - head - tail} characters cut) ... {text[len(text) - tail :]}"


def clean(text: object, head: int = DETAIL_HEAD, tail: int = DETAIL_TAIL) -> str:
    """Untrusted text as a result may store it: `plain`, then cut to its two ends."""
    return head_and_tail(plain(text), head, tail)
