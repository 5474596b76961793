"""`OfflineProposer`: program transformations chosen by a seeded random generator; no LLM, no network.

It works from the task's `Model` alone (`task.task_file`, analysed in a child process) and never opens a
task's start.py, reference.py or any stored solution. Each candidate carries its genome in a one-line JSON
header, so evolve, crossover and repair recover what a parent applied; a parent without that header
(another proposer's, or damaged) counts as the plain translation.
"""

from __future__ import annotations

import random

from assay.errors import WorkerError, WorkerTimeout
from assay.search._offline._analysis import Analysis, AnalysisCache
from assay.search._offline._build import build
from assay.search._offline._genes import BY_NAME, Genome, applicable, describe, key, normalize, weight
from assay.search._offline._render import read_header
from assay.search._proposer import Parent, Proposal, ProposalRequest


def genome_of(parent: Parent) -> tuple[Genome, list[str]]:
    """The genome and last change recorded in a parent's header ({} and [] when it has none)."""
    header = read_header(parent.source)
    if header is None:
        return {}, []
    genes = header.get("genes")
    changed = header.get("changed")
    genome = {str(k): str(v) for k, v in genes.items()} if isinstance(genes, dict) else {}
    last = [str(c) for c in changed] if isinstance(changed, list) else []
    return genome, last


class OfflineProposer:
    """Proposes candidates by transforming the task's traced `Model`; deterministic for a request's seed."""

    name = "offline"

    def __init__(self) -> None:
        self._analyses = AnalysisCache()
        self._offered: dict[int, dict[str, tuple[str, ...]]] = {}

    def _analyse(self, request: ProposalRequest) -> tuple[Analysis, dict[str, tuple[str, ...]]]:
        analysis = self._analyses.get(request.task)
        key = id(analysis)
        if key not in self._offered:
            self._offered[key] = applicable(analysis.graph, bool(analysis.input_shapes), analysis.forward)
        return analysis, self._offered[key]

    def propose(self, request: ProposalRequest) -> Proposal:
        try:
            analysis, offered = self._analyse(request)
        except (WorkerError, WorkerTimeout) as exc:
            return Proposal(source=None, proposer=self.name, error=str(exc))
        rng = random.Random(f"{request.stage}:{request.seed}:{request.attempt}")
        parents = request.parents
        avoid = {key(normalize(genome_of(p)[0], offered)) for p in (*parents, *request.inspirations)}
        genome: Genome
        changed: list[str]
        if request.stage == "translate" or not parents:
            genome, changed, why = {}, [], "translation of the task's Model, no transformation"
        elif request.stage == "evolve":
            genome, changed, why = _evolve(genome_of(parents[0])[0], offered, rng, avoid)
        elif request.stage == "crossover":
            other = genome_of(parents[1])[0] if len(parents) > 1 else {}
            genome, changed, why = _crossover(genome_of(parents[0])[0], other, offered, rng, avoid)
        else:
            genome, changed, why = _repair(parents[0], offered, request.attempt)
        genome = normalize(genome, offered)
        built = build(analysis, genome, task=request.task.name, changed=changed, stage=request.stage)
        description = f"{request.stage}: {why}. Program: {describe(genome)}."
        return Proposal(source=built.source, proposer=self.name, description=description)


def _evolve(
    genome: Genome, offered: dict[str, tuple[str, ...]], rng: random.Random, avoid: set[str]
) -> tuple[Genome, list[str], str]:
    """One change, drawn by weight; programs already known (the parents, the inspirations) are avoided
    while something else is left."""
    genome = normalize(genome, offered)
    moves = []
    for name in sorted(offered):
        current = genome.get(name, "off")
        for option in offered[name]:
            if option != current:
                child = normalize({**genome, name: option}, offered)
                moves.append((weight(name, current, option, genome, offered), name, option, key(child) in avoid))
    fresh = [m for m in moves if not m[3]] or moves
    if not fresh:
        return genome, [], "nothing to change: the task offers no transformation"
    _, name, option, _ = rng.choices(fresh, [m[0] for m in fresh])[0]
    current = genome.get(name, "off")
    verb = "turned on" if current == "off" else "turned off" if option == "off" else "switched"
    return {**genome, name: option}, [name], f"{verb} {BY_NAME[name].words} ({name}={option})"


def _crossover(
    a: Genome, b: Genome, offered: dict[str, tuple[str, ...]], rng: random.Random, avoid: set[str]
) -> tuple[Genome, list[str], str]:
    """Every transformation either parent applied; where both chose different options, one at random. When
    that is a program already known (one parent's choices include the other's), one change more."""
    a, b = normalize(a, offered), normalize(b, offered)
    out: Genome = {}
    for name in sorted(set(a) | set(b)):
        options = sorted({o for o in (a.get(name), b.get(name)) if o})
        out[name] = options[0] if len(options) == 1 else rng.choice(options)
    changed = sorted(n for n in out if out.get(n) != a.get(n))
    why = f"union of both parents' transformations ({len(changed)} taken from the second)"
    if key(normalize(out, offered)) in avoid | {key(a), key(b)}:
        out, more, extra = _evolve(out, offered, rng, avoid | {key(a), key(b)})
        changed, why = sorted(set(changed) | set(more)), f"{why}, already known, so also {extra}"
    return out, changed, why


def _culprit(parent: Parent, genome: Genome, last: list[str]) -> str | None:
    """The gene most likely to have broken the parent: one its error names, else its latest change, else the
    riskiest it applies (the later a gene comes in the pipeline, the more it rewrites)."""
    result = parent.result
    text = ""
    if result is not None:
        text = f"{result.verdict} {result.message} " + " ".join(f"{f.id} {f.evidence}" for f in result.flags)
        if result.verdict == "timeout" and "compile" in genome:
            return "compile"
        if any(f.id == "input-mutated" for f in result.flags) and "inplace" in genome:
            return "inplace"
    for name in reversed(list(BY_NAME)):
        if name in genome and any(k.lower() in text.lower() for k in BY_NAME[name].keywords):
            return name
    for name in reversed(list(BY_NAME)):
        if name in last and name in genome:
            return name
    return next((n for n in reversed(list(BY_NAME)) if n in genome), None)


def _repair(parent: Parent, offered: dict[str, tuple[str, ...]], attempt: int) -> tuple[Genome, list[str], str]:
    genome, last = genome_of(parent)
    genome = normalize(genome, offered)
    name = _culprit(parent, genome, last)
    if name is None:
        return {}, [], "backed off to the plain translation (the parent records no transformation)"
    options = offered[name]
    current = options.index(genome[name])
    step = 1 if attempt == 0 else current  # a second attempt turns the culprit off altogether
    option = options[max(0, current - step)]
    out = dict(genome)
    out[name] = option
    return out, [name], f"backed off {BY_NAME[name].words} ({name}: {genome[name]} -> {option})"
