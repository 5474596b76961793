"""`build_report` and `write_report`: a run, an environment or a bench file in; a reviewed page out.

What a report folder holds:

    report.html     the page: self-contained, plots inline, no script
    report.md       its Markdown twin, with plots/*.svg
    facts.json      the facts everything was written from (what an LLM narrative is given)
    narrative.md    the narrative, with its citation markers
    review.json     every claim, what each number was traced to, and every finding
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from assay.errors import UserError
from assay.report._claims import Claim
from assay.report._html import render_html
from assay.report._markdown import render_markdown
from assay.report._narrative import llm_narrative, narrative_markdown, parse, template_narrative
from assay.report._page import Figure, Page
from assay.report._review import Checked, Finding, review

REVIEW_VERSION = 1


@dataclass(frozen=True)
class Report:
    page: Page
    checked: tuple[Checked, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.checked for f in c.findings]


class ReviewedClaim(BaseModel):
    section: str
    sentence: str
    cites: list[str]
    traced: dict[str, str | None]  # number as written -> fact id
    findings: list[str]


class ReviewFile(BaseModel):
    """`review.json`."""

    version: int = REVIEW_VERSION
    subject: str
    claims: int
    problems: int
    reviewed: list[ReviewedClaim]


def source_kind(source: str, runs_dir: Path) -> tuple[str, Path]:
    """What `source` names: ("env", state dir), ("bench", results file) or ("run", run file).

    Raises:
        UserError: it names none of them.
    """
    from assay.store import find_run

    path = Path(source)
    if path.is_dir() and (path / "env.json").is_file():
        return "env", path
    if path.suffix == ".jsonl" or (path.is_file() and path.name.endswith(".jsonl")):
        if not path.is_file():
            raise UserError(f"no results file {path}")
        return "bench", path
    try:
        return "run", find_run(source, runs_dir)
    except UserError as exc:
        raise UserError(
            f"{exc}; give a run (id, folder or run.sqlite), an environment's state directory (with env.json) "
            "or a bench results file (.jsonl)"
        ) from None


def load_page(kind: str, path: Path) -> Page:
    """The page of a source, without its narrative."""
    if kind == "env":
        from assay.env import load_run
        from assay.report._env_page import env_facts, env_page

        env_run = load_run(path)
        return env_page(env_run, env_facts(env_run))
    if kind == "bench":
        from assay.report._bench_page import bench_facts, bench_page, load_bench

        bench = load_bench(path)
        return bench_page(bench, bench_facts(bench))
    from assay.report._run_data import load_run_data
    from assay.report._run_facts import run_facts
    from assay.report._run_page import run_page

    data = load_run_data(path)
    return run_page(data, run_facts(data))


def build_report(
    source: str,
    *,
    runs_dir: Path = Path(".assay/runs"),
    model: str | None = None,
    narrative: str | None = None,
    narrative_name: str = "",
) -> Report:
    """Load a run (id or file), an environment (its state directory) or a bench results file (.jsonl), write the
    narrative (`narrative` text as given, else `model`'s, else the template's) and review every claim.

    Raises:
        UserError: the source is not a run, an environment or a results file; a malformed model; no key.
        InfrastructureError: the model gave no reply.
    """
    kind, path = source_kind(source, runs_dir)
    page = load_page(kind, path)
    told: tuple[tuple[str, tuple[Claim, ...]], ...]
    if narrative is not None:
        told, origin = parse(narrative), f"written by hand ({narrative_name or 'given'}), checked by the reviewer"
    elif model is not None:
        told, origin = parse(llm_narrative(page.facts, model)), f"written by {model} from facts.json alone"
    else:
        told, origin = template_narrative(page.facts), "written by a template from facts.json"
    page = Page(page.title, page.subtitle, page.facts, page.sections, told, origin)
    return Report(page, tuple(review(page.facts, page.claim_sections())))


def _figures(page: Page) -> list[Figure]:
    return [b for s in page.sections for b in s.blocks if isinstance(b, Figure)]


def write_report(report: Report, out: Path) -> list[Path]:
    """Write the report's files into `out` (created); returns them, the page first."""
    page = report.page
    (out / "plots").mkdir(parents=True, exist_ok=True)
    files = [out / "report.html", out / "report.md", out / "facts.json", out / "narrative.md", out / "review.json"]
    files[0].write_text(render_html(page, report.checked))
    files[1].write_text(render_markdown(page, report.checked))
    files[2].write_text(page.facts.model_dump_json(indent=1) + "\n")
    files[3].write_text(narrative_markdown(page.narrative))
    reviewed = [
        ReviewedClaim(
            section=c.section,
            sentence=c.claim.text,
            cites=list(c.claim.cites),
            traced={t.number: t.fact for t in c.traces},
            findings=[f"{f.kind}: {f.detail}" for f in c.findings],
        )
        for c in report.checked
    ]
    bad = sum(not c.ok for c in report.checked)
    review_file = ReviewFile(subject=page.facts.subject, claims=len(reviewed), problems=bad, reviewed=reviewed)
    files[4].write_text(review_file.model_dump_json(indent=1) + "\n")
    for figure in _figures(page):
        path = out / "plots" / f"{figure.name}.svg"
        path.write_bytes(figure.svg)
        files.append(path)
    return files
