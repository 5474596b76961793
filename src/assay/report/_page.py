"""A report as data: sections of prose (claims), tables, figures and diffs. The HTML page and its Markdown twin
are two renderings of one `Page`, and the reviewer reads the claims of the same one."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from assay._text import plain
from assay.report._claims import Claim
from assay.report._facts import Facts


@dataclass(frozen=True)
class Prose:
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Table:
    """Cells are plain text (escaped by the renderers); values come from the same stored rows as the facts."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    folded: bool = False  # shown behind its caption (an HTML <details>), for long reference tables


@dataclass(frozen=True)
class Figure:
    name: str  # file stem for the Markdown twin's copy
    title: str
    svg: bytes
    caption: str = ""


@dataclass(frozen=True)
class Diff:
    """A unified diff as (kind, line) with kind add, del, hunk, head or context."""

    title: str
    lines: tuple[tuple[str, str], ...]


Block = Prose | Table | Figure | Diff


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    facts: Facts
    sections: tuple[Section, ...]
    narrative: tuple[tuple[str, tuple[Claim, ...]], ...] = ()
    narrative_source: str = ""  # "template", "model openai:...", "file notes.md"
    notes: tuple[str, ...] = field(default_factory=tuple)  # about the report itself (not claims about the run)

    def claim_sections(self) -> list[tuple[str, tuple[Claim, ...]]]:
        """Every claim on the page, by section: the page's own prose, then the narrative's."""
        own = [(s.title, tuple(c for b in s.blocks if isinstance(b, Prose) for c in b.claims)) for s in self.sections]
        told = [(f"Narrative: {title}", claims) for title, claims in self.narrative]
        return [(title, claims) for title, claims in own + told if claims]


def unified_diff(before: str, after: str, before_name: str, after_name: str) -> tuple[tuple[str, str], ...]:
    """The diff of two sources as kinds and lines (plain text: the lines may hold anything a candidate wrote)."""
    lines = difflib.unified_diff(
        plain(before).splitlines(), plain(after).splitlines(), before_name, after_name, lineterm="", n=3
    )
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        out.append((kind, line))
    return tuple(out)
