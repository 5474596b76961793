"""The facts of an optimizer run, each traced to the rows of its run file."""

from __future__ import annotations

import re
from collections import Counter

from assay.report._facts import STAGES, VERDICTS, FactBook, Facts
from assay.report._run_data import RunData
from assay.store import EvaluationRow


def fact_key(text: str) -> str:
    """A label made fit for a fact id (`openai:gpt-4.1` -> `openai_gpt-4.1`)."""
    return re.sub(r"[^\w.\-]", "_", text) or "_"


def _row(e: EvaluationRow) -> str:
    return f"evaluations #{e.id} (candidate {e.candidate_id}, {e.kind})"


def _evaluation(book: FactBook, prefix: str, e: EvaluationRow, what: str) -> None:
    source = _row(e)
    book.add(f"{prefix}.verdict", e.verdict, "text", f"the verdict of {what}", source, VERDICTS)
    if e.speedup is not None:
        book.add(f"{prefix}.speedup", e.speedup, "x", f"the speedup of {what}", source)
    if e.ci_low is not None and e.ci_high is not None:
        book.add(f"{prefix}.ci_low", e.ci_low, "x", f"the low end of the 95% interval of {what}", source)
        book.add(f"{prefix}.ci_high", e.ci_high, "x", f"the high end of the 95% interval of {what}", source)


def run_facts(data: RunData) -> Facts:
    info, config = data.info, data.config
    book = FactBook("run", info.id)
    runs = "runs (the run's row)"
    book.add("run.id", info.id, "text", "the run's id", runs)
    book.add("task.name", info.task_name, "text", "the task's name", runs)
    book.add("task.path", info.task_path, "text", "where the task was", runs)
    book.add("run.seed", info.seed, "id", "the seed of every random choice", runs)
    book.add("run.status", info.status, "text", "how the run ended", runs, ("running", "finished", "failed"))
    book.add("run.stop_reason", info.stop_reason, "text", "why the search stopped", runs)
    book.add("run.elapsed_s", info.elapsed_s, "s", "the run's active time", runs)
    book.add("run.sessions", info.sessions, "count", "the sessions that ran it (a resume adds one)", runs)
    if config is not None:
        cfg = "runs.config"
        book.add("config.proposer", config.proposer, "text", "the proposer", cfg)
        models = ", ".join(m.partition("@")[0].partition("=")[0] for m in config.llm.models) or "none"
        book.add("config.models", models, "text", "the LLMs asked", cfg)
        book.add("config.budget.evals", config.budget.evals, "count", "the evaluation budget", cfg)
        book.add("config.budget.minutes", config.budget.minutes, "min", "the time budget", cfg)
        book.add("config.budget.tokens", config.budget.tokens, "tokens", "the token budget", cfg)
        book.add("config.budget.usd", config.budget.usd, "usd", "the money budget", cfg)
        book.add("config.quick", "quick" if config.eval.quick else "full", "text", "the search's evaluations", cfg)
        book.add("config.confirm", "yes" if config.confirm else "no", "text", "whether the best is confirmed", cfg)
        book.add("config.islands", config.islands, "count", "islands of the program database", cfg)
        book.add("config.max_repairs", config.max_repairs, "count", "repairs allowed per child", cfg)
        book.add("config.parallel", config.parallel, "count", "proposals made at once", cfg)
        book.add("config.crossover_rate", config.crossover_rate, "fraction", "the share of crossover steps", cfg)
        book.add("config.similarity", config.similarity, "fraction", "the near-duplicate threshold", cfg)
        book.add("config.device", config.eval.device, "text", "the device evaluated on", cfg)
    now = "read when the report was made"
    book.add("start.origin", data.start_note, "text", "the starting solution the best is compared with", now)
    work = {True: "declared", False: "none", None: "unknown"}[data.task_work]
    book.add("roofline.task_work", work, "text", "the work per call the task declares", f"task.toml ({now})")
    profile = "measured" if data.machine_profile else "missing"
    book.add("roofline.machine_profile", profile, "text", "this machine's profile (assay machine)", now)
    _tried(book, data)
    _verified(book, data)
    return book.build()


