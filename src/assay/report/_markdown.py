"""The Markdown twin of the page: the same sections, claims with their citations as `[@fact]` markers (so the
reviewer can read it back), tables, the diff in a fence, and the plots as SVG files beside it.

Text from the data is made plain and escaped: HTML's `<`, `>` and `&` become entities (a Markdown viewer renders
inline HTML), Markdown's own punctuation gets a backslash, and a fence is longer than any run of backticks in
the code it holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay._text import plain
from assay.report._page import Diff, Figure, Page, Prose, Table
from assay.report._review import Checked

_ESCAPE = re.compile(r"([\\`*_\[\]|~])")


def md_text(text: object) -> str:
    """Untrusted text as inert inline Markdown."""
    out = plain(text, one_line=True).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ESCAPE.sub(r"\\\1", out)


def _claim(c: Checked) -> str:
    text = md_text(c.claim.text)
    marks = f" [{', '.join('@' + f for f in c.claim.cites)}]" if c.claim.cites else ""
    if c.ok:
        return f"{text}{marks}"
    problems = "; ".join(md_text(f"{f.kind}: {f.detail}") for f in c.findings)
    return f"**{text}**{marks} *(⚠ {problems})*"


def _table(t: Table) -> list[str]:
    lines = [f"*{md_text(t.caption)}*", ""] if t.caption else []
    lines.append("| " + " | ".join(md_text(c) for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines += ["| " + " | ".join(md_text(c) for c in row) + " |" for row in t.rows]
    return [*lines, ""]


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(page: Page, checked: Sequence[Checked], figures_dir: str = "plots") -> str:
    """The twin; `checked` holds the review of `page.claim_sections()` in order. Figures are referenced as
    `figures_dir/<name>.svg` (the caller writes them)."""
    queue = list(checked)
    out = [f"# {md_text(page.title)}", "", md_text(page.subtitle), ""]
    bad = [c for c in checked if not c.ok]
    if bad:
        out += [f"**Review: {len(bad)} of {len(checked)} claims could not be traced to the stored facts.**", ""]
    else:
        out += [f"Review: every one of {len(checked)} claims is traced to the stored facts (`facts.json`).", ""]

    def take(n: int) -> list[str]:
        taken, queue[:n] = queue[:n], []
        return [_claim(c) for c in taken]

    for s in page.sections:
        out += [f"## {md_text(s.title)}", ""]
        for b in s.blocks:
            if isinstance(b, Prose):
                out += [" ".join(take(len(b.claims))), ""]
            elif isinstance(b, Figure):
                caption = f": {b.caption}" if b.caption else ""
                out += [f"![{md_text(b.title)}]({figures_dir}/{b.name}.svg)", "", f"*{md_text(b.title + caption)}*", ""]
            elif isinstance(b, Table):
                out += _table(b)
            elif isinstance(b, Diff):
                lines = [plain(line) for _, line in b.lines]
                fence = _fence(lines)
                out += [f"{fence}diff", *lines, fence, ""]
    if page.narrative:
        out += ["## Narrative", "", f"*{md_text(page.narrative_source)}*", ""]
        for title, claims in page.narrative:
            out += [f"### {md_text(title)}", "", " ".join(take(len(claims))), ""]
    out += ["## Review", ""]
    problems = [f for c in checked for f in c.findings]
    if problems:
        out += [f"- **{f.kind}** ({md_text(f.section)}): {md_text(f.sentence)}: {md_text(f.detail)}" for f in problems]
    else:
        out.append("Every sentence cites stored facts, and every number matches its fact within its rounding.")
    return "\n".join(out).rstrip() + "\n"
