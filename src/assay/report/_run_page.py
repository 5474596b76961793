"""The report of an optimizer run: what was asked, what was tried, what was verified, the best's lineage, its
roofline position and its diff against the starting solution."""

from __future__ import annotations

from assay.report._claims import prose
from assay.report._facts import Facts
from assay.report._page import Diff, Figure, Page, Prose, Section, Table, unified_diff
from assay.report._plots import Node, Point, lineage_plot, progress_plot, roofline_plot, verdict_plot
from assay.report._run_data import RunData
from assay.store import EvaluationRow


def _x(e: EvaluationRow | None) -> str:
    if e is None or e.speedup is None:
        return ""
    ci = f" [{e.ci_low:.3f}, {e.ci_high:.3f}]" if e.ci_low is not None and e.ci_high is not None else ""
    return f"{e.speedup:.3f}x{ci}"


def _asked(data: RunData, facts: Facts) -> Section:
    claims = prose(
        facts,
        "Run {run.id} searched for a faster ModelNew for the task {task.name} ({task.path}).",
        "Candidates came from the {config.proposer} proposer; the LLMs asked were: {config.models}.",
        "The budget was at most {config.budget.evals} evaluations.",
        "The budget was at most {config.budget.minutes:g} minutes.",
        "The budget was at most {config.budget.tokens:,} tokens.",
        "The budget was at most ${config.budget.usd:.2f}.",
        "Evaluations during the search used the {config.quick} protocol; a fresh full evaluation of the best at "
        "the end: {config.confirm}.",
        "The run is {run.status} after {run.elapsed_s!m:.1f} min of active time in {run.sessions} session(s), "
        "and stopped because: {run.stop_reason}.",
    )
    settings = data.config.model_dump(mode="json", exclude={"llm"}) if data.config else {}
    rows = tuple((k, str(v)) for k, v in _flatten(settings))
    return Section(
        "asked", "What was asked", (Prose(claims), Table(("setting", "value"), rows, "the run's settings", folded=True))
    )


def _flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flatten(v, f"{prefix}{k}.")]
    return [(prefix.rstrip("."), value)]


def _tried(data: RunData, facts: Facts) -> Section:
    claims = prose(
        facts,
        "{candidates.total} candidates were proposed: {candidates.stage.translate} translations, "
        "{candidates.stage.evolve} evolutions, {candidates.stage.crossover} crossovers and "
        "{candidates.stage.repair} repairs.",
        "{candidates.rejected} were not evaluated: {candidates.no_program} replies held no program and "
        "{candidates.duplicates} were near-duplicates of a program already evaluated.",
        "The LLMs were called {llm.calls} times, for {llm.tokens:,} tokens and ${llm.cost_usd:.4f}.",
    )
    rows = []
    for c in data.candidates.values():
        e = data.search.get(c.id)
        verdict = e.verdict if e else c.status
        note = (
            c.reject_reason if c.status == "rejected" else (e.result().message if e and e.verdict != "verified" else "")
        )
        parents = ", ".join(map(str, c.parent_ids))
        row = (str(c.id), str(c.step), str(c.attempt), c.stage, c.model or c.proposer, parents, verdict, _x(e))
        rows.append((*row, c.description, note))
    counts = {v: 0 for v in ("verified", "incorrect", "crashed", "flagged", "timeout", "limit")}
    for e in data.search.values():
        counts[e.verdict] = counts.get(e.verdict, 0) + 1
    counts["rejected"] = sum(c.status == "rejected" for c in data.candidates.values())
    figure = Figure("verdicts", "Verdicts", verdict_plot(counts, "verdicts of the search's evaluations"),
                    "rejected: proposals not evaluated (no program, a syntax error, a near-duplicate)")  # fmt: skip
    columns = ("id", "step", "attempt", "stage", "by", "parents", "verdict", "speedup [95% CI]", "description", "note")
    return Section("tried", "What was tried", (Prose(claims), figure, Table(columns, tuple(rows), "every candidate")))