def _tried(book: FactBook, data: RunData) -> None:
    rows = list(data.candidates.values())
    src = "candidates (count of rows)"
    book.add("candidates.total", len(rows), "count", "candidates proposed", src)
    stages = Counter(c.stage for c in rows)
    for stage in STAGES:
        book.add(f"candidates.stage.{stage}", stages.get(stage, 0), "count", f"candidates of stage {stage}", src)
    by = Counter(c.model or c.proposer for c in rows)
    for label, n in sorted(by.items()):
        book.add(f"candidates.by.{fact_key(label)}", n, "count", f"candidates proposed by {label}", src)
    rejected = [c for c in rows if c.status == "rejected"]
    book.add("candidates.rejected", len(rejected), "count", "candidates not evaluated", src)
    no_program = sum(c.source is None for c in rejected)
    book.add("candidates.no_program", no_program, "count", "replies that held no program", src)
    duplicates = sum("near-duplicate" in c.reject_reason for c in rejected)
    book.add("candidates.duplicates", duplicates, "count", "near-duplicates turned away", src)
    evals = "evaluations (kind search)"
    book.add("search.evaluations", len(data.search), "count", "evaluations made during the search", evals)
    verdicts = Counter(e.verdict for e in data.search.values())
    for v in VERDICTS:
        book.add(f"search.verdict.{v}", verdicts.get(v, 0), "count", f"search evaluations judged {v}", evals)
    book.add(
        "confirm.evaluations",
        len(data.confirm),
        "count",
        "fresh full evaluations at the end",
        "evaluations (kind confirm)",
    )
    u = data.usage
    calls = "llm_calls (sums)"
    book.add("llm.calls", u.calls, "count", "LLM calls", calls)
    book.add("llm.tokens", u.tokens, "tokens", "LLM tokens in and out", calls)
    book.add("llm.cost_usd", u.cost_usd, "usd", "LLM cost at the run's prices", calls)


def _verified(book: FactBook, data: RunData) -> None:
    for cid, e in sorted(data.search.items()):
        c = data.candidates.get(cid)
        what = f"candidate {cid}'s search evaluation"
        _evaluation(book, f"cand.{cid}", e, what)
        if c is not None:
            book.add(f"cand.{cid}.stage", c.stage, "text", f"candidate {cid}'s stage", f"candidates #{cid}", STAGES)
        roofline = e.result().roofline
        if roofline is not None and roofline.candidate_fraction is not None:
            book.add(f"cand.{cid}.roofline", roofline.candidate_fraction, "fraction", f"share of the machine's peak "
                     f"reached by candidate {cid}", _row(e))  # fmt: skip
    verified = [e for e in data.search.values() if e.fitness is not None]
    book.add("search.verified", len(verified), "count", "candidates verified during the search", "evaluations")
    with_roofline = sum(f"cand.{e.candidate_id}.roofline" in book for e in verified)
    book.add("roofline.verified", with_roofline, "count", "verified candidates with roofline figures", "evaluations")
    ordered = [(n, entry) for n, entry in enumerate(data.score_log, 1)]
    first = next(((n, s) for n, s in ordered if s.score is not None), None)
    if first is not None:
        src = f"score_log #{first[1].id}"
        book.add("first_verified.eval", first[0], "count", "the evaluation that first verified a candidate", src)
        book.add("first_verified.elapsed_s", first[1].elapsed_s, "s", "when a candidate was first verified", src)
    if data.best is None:
        return
    best, c = data.search[data.best], data.candidates[data.best]
    src = f"candidates #{c.id}"
    book.add("best.candidate", c.id, "id", "the best verified candidate", src)
    book.add("best.stage", c.stage, "text", "the stage that made the best", src, STAGES)
    book.add("best.by", c.model or c.proposer, "text", "who proposed the best", src)
    book.add("best.step", c.step, "id", "the step that made the best", src)
    _evaluation(book, "best", best, "the best candidate's search evaluation")
    result = best.result()
    book.add(
        "best.comparison", result.comparison or "", "text", "faster, slower or no measurable difference", _row(best)
    )
    book.add("best.reference_ms", result.reference_ms, "ms", "the reference's time per call", _row(best))
    book.add("best.candidate_ms", result.candidate_ms, "ms", "the best's time per call", _row(best))
    found = next((n for n, s in ordered if s.evaluation_id == best.id), None)
    if found is not None:
        entry = data.score_log[found - 1]
        book.add("best.found_at_eval", found, "count", "the evaluation that found the best", f"score_log #{entry.id}")
        book.add("best.found_at_s", entry.elapsed_s, "s", "when the best was found", f"score_log #{entry.id}")
    confirmed = data.confirm.get(c.id)
    if confirmed is not None:
        _evaluation(book, "confirm", confirmed, "the best candidate's fresh full evaluation")
    book.add("lineage.length", len(data.lineage), "count", "generations in the best's line", "candidates.parent_ids")
    book.add("lineage.ids", " <- ".join(map(str, data.lineage)), "text", "the best's line", "candidates.parent_ids")
