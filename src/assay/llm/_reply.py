"""Turning a reply into a program: SEARCH/REPLACE edits applied to the parent, or a whole file in a fenced block.

A reply is untrusted text: nothing here can raise on it. What cannot be turned into a program comes back as an
error sentence (recorded, and it costs the step one attempt).
"""

from __future__ import annotations

import re

_EDIT = re.compile(
    r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*\n(.*?)^[ \t]*={5,9}[ \t]*\n(.*?)^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
_FENCE = re.compile(
    r"^[ \t]*```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.DOTALL | re.MULTILINE
)


def extract_program(reply: str, base: str | None) -> tuple[str | None, str]:
    """The program a reply gives (None, with the reason, when it gives none). `base` is the program edits
    apply to: the parent for evolve and crossover, the failed child for repair, None for translation."""
    if not reply.strip():
        return None, "the reply was empty"
    edits = _EDIT.findall(reply)
    if edits:
        if base is None:
            return None, "the reply has SEARCH/REPLACE edits but there is no parent program to edit"
        return apply_edits(base, edits)
    blocks = [b for b in _FENCE.findall(reply) if b.strip()]
    if blocks:
        with_model = [b for b in blocks if "ModelNew" in b]
        return (with_model or sorted(blocks, key=len))[-1].rstrip() + "\n", ""
    if "class ModelNew" in reply:
        return reply.strip() + "\n", ""  # a bare file with no fence
    return None, "the reply has neither a ```python block nor SEARCH/REPLACE edits"


def apply_edits(base: str, edits: list[tuple[str, str]]) -> tuple[str | None, str]:
    """Apply each edit to the first place its SEARCH text occurs; failing that, to lines that match once
    trailing whitespace and indentation width are ignored (a common slip in replies)."""
    text = base
    for n, (search, replace) in enumerate(edits, 1):
        if not search.strip():
            return None, f"edit {n} has an empty SEARCH part"
        at = _line_aligned(text, search)
        if at >= 0:
            text = text[:at] + replace + text[at + len(search) :]
            continue
        spliced = _loose_replace(text, search, replace)
        if spliced is None:
            first = search.strip().splitlines()[0][:80]
            return None, f"edit {n}: its SEARCH text (starting {first!r}) is not in the parent program"
        text = spliced
    return text, ""


def _line_aligned(text: str, search: str) -> int:
    """Where `search` occurs as whole lines (a match in the middle of a line would splice code into it); -1 if
    nowhere."""
    at = text.find(search)
    while at >= 0:
        end = at + len(search)
        if (at == 0 or text[at - 1] == "\n") and (search.endswith("\n") or end == len(text) or text[end] == "\n"):
            return at
        at = text.find(search, at + 1)
    return -1


def _loose_replace(text: str, search: str, replace: str) -> str | None:
    lines = text.splitlines(keepends=True)
    wanted = [line.strip() for line in search.strip("\n").splitlines()]
    for start in range(len(lines) - len(wanted) + 1):
        if [line.strip() for line in lines[start : start + len(wanted)]] == wanted:
            replacement = replace if replace.endswith("\n") or not replace else replace + "\n"
            return "".join(lines[:start]) + replacement + "".join(lines[start + len(wanted) :])
    return None


def describe(reply: str) -> str:
    """The reply's first line of prose (before any code): what the model says it changed."""
    for line in reply.splitlines():
        line = line.strip()
        if line.startswith(("```", "<<<<<<<")):
            break
        if line:
            return line[:200]
    return ""
