"""The narrative: introduction, method, results and limitations, written from the stored facts alone.

Without a model it is a template filled from the facts (deterministic). With one (`PROVIDER:MODEL[@URL]`, as
`assay optimize --model`), the model gets the facts as JSON and nothing else, in the manner of the AI Scientist's
write-up, and must cite a fact for every sentence; its reply is untrusted text, and the reviewer checks every
sentence of it like any other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from assay._text import plain
from assay.report._claims import Claim, parse_narrative, prose
from assay.report._facts import Facts

Narrative = tuple[tuple[str, tuple[Claim, ...]], ...]

SYSTEM = """You write the narrative of an experiment report, as a careful scientist would, from a JSON list of \
stored facts and nothing else. Write four sections with Markdown headings: ## Introduction, ## Method, ## Results, \
## Limitations. Rules:
- Every sentence must cite the facts it rests on by id, as [@fact.id] (several: [@a, @b]), before its full stop.
- State only numbers that are values of the facts you cite, written with at most the digits the fact has. Units: \
"x" for speedups, "s" for seconds (you may write minutes), "fraction" may be written as a percentage.
- Report failures, null results and negative results plainly. Do not call a speedup real unless its verdict is \
verified, and do not call it faster unless the low end of its interval is above 1. Never speculate about causes \
the facts do not show; put what the facts cannot show under Limitations.
- No tables, no code, no links. Between 150 and 400 words."""

_LOCAL_KEY = "no-key"  # a local server takes any key; the clients insist on one


def _run(facts: Facts) -> list[tuple[str, tuple[Claim, ...]]]:
    intro = prose(
        facts,
        "This report describes run {run.id}, a search for a faster ModelNew for the task {task.name}.",
        ("Every number in it is read from the run's stored evaluations, which are listed as facts.", ("run.id",)),
    )
    method = prose(
        facts,
        "Candidates came from the {config.proposer} proposer, and each was judged by assay's evaluator, which counts"
        " a candidate only when its verdict is verified and ranks it by the low end of its speedup's 95% interval.",
        "The search could spend {config.budget.evals} evaluations, over {config.islands} island(s), with up to "
        "{config.max_repairs} repairs of each failed child.",
        "Its evaluations used the {config.quick} protocol.",
    )
    results = prose(
        facts,
        "{candidates.total} candidates were proposed and {search.evaluations} evaluated; "
        "{search.verdict.verified} were verified.",
        "The best, candidate {best.candidate}, reached {best.speedup:.3f}x (95% CI [{best.ci_low:.3f}, "
        "{best.ci_high:.3f}]) during the search.",
        "A fresh full evaluation found it {confirm.verdict} at {confirm.speedup:.3f}x (95% CI [{confirm.ci_low:.3f}, "
        "{confirm.ci_high:.3f}]).",
    )
    if "best.candidate" not in facts:
        results += prose(facts, ("No candidate was verified.", ("search.verified",)))
    limits = prose(
        facts,
        "Speedups were measured on the {config.device} device of one machine and may differ on another.",
    )
    if facts.value("config.quick") == "quick":
        limits += prose(facts, "The search's {config.quick} evaluations have wider intervals than full ones.")
    if facts.value("config.confirm") == "no":
        limits += prose(facts, ("The best was not evaluated afresh, so its interval may be optimistic: the best of "
                                "many noisy intervals is biased upward.", ("config.confirm",)))  # fmt: skip
    if facts.value("roofline.verified") == 0:
        limits += prose(facts, ("Without roofline figures the report cannot say how far the best is from what the "
                                "machine allows.", ("roofline.verified",)))  # fmt: skip
    return [("Introduction", intro), ("Method", method), ("Results", results), ("Limitations", limits)]


def _env(facts: Facts) -> list[tuple[str, tuple[Claim, ...]]]:
    intro = prose(facts, "This report describes an environment for the task {env.task}, scored by assay's scorer.")
    method = prose(
        facts,
        ("An outside agent submitted solutions; the scorer evaluated each and logged its verdict and its normalized "
         "score, 0 for the starting solution and 1 for the reference solution.", ("log.entries",)),
        "Scores used the {env.profile} settings.",
    )  # fmt: skip
    results = prose(
        facts,
        "The log holds {log.entries} entries, {log.counted} of which count.",
        "The best score, {best.score:.3f}, came from entry {best.entry} at {best.speedup:.3f}x.",
    )
    if "best.score" not in facts:
        results += prose(facts, ("No entry counts, so the run has no score.", ("log.counted",)))
    limits = prose(facts, ("A score is relative to the baselines measured when the scorer started.", ("env.task",)))
    if facts.value("log.problems"):
        limits += prose(facts, "{log.problems} lines of the log are not entries: it was not only appended to.")
    return [("Introduction", intro), ("Method", method), ("Results", results), ("Limitations", limits)]


def _bench(facts: Facts) -> list[tuple[str, tuple[Claim, ...]]]:
    intro = prose(facts, "This report describes the bench results file {bench.file}.")
    method = prose(
        facts,
        ("Each candidate was evaluated by assay's evaluator; fast_p counts a task when its best candidate is verified "
         "with the low end of its 95% interval above p.", ("suite.tasks",)),
    )  # fmt: skip
    results = prose(
        facts,
        "Of {suite.tasks} tasks, {suite.attempted} have a candidate and {suite.verified} a verified one.",
        "The geometric mean of the verified speedups is {suite.geomean:.3f}x.",
        "fast_1 is {suite.fast.1!p:.1f}%.",
    )
    limits = prose(facts, ("The suite is the set of tasks found in the file.", ("suite.tasks",)))
    if facts.value("bench.errors"):
        limits += prose(facts, "{bench.errors} evaluations could not run and have no verdict.")
    return [("Introduction", intro), ("Method", method), ("Results", results), ("Limitations", limits)]


def template_narrative(facts: Facts) -> Narrative:
    """The narrative a template writes from the facts: every sentence cites what it states."""
    write = {"run": _run, "env": _env, "bench": _bench}[facts.kind]
    return tuple((title, claims) for title, claims in write(facts) if claims)


def llm_narrative(facts: Facts, model: str, environ: Mapping[str, str] | None = None, timeout_s: float = 300.0) -> str:
    """The model's narrative (plain text, untrusted).

    Raises:
        ConfigError: a malformed model, or no key for it (and no base URL of a local server).
        InfrastructureError: the model gave no reply after its retries.
    """
    from assay.errors import ConfigError, InfrastructureError
    from assay.llm import AnthropicBackend, CallFailed, OpenAIBackend, RetryPolicy, parse_model
    from assay.llm._spec import BASE_URL_ENV, KEY_ENV

    env = os.environ if environ is None else environ
    spec = parse_model(model)
    base_url = spec.base_url or env.get(BASE_URL_ENV[spec.provider])
    key = env.get(KEY_ENV[spec.provider]) or (_LOCAL_KEY if base_url else None)
    if key is None:
        raise ConfigError(f"no API key for {spec.label}: set {KEY_ENV[spec.provider]} (or give the model a base URL)")
    kind = OpenAIBackend if spec.provider == "openai" else AnthropicBackend
    backend = kind(spec, key, base_url, timeout_s, 4096, None, RetryPolicy())
    system, user = facts_prompt(facts)
    try:
        completion = backend.complete(system, user, seed=0, key=f"report/{facts.kind}/{facts.subject}")
    except CallFailed as exc:
        raise InfrastructureError(f"{spec.label} wrote no narrative: {exc}") from None
    return plain(completion.text)


def parse(text: str) -> Narrative:
    return tuple((title, tuple(claims)) for title, claims in parse_narrative(text))


def narrative_markdown(narrative: Narrative) -> str:
    """A narrative as Markdown with its citation markers (what `--narrative FILE` reads back)."""
    parts = []
    for title, claims in narrative:
        parts += [f"## {title}", "", " ".join(c.marked() for c in claims), ""]
    return "\n".join(parts)


_PER_ITEM = ("cand.", "entry.", "task.")  # facts about one candidate, log entry or task: many in a long run
MAX_ITEMS = 60


def prompt_facts(facts: Facts) -> Facts:
    """The facts a model is given: all of them, but per-item facts of at most `MAX_ITEMS` items (those of the
    best's lineage first), so that a run of a thousand evaluations still fits a prompt. The reviewer checks the
    narrative against every fact."""
    lineage = str(facts.value("lineage.ids") or "").split(" <- ")
    items: list[str] = [f"cand.{i}." for i in lineage if i]
    for f in facts.facts:
        if f.id.startswith(_PER_ITEM):
            item = ".".join(f.id.split(".")[:2]) + "."
            if item not in items:
                items.append(item)
    kept = set(items[:MAX_ITEMS])
    chosen = [f for f in facts.facts if not f.id.startswith(_PER_ITEM) or ".".join(f.id.split(".")[:2]) + "." in kept]
    return Facts(kind=facts.kind, subject=facts.subject, facts=chosen)


def facts_prompt(facts: Facts) -> tuple[str, str]:
    """The system and user messages a model gets."""
    return SYSTEM, "The stored facts (JSON):\n\n" + prompt_facts(facts).model_dump_json(indent=1)
