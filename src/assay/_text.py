"""Text that came from a candidate (exception messages, output descriptions), made safe to store and print.

A candidate's text reaches results, logs and terminals. It may carry control characters (ANSI escapes that
move the cursor or recolour a line, carriage returns that overwrite it), lone surrogates that no encoder
accepts, and any length. `clean` keeps what a person needs to act on a failure and drops the rest; printing
code escapes markup on top of this (a rich tag is printable text, not a control character).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(text: object, limit: int = 2000) -> str:
    """`text` as a string without control characters (tabs and newlines kept), bidirectional overrides or lone
    surrogates, at most `limit` characters: the head and the tail, where compilers put their command line and
    their error."""
    value = text if isinstance(text, str) else str(text)
    value = _SURROGATE.sub("\ufffd", _CONTROL.sub("\ufffd", value))
    if len(value) <= limit:
        return value
    head = limit // 4
    tail = limit - head - 7
    return value[:head] + " [...] " + value[-tail:]