def _verified(data: RunData, facts: Facts) -> Section:
    claims = prose(
        facts,
        "The search made {search.evaluations} evaluations: {search.verdict.verified} verified, "
        "{search.verdict.incorrect} incorrect, {search.verdict.crashed} crashed, {search.verdict.flagged} flagged, "
        "{search.verdict.timeout} timed out and {search.verdict.limit} hit a limit.",
        "The best verified candidate is candidate {best.candidate} ({best.stage}, by {best.by}): "
        "{best.speedup:.3f}x, 95% CI [{best.ci_low:.3f}, {best.ci_high:.3f}] in the search ({best.comparison}).",
        "It was found by evaluation {best.found_at_eval}, after {best.found_at_s!m:.1f} min.",
        "Its time per call was {best.candidate_ms:.4f} ms against the reference's {best.reference_ms:.4f} ms.",
    )
    if "confirm.ci_low" in facts:
        claims += prose(facts, "A fresh full evaluation of it found it {confirm.verdict}: {confirm.speedup:.3f}x, "
                               "95% CI [{confirm.ci_low:.3f}, {confirm.ci_high:.3f}].")  # fmt: skip
    else:
        claims += prose(facts, "A fresh full evaluation of it found it {confirm.verdict}.")
    if "best.candidate" not in facts:
        claims += prose(facts, ("No candidate was verified, so the run has no best candidate.", ("search.verified",)))
    log = data.score_log
    by_eval = {e.id: e for e in [*data.search.values(), *data.confirm.values()]}
    search_log = [(s, by_eval[s.evaluation_id]) for s in log if s.evaluation_id in by_eval]
    search_log = [(s, e) for s, e in search_log if e.kind == "search"]
    timed = [Point(s.elapsed_s / 60, e.verdict, e.speedup, e.ci_low, e.ci_high) for s, e in search_log]
    counted = [Point(n, e.verdict, e.speedup, e.ci_low, e.ci_high) for n, (_, e) in enumerate(search_log, 1)]
    figures = (
        Figure("progress-time", "Best verified speedup against wall time",
               progress_plot(timed, "active time (minutes)", "best verified speedup against time")),
        Figure("progress-evals", "Best verified speedup against evaluations",
               progress_plot(counted, "evaluations", "best verified speedup against evaluations")),
    )  # fmt: skip
    rows = []
    for n, s in enumerate(log, 1):
        e = by_eval.get(s.evaluation_id)
        c = data.candidates.get(s.candidate_id)
        stage = "confirm" if e is not None and e.kind == "confirm" else (c.stage if c else "")
        best = f"{s.best:.3f}x" if s.best is not None else ""
        rows.append((str(n), f"{s.elapsed_s:.0f} s", str(s.candidate_id), stage, e.verdict if e else "", _x(e), best))
    columns = ("#", "time", "candidate", "stage", "verdict", "speedup [95% CI]", "best low end so far")
    return Section(
        "verified",
        "What was verified",
        (Prose(claims), *figures, Table(columns, tuple(rows), "the score log", folded=True)),
    )


def _ancestry(data: RunData) -> list[int]:
    """The best and every ancestor through any parent (a crossover has two)."""
    seen: list[int] = []
    todo = [data.best] if data.best is not None else []
    while todo:
        i = todo.pop()
        if i in seen or i not in data.candidates:
            continue
        seen.append(i)
        todo.extend(data.candidates[i].parent_ids)
    return sorted(seen)


