"""The search loop: translation, then evolution and crossover, each child repaired a bounded number of times.

Steps come in generations of `parallel` steps, all planned from the database as it stood when the generation
began, so that the plan of every step depends only on (run seed, step) and on earlier generations' verdicts.
Proposals of a generation run concurrently; their candidates are checked and evaluated one at a time, in the
order (attempt, step), whatever order the replies come in. Every proposal and evaluation is looked up in the run
file before it is made: a resumed run replays what is there and makes only what is missing, so it reaches the
state an uninterrupted run reaches.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from assay.errors import AssayError
from assay.evaluate import EvalResult, Verdict
from assay.search._budget import Spent
from assay.search._config import SearchConfig
from assay.search._database import Entry, ProgramDatabase
from assay.search._pool import Pool
from assay.search._programs import Program, derive, near_duplicate, parse_program, rng, sha256
from assay.search._progress import Reporter
from assay.search._proposer import Parent, Proposal, ProposalRequest, Proposer, Stage
from assay.store import CandidateRow, NewCall, NewCandidate, RunStore
from assay.tasks import Task, top_level_names

Evaluate = Callable[[str, str], EvalResult]  # (source, name) -> result, on the one warm evaluator
Prefetch = Callable[[str, str], bool]  # (source, name) -> whether an evaluation was started ahead (a free node)


@dataclass(frozen=True)
class Plan:
    step: int
    island: int
    stage: Stage
    parents: tuple[Entry, ...] = ()
    inspirations: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Retry:
    """Why an attempt gave no verified program; `child` is the program to repair. None: this attempt gave no new
    program to repair, so the next one repairs what the previous one did (or, with nothing to repair, asks
    afresh)."""

    feedback: str = ""
    child: Parent | None = None


class _Stop(Exception):
    pass


class Search:
    def __init__(
        self,
        run_id: str,
        task: Task,
        store: RunStore,
        proposer: Proposer,
        evaluate: Evaluate,
        config: SearchConfig,
        reporter: Reporter,
        prefetch: Prefetch | None = None,
    ) -> None:
        self.run_id, self.task, self.store, self.proposer = run_id, task, store, proposer
        self.evaluate, self.config, self.reporter = evaluate, config, reporter
        self.prefetch = prefetch
        self._ahead: set[int] = set()  # candidates already started ahead, or found not worth starting
        self.db = ProgramDatabase(config.islands, config.explore_rate)
        self.spent = Spent(config.budget, config.max_idle)
        self.seen: list[tuple[int, Program]] = []  # evaluated programs, for near-duplicates
        self.results: dict[int, EvalResult] = {}
        # Proposals run in threads only for a proposer that says it waits rather than computes (an LLM's HTTP
        # calls): computing beside an evaluation takes CPU from the timed calls.
        threads = config.parallel if config.parallel > 1 and getattr(proposer, "concurrent", False) else 0
        self._pool = Pool(threads)

    def run(self) -> str:
        """Search until a budget is spent; returns why it stopped."""
        step, generation = 0, 0
        try:
            while True:
                reason = self.spent.stop_proposing(self.store.elapsed_s(), self.store.usage())
                if reason is not None:
                    return reason
                if generation and generation % self.config.migration_interval == 0:
                    self.db.migrate()
                room = self.config.parallel
                if self.config.budget.evals is not None:
                    room = min(room, self.config.budget.evals - self.spent.evals)
                plans = [self._plan(s) for s in range(step, step + room)]
                self._generation(plans)
                step, generation = step + room, generation + 1
        except _Stop as stop:
            return str(stop)
        finally:
            self._pool.close()

    # -- planning ----------------------------------------------------------------------------------------

    def _plan(self, step: int) -> Plan:
        r = rng(self.config.seed, step, "plan")
        island = step % self.config.islands
        if not len(self.db):
            return Plan(step, island, "translate")
        first = self.db.parent(island, r)
        mate = self.db.mate(first, island, r) if r.random() < self.config.crossover_rate else None
        parents = (first, mate) if mate is not None else (first,)
        inspirations = self.db.inspirations(island, {p.id for p in parents}, self.config.inspirations, r)
        return Plan(step, island, "crossover" if mate is not None else "evolve", parents, tuple(inspirations))

    def _request(self, plan: Plan, attempt: int, retry: Retry | None) -> ProposalRequest:
        seed = derive(self.config.seed, plan.step, attempt, "propose")
        key = f"{self.run_id}/{plan.step}/{attempt}"
        feedback = retry.feedback if retry is not None else ""
        if retry is None or retry.child is None:
            parents = tuple(e.parent for e in plan.parents)
            inspirations = tuple(e.parent for e in plan.inspirations)
            return ProposalRequest(self.task, plan.stage, parents, inspirations, attempt, seed, feedback, key)
        lineage = tuple(e.parent for e in plan.parents)
        return ProposalRequest(self.task, "repair", (retry.child,), lineage, attempt, seed, feedback, key)

    # -- one generation ----------------------------------------------------------------------------------

    def _generation(self, plans: list[Plan]) -> None:
        by_step = {plan.step: plan for plan in plans}
        last: dict[int, Retry] = {}
        pending: dict[tuple[int, int], Future[CandidateRow]] = {}
        for plan in plans:
            pending[(0, plan.step)] = self._submit(plan, 0, None)
        while pending:
            self._start_ahead(pending)
            attempt, step = min(pending)
            row = self._wait(pending.pop((attempt, step)))
            retry = self._process(by_step[step], row)
            if retry is None or attempt >= self.config.max_repairs:
                continue
            if retry.child is None and step in last:
                retry = Retry(retry.feedback, last[step].child)
            last[step] = retry
            usage = self.store.usage()
            if self.spent.stop_proposing(self.store.elapsed_s(), usage, pending=len(pending)) is None:
                pending[(attempt + 1, step)] = self._submit(by_step[step], attempt + 1, retry)

    def _start_ahead(self, pending: dict[tuple[int, int], Future[CandidateRow]]) -> None:
        """With a backend that evaluates several at once (a Ray cluster), start the evaluations this generation
        will ask for, in the order it will ask. Only what `_process` would evaluate now is started: what it
        decides (and records, once) is the same as with one evaluator; a result it never asks for is dropped."""
        if self.prefetch is None:
            return
        for key in sorted(pending):
            future = pending[key]
            if not future.done() or future.cancelled() or future.exception() is not None:
                continue
            row = future.result()
            if row.id in self._ahead or row.source is None or self.store.evaluation(row.id) is not None:
                continue
            rejected = self._precheck(row.source, parse_program(row.source))[0] is not None
            if not rejected and not self.prefetch(row.source, f"candidate {row.id}"):
                return  # no free slot: the rest wait for one
            self._ahead.add(row.id)

    def _wait(self, future: Future[CandidateRow]) -> CandidateRow:
        while True:
            reason = self.spent.stop_evaluating(self.store.elapsed_s())
            if reason is not None:
                raise _Stop(reason)
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                self.reporter.waiting("waiting for proposals")

    def _submit(self, plan: Plan, attempt: int, retry: Retry | None) -> Future[CandidateRow]:
        stored = self.store.candidate_at(plan.step, attempt)
        if stored is not None:  # made in an earlier session: replayed, not asked again
            done: Future[CandidateRow] = Future()
            done.set_result(stored)
            return done
        return self._pool.submit(self._propose, plan, attempt, self._request(plan, attempt, retry))

    def _propose(self, plan: Plan, attempt: int, request: ProposalRequest) -> CandidateRow:
        try:
            proposal = self.proposer.propose(request)
        except AssayError:
            raise  # a missing key, a refused model: the user must act, no further attempt would help
        except Exception as exc:  # a proposer's bug costs one attempt, never the run
            proposal = Proposal(None, self.proposer.name, error=f"the proposer failed: {type(exc).__name__}: {exc}")
        # No syntax tree here: CPython 3.11's ast is not safe to use from two threads at once ("AST constructor
        # recursion depth mismatch"), and the evaluator parses in the main thread. The main thread adds the
        # normalized hash and the features when it checks the candidate.
        new = NewCandidate(
            step=plan.step,
            attempt=attempt,
            stage=request.stage,
            island=plan.island,
            proposer=proposal.proposer,
            source=proposal.source,
            parent_ids=tuple(p.id for p in request.parents),
            inspiration_ids=tuple(p.id for p in request.inspirations),
            model=proposal.model,
            description=proposal.description,
            source_sha256=sha256(proposal.source) if proposal.source is not None else None,
        )
        call = None
        if proposal.prompt or proposal.reply or proposal.error:
            u = proposal.usage
            call = NewCall(
                proposal.proposer,
                proposal.model,
                proposal.prompt,
                proposal.reply,
                proposal.error,
                u.input_tokens,
                u.output_tokens,
                u.cost_usd,
            )
        reason = "" if proposal.source is not None else (proposal.error or "the proposal held no program")
        self.store.add_candidate(new, call, reason)
        row = self.store.candidate_at(plan.step, attempt)
        assert row is not None
        return row

    # -- checking and evaluating -------------------------------------------------------------------------

    def _process(self, plan: Plan, row: CandidateRow) -> Retry | None:
        if row.source is None:
            self.spent.idle += 1
            self.reporter.rejected(row, row.reject_reason)
            return Retry(f"Your previous reply could not be used: {row.reject_reason}")
        stored = self.store.evaluation(row.id)
        program = parse_program(row.source)
        if program is not None and row.normalized_sha256 is None:
            self.store.describe(row.id, program.normalized_sha256, dict(program.features))
        if stored is None:
            problem, fresh = self._precheck(row.source, program)
            if problem is not None:
                if row.status != "rejected":
                    self.store.set_status(row.id, "rejected", problem)
                self.spent.idle += 1
                self.reporter.rejected(row, problem)
                return Retry(problem, None if fresh else Parent(row.id, row.source))
            reason = self.spent.stop_evaluating(self.store.elapsed_s())
            if reason is not None:
                raise _Stop(reason)
            self.store.set_status(row.id, "evaluating")
            self.reporter.waiting(f"evaluating candidate {row.id} ({row.stage})")
            result = self.evaluate(row.source, f"candidate {row.id}")
            stored = self.store.add_evaluation(row.id, "search", result, f"{row.stage} step {row.step}")
        assert program is not None  # it was evaluated, so it parsed
        result = stored.result()
        self.seen.append((row.id, program))
        self.results[row.id] = result
        self.spent.evals += 1
        self.spent.idle = 0
        if result.verdict == Verdict.VERIFIED and stored.fitness is not None:
            self.db.add(Entry(row.id, stored.fitness, program.cell, Parent(row.id, row.source, result)), plan.island)
        best = self.db.best()
        left = self.spent.left(self.store.elapsed_s(), self.store.usage())
        self.reporter.evaluated(row, result, self.spent.evals, best.fitness if best else None, left)
        if result.verdict in (Verdict.VERIFIED, Verdict.FLAGGED):
            return None  # a flagged program is not repaired: the request would be to hide what was found
        return Retry("", Parent(row.id, row.source, result))

    def _precheck(self, source: str, program: Program | None) -> tuple[str | None, bool]:
        """A reason not to evaluate, and whether the next attempt should start afresh rather than repair."""
        if program is None:
            try:
                ast.parse(source)
            except SyntaxError as exc:
                return f"syntax error at line {exc.lineno}: {exc.msg}", False
            except ValueError as exc:  # a null byte
                return f"the program does not parse: {exc}", False
            return "the program does not parse", False
        if "ModelNew" not in top_level_names(source, "<candidate>"):
            return "the program defines no ModelNew at module level", False
        for other_id, other in self.seen:
            if near_duplicate(program, other, self.config.similarity):
                verdict = self.results[other_id].verdict
                return f"the program is a near-duplicate of candidate {other_id} (already evaluated: {verdict})", True
        return None, False
