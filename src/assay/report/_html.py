"""The HTML page: one self-contained file (styles inline, plots as data URIs, no script, no network).

Jinja2 with autoescape renders it, so every string from the data (a candidate's description or error, a task
name, an LLM's narrative) is escaped wherever it lands; nothing is marked safe. The Content-Security-Policy
allows no script and no fetch at all: images only from data URIs, styles only inline.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from importlib import resources
from typing import Any

from assay.report._page import Diff, Figure, Page, Prose, Table
from assay.report._review import Checked

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

TEMPLATE = "page.html"  # beside this module (package data)


def _claims(checked: Sequence[Checked], facts: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for c in checked:
        traced = ", ".join(f"{t.number} <- {t.fact}" for t in c.traces if t.fact) or ", ".join(c.claim.cites)
        out.append(
            {
                "text": c.claim.text,
                "cites": [(facts.get(f, 0), f) for f in c.claim.cites],
                "ok": c.ok,
                "traced": traced,
                "findings": [f"{f.kind}: {f.detail}" for f in c.findings],
            }
        )
    return out


def render_html(page: Page, checked: Sequence[Checked]) -> str:
    """The page; `checked` holds the review of `page.claim_sections()`, in that order."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    known = {f.id: n for n, f in enumerate(page.facts.facts, 1)}
    queue = list(checked)

    def take(n: int) -> list[dict[str, Any]]:
        taken, queue[:n] = queue[:n], []
        return _claims(taken, known)

    sections = []
    for s in page.sections:
        blocks: list[dict[str, Any]] = []
        for b in s.blocks:
            if isinstance(b, Prose):
                blocks.append({"kind": "prose", "claims": take(len(b.claims))})
            elif isinstance(b, Figure):
                data = base64.b64encode(b.svg).decode()
                blocks.append({"kind": "figure", "title": b.title, "caption": b.caption, "data": data})
            elif isinstance(b, Table):
                blocks.append(
                    {"kind": "table", "columns": b.columns, "rows": b.rows, "caption": b.caption, "folded": b.folded}
                )
            elif isinstance(b, Diff):
                blocks.append({"kind": "diff", "lines": b.lines})
        sections.append({"id": s.id, "title": s.title, "note": "", "blocks": blocks})
    if page.narrative:
        blocks = []
        for title, claims in page.narrative:
            blocks += [{"kind": "subhead", "title": title}, {"kind": "prose", "claims": take(len(claims))}]
        sections.append({"id": "narrative", "title": "Narrative", "note": page.narrative_source, "blocks": blocks})
    problems = [f for c in checked for f in c.findings]
    template = resources.files("assay.report").joinpath(TEMPLATE).read_text(encoding="utf-8")
    return env.from_string(template).render(
        csp=_CSP,
        title=page.title,
        subtitle=page.subtitle,
        sections=sections,
        problems=problems,
        claims=len(checked),
        bad=sum(not c.ok for c in checked),
        facts=page.facts.facts,
    )