def _lineage(data: RunData, facts: Facts) -> Section | None:
    if data.best is None:
        return None
    claims = prose(facts, "Candidate {best.candidate} comes at the end of a line of {lineage.length} candidates, "
                          "each made from the one before: {lineage.ids}.")  # fmt: skip
    nodes, rows = [], []
    for i in _ancestry(data):
        c, e = data.candidates[i], data.search.get(i)
        verdict = e.verdict if e else c.status
        nodes.append(Node(i, f"#{i} {c.stage}\n{verdict} {_x(e).split(' ')[0]}".rstrip(), verdict, c.parent_ids))
        rows.append((str(i), c.stage, c.model or c.proposer, ", ".join(map(str, c.parent_ids)), verdict, _x(e),
                     c.description))  # fmt: skip
    figure = Figure("lineage", "Lineage of the best candidate", lineage_plot(nodes, data.best),
                    "an arrow from each parent to its child; the best has a black frame")  # fmt: skip
    table = Table(("id", "stage", "by", "parents", "verdict", "speedup [95% CI]", "description"), tuple(rows))
    return Section("lineage", "Lineage of the best candidate", (Prose(claims), figure, table))


def _roofline(data: RunData, facts: Facts) -> Section:
    points = []
    reference = None
    for cid, e in sorted(data.search.items()):
        result = e.result() if e.verdict == "verified" else None
        if result is None or result.roofline is None or result.roofline.candidate_fraction is None:
            continue
        points.append((f"#{cid}", e.speedup or 0.0, result.roofline.candidate_fraction))
        reference = result.roofline.reference_fraction if reference is None else reference
    if points:
        claims = prose(
            facts, "{roofline.verified} of the {search.verified} verified candidates carry roofline figures."
        )
        best = f"cand.{data.best}.roofline"
        if best in facts:
            claims += prose(facts, "The best reaches {" + best + "!p:.1f}% of the machine's peak.")
        caption = "each verified candidate against the least time this machine could take for the task's work"
        figure = Figure("roofline", "Roofline position", roofline_plot(points, reference), caption)
        return Section("roofline", "Roofline position of each verified candidate", (Prose(claims), figure))
    claims = prose(facts, ("No verified candidate carries roofline figures.", ("roofline.verified",)))
    if facts.value("roofline.machine_profile") == "missing":
        claims += prose(
            facts, "The machine profile is {roofline.machine_profile}: the command assay machine measures one."
        )
    if facts.value("roofline.task_work") == "none":
        claims += prose(facts, ("The task declares no work per call (flops and bytes in task.toml).",
                                ("roofline.task_work",)))  # fmt: skip
    return Section("roofline", "Roofline position of each verified candidate", (Prose(claims),))


def _diff(data: RunData, facts: Facts) -> Section | None:
    if data.best is None:
        return None
    best = data.candidates[data.best]
    if data.start_source is None or best.source is None:
        claims = prose(facts, ("There is no starting solution to compare with: {start.origin}.", ()))
        return Section("diff", "The best candidate against the starting solution", (Prose(claims),))
    claims = prose(facts, "The diff compares candidate {best.candidate} with the starting solution, {start.origin}.")
    lines = unified_diff(data.start_source, best.source, "starting solution", f"candidate {best.id}")
    return Section("diff", "The best candidate against the starting solution", (Prose(claims), Diff("diff", lines)))


def _summary(facts: Facts) -> Section:
    claims = prose(
        facts,
        "In {run.elapsed_s!m:.1f} min and {search.evaluations} evaluations the search verified "
        "{search.verified} candidates.",
        "The best, candidate {best.candidate}, reached {best.speedup:.3f}x (95% CI [{best.ci_low:.3f}, "
        "{best.ci_high:.3f}]) during the search.",
    )
    if "confirm.speedup" in facts:
        claims += prose(facts, "A fresh full evaluation found it {confirm.verdict}: {confirm.speedup:.3f}x.")
    elif "confirm.verdict" in facts:
        claims += prose(facts, "A fresh full evaluation found it {confirm.verdict}.")
    return Section("summary", "Summary", (Prose(claims),))


def run_page(data: RunData, facts: Facts) -> Page:
    sections = [
        _summary(facts),
        _asked(data, facts),
        _tried(data, facts),
        _verified(data, facts),
        _lineage(data, facts),
    ]
    sections += [_roofline(data, facts), _diff(data, facts)]
    title = f"assay optimize: {data.info.task_name}"
    return Page(title, f"run {data.info.id}", facts, tuple(s for s in sections if s is not None))
