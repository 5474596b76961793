"""`assay report`: the page and its twin of a real optimizer run, an environment and a bench file; the reviewer
that traces every claim to a stored fact; the LLM narrative (through a scripted server on loopback: paid APIs
cannot run in tests); and the page in a real headless Chromium.

The run is a real `optimize` of the tanh task with the scripted LLM (tests/report_runs.py); other runs are written
through the run store's own API, so that a roofline, no verified candidate, or hostile text can be had at once.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.cli import main
from assay.evaluate import EvalResult, Evaluator, Roofline
from assay.machine import load_cached
from assay.report import Claim, Facts, build_report, check_claim, find_numbers, parse_narrative, write_report
from assay.report._facts import FactBook
from assay.search import Budget, SearchConfig
from assay.store import NewCandidate, RunStore
from tests.report_runs import TASK, make_run
from tests.scripted_llm import Reply, Request, ScriptedLLM

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = [
    *("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"),
    *("--disable-component-update", "--disable-sync"),
]
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> ](javascript:x) `| $x$'


@pytest.fixture(scope="module")
def run_file(tmp_path_factory: pytest.TempPathFactory, evaluator: Evaluator) -> Path:
    return make_run(tmp_path_factory.mktemp("runs"), evaluator)


def _report(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def _facts(out: Path) -> Facts:
    return Facts.model_validate_json((out / "facts.json").read_text())


# -- a real run -------------------------------------------------------------------------------------------------


def test_a_run_report_traces_every_claim_to_the_run_file(run_file: Path, tmp_path: Path) -> None:
    code, stdout, stderr = _report(str(run_file), "--out", str(tmp_path), "--check")
    assert code == 0, stderr
    assert "every one of" in stdout
    page = (tmp_path / "report.html").read_text()
    for section in ("What was asked", "What was tried", "What was verified", "Lineage of the best candidate",
                    "Roofline position", "against the starting solution", "Narrative", "Facts"):  # fmt: skip
        assert section in page
    assert "<script" not in page and "http://" not in page.replace(run_file.as_uri(), "")
    assert page.count("data:image/svg+xml;base64,") == 4  # verdicts, two progress plots, lineage
    # The facts are the run file's rows.
    facts = _facts(tmp_path)
    store = RunStore.open(run_file)
    try:
        search = store.evaluations("search")
    finally:
        store.close()
    best = max((e for e in search if e.fitness is not None), key=lambda e: e.fitness or 0)
    assert facts.value("best.candidate") == best.candidate_id and facts.value("best.speedup") == best.speedup
    assert facts.value("search.evaluations") == len(search) == 6
    assert facts.value("search.verdict.incorrect") == 1 and facts.value("search.verdict.crashed") == 1
    assert facts.value("candidates.no_program") == 1 and facts.value("candidates.duplicates") == 1
    assert f"{best.speedup:.3f}x" in page
    # The lineage runs back through every parent to the first translation, which was wrong and repaired.
    assert str(facts.value("lineage.ids")).endswith("<- 2 <- 1")
    # The diff of the best against the starting solution (the task's Model renamed), escaped.
    assert "--- starting solution" in page and re.search(r'<span class="add">\+ +', page)
    # The roofline: this task declares no work, and the page says so (and names a missing profile).
    assert "The task declares no work per call" in page
    assert ("The machine profile is missing" in page) == (load_cached() is None)
    review = json.loads((tmp_path / "review.json").read_text())
    assert review["problems"] == 0 and review["claims"] > 20
    assert all(c["cites"] for c in review["reviewed"])
    # The Markdown twin says the same and references its plots, which are there.
    twin = (tmp_path / "report.md").read_text()
    for name in re.findall(r"\]\((plots/[\w-]+\.svg)\)", twin):
        assert (tmp_path / name).stat().st_size > 1000
    assert "@best.speedup" in twin


def test_a_planted_wrong_number_and_a_claim_without_evidence_fail_the_check(run_file: Path, tmp_path: Path) -> None:
    facts = build_report(str(run_file)).page.facts
    right = f"{facts.value('best.speedup'):.3f}"
    wrong = f"{float(facts.value('best.speedup') or 0) + 2.5:.2f}"
    narrative = tmp_path / "narrative.md"
    narrative.write_text(
        "## Results\n\n"
        f"The search made 6 evaluations [@search.evaluations]. The best reached {right}x [@best.speedup].\n"
        f"A fresh run confirmed it at {wrong}x [@best.speedup].\n\n"
        "- The best candidate fuses tanh and the scale into one vectorized loop.\n"
    )
    code, _, stderr = _report(str(run_file), "--out", str(tmp_path / "out"), "--narrative", str(narrative), "--check")
    assert code == 1
    problems = [line for line in stderr.splitlines() if line.startswith("  ")]
    assert len(problems) == 2, stderr
    assert f"contradicted: Narrative: Results: 'A fresh run confirmed it at {wrong}x.'" in problems[0]
    assert "unsupported: Narrative: Results: 'The best candidate fuses tanh" in problems[1]
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.count('class="claim bad"') == 2 and "review-bad" in page
    assert "The search made 6 evaluations" in page
    # Without --check the same write-up is written and reported, and the status is 0.
    code, _, stderr = _report(str(run_file), "--out", str(tmp_path / "o2"), "--narrative", str(narrative))
    assert code == 0 and "2 of" in stderr


# -- the reviewer ------------------------------------------------------------------------------------------------


def _book() -> Facts:
    book = FactBook("run", "r1")
    book.add("best.speedup", 1.2744, "x", "the best's speedup", "evaluations #8")
    book.add("best.verdict", "crashed", "text", "its verdict", "evaluations #8", ("verified", "crashed"))
    book.add("run.elapsed_s", 192.0, "s", "active time", "runs")
    book.add("suite.fast.1", 0.8412, "fraction", "fast_1", "results")
    book.add("llm.tokens", 12345, "tokens", "tokens", "llm_calls")
    book.add("run.id", "20261205-092403-l1_gelu", "text", "the run's id", "runs")
    return book.build()


@pytest.mark.parametrize(
    ("sentence", "ok"),
    [
        ("The best reached 1.27x [@best.speedup].", True),
        ("The best reached about 1.3x [@best.speedup].", True),
        ("The best reached 1.2x [@best.speedup].", False),
        ("The best reached 1.28x [@best.speedup].", False),
        ("The run took 3.2 min [@run.elapsed_s].", True),
        ("The run took 3.4 min [@run.elapsed_s].", False),
        ("fast_1 was 84% [@suite.fast.1].", True),
        ("It used 12,345 tokens [@llm.tokens].", True),
        ("It used 12,346 tokens [@llm.tokens].", False),
        ("Run 20261205-092403-l1_gelu reached 1.274x, 95% CI [@run.id, @best.speedup].", True),
        ("The best was verified [@best.verdict].", False),
        ("The best crashed: its verdict was crashed [@best.verdict].", True),
        ("The best was fast [@no.such.fact].", False),
        ("The best reached 1.274x.", True),  # no citation: checked against every fact by value
        ("The best reached 1.9x.", False),
        ("The method is sound.", False),
    ],
)
def test_the_reviewer_checks_numbers_within_rounding_units_and_vocabulary(sentence: str, ok: bool) -> None:
    from assay.report._claims import parse_sentences

    [claim] = parse_sentences(sentence)
    checked = check_claim(_book(), "s", claim)
    assert checked.ok is ok, checked.findings


def test_numbers_inside_names_are_not_numbers() -> None:
    found = find_numbers("l1_softmax and fast_1.5 took 2.5 s, -3 and 1,024 tokens at $0.0042 (8GB)")
    assert [(n.value, n.unit) for n in found] == [(2.5, "s"), (-3.0, ""), (1024.0, ""), (0.0042, "usd"), (8.0, "GB")]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_and_is_reviewed_without_raising(text: str) -> None:
    facts = _book()
    for title, claims in parse_narrative(text):
        for claim in claims:
            checked = check_claim(facts, title, claim)
            assert checked.ok or checked.findings


def test_a_template_that_misreads_its_fact_is_caught() -> None:
    facts = _book()
    claim = Claim("The best reached 1.31x.", ("best.speedup",), ((17, 22, "best.speedup"),))
    assert [f.kind for f in check_claim(facts, "s", claim).findings] == ["contradicted"]


# -- runs written through the store's API ----------------------------------------------------------------------


def _stored_run(
    path: Path,
    results: list[tuple[str, EvalResult | None]],
    config: SearchConfig | None = None,
    confirms: dict[int, EvalResult] | None = None,
) -> Path:
    config = config or SearchConfig()
    store = RunStore.create(path, "r-stored", "task_tanh", str(TASK), "0" * 64, 1, config.model_dump_json())
    try:
        for step, (description, result) in enumerate(results):
            parents = (step,) if step else ()
            source = "class ModelNew:\n    pass\n" if result else None
            new = NewCandidate(step, 0, "evolve" if step else "translate", 0, "offline", source, parents,
                               description=description)  # fmt: skip
            cid = store.add_candidate(new, reject_reason="" if result else "no program")
            if result is not None:
                store.add_evaluation(cid, "search", result)
        for cid, result in (confirms or {}).items():
            store.add_evaluation(cid, "confirm", result)
        store.finish("finished", "done")
    finally:
        store.close()
    return path


def _verified(speedup: float, fraction: float | None = None) -> EvalResult:
    roofline = Roofline(floor_ms=0.1, reference_fraction=0.2, candidate_fraction=fraction) if fraction else None
    ci = [speedup * 0.98, speedup * 1.02]
    return EvalResult(verdict="verified", speedup=speedup, speedup_ci=ci, comparison="faster", roofline=roofline,
                      reference_ms=1.0, candidate_ms=1 / speedup, task="task_tanh")  # fmt: skip


def test_roofline_positions_are_plotted_when_the_evaluations_carry_them(tmp_path: Path) -> None:
    budget = Budget(evals=10, minutes=30, tokens=12_000, usd=0.5)  # every budget sentence, each unit
    results = [("first", _verified(1.1, 0.25)), ("second", _verified(1.5, 0.34))]
    # As the optimizer: the top candidate's fresh evaluation failed, so the run's best is the next one confirmed.
    confirms = {2: EvalResult(verdict="incorrect", message="call 3 differs"), 1: _verified(1.08)}
    run = _stored_run(tmp_path / "run.sqlite", results, SearchConfig(budget=budget), confirms)
    report = build_report(str(run))
    assert not report.findings, report.findings
    assert report.page.facts.value("best.candidate") == 1 and report.page.facts.value("confirm.speedup") == 1.08
    files = write_report(report, tmp_path / "out")
    assert (tmp_path / "out" / "plots" / "roofline.svg") in files
    page = files[0].read_text()
    assert "2 of the 2 verified candidates carry roofline figures" in page
    assert "The best reaches 25.0% of the machine" in page and "found it verified: 1.080x" in page
    assert "at most 30 minutes" in page and "at most 12,000 tokens" in page and "at most $0.50" in page


def test_hostile_text_and_a_run_with_nothing_verified(tmp_path: Path) -> None:
    crashed = EvalResult(verdict="crashed", message=HOSTILE, task="task_tanh")
    run = _stored_run(tmp_path / "run.sqlite", [(HOSTILE, crashed), (HOSTILE, None)])
    code, _, stderr = _report(str(run), "--out", str(tmp_path / "out"), "--check")
    assert code == 0, stderr
    page = (tmp_path / "out" / "report.html").read_text()
    assert "No candidate was verified" in page and "Lineage of the best" not in page
    assert "<script" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    twin = (tmp_path / "out" / "report.md").read_text()
    assert "<script" not in twin and "&lt;script&gt;" in twin and "\\](javascript" in twin


# -- environments and bench files ------------------------------------------------------------------------------


def test_an_environment_report(tmp_path: Path) -> None:
    from assay.env import Baselines, Layout, LogEntry, init_environment, read_env
    from assay.env._state import append_entry, write_env

    layout = Layout(workspace=tmp_path / "ws", state=tmp_path / "ws.state", socket=tmp_path / "ws.sock")
    init_environment(Path(__file__).parent / "fixtures" / "env_task", layout, time_budget_s=3600)
    env = read_env(layout.state)
    env.baselines = Baselines(start=0.0, reference=0.4, start_speedup_ci=[0.99, 1.01],
                              reference_speedup_ci=[1.47, 1.51], measured_at="now")  # fmt: skip
    write_env(layout.state, env)
    for index, (verdict, score, speedup) in enumerate([("crashed", None, None), ("verified", 0.62, 1.28)], 1):
        entry = LogEntry(index=index, time="", elapsed_s=60.0 * index, verdict=verdict, normalized_score=score,
                         speedup=speedup, message=HOSTILE if verdict == "crashed" else "")  # fmt: skip
        append_entry(layout.state, entry)
    code, _, stderr = _report(str(layout.state), "--check")
    assert code == 0, stderr
    page = (layout.state / "report" / "report.html").read_text()
    assert "The run&#39;s score is 0.620, from entry 2 (1.280x)" in page and "<script" not in page
    assert page.count("data:image/svg+xml;base64,") == 2


def test_a_bench_report(run_file: Path, tmp_path: Path) -> None:
    from assay.cli._results import ResultsFile
    from assay.evaluate import EvalError

    store = RunStore.open(run_file)
    try:
        results = [e.result() for e in store.evaluations()]
    finally:
        store.close()
    out = tmp_path / "results.jsonl"
    results_file = ResultsFile(out)
    for n, result in enumerate(results):  # real evaluations, spread over three tasks
        results_file.record(f"k{n}", result.model_copy(update={"task": f"l{n % 3}_task", "candidate": f"c{n}.py"}))
    results_file.record("err", EvalError(error="SandboxError", message="no sandbox", task="l3_task", candidate="x.py"))
    code, _, stderr = _report(str(out), "--check")
    assert code == 0, stderr
    facts = _facts(tmp_path / "results-report")
    assert facts.value("suite.tasks") == 4 and facts.value("bench.errors") == 1
    assert facts.value("suite.verified") == sum(  # a task is verified when any of its candidates is
        any(r.ok for n, r in enumerate(results) if n % 3 == t) for t in range(3)
    )
    page = (tmp_path / "results-report" / "report.html").read_text()
    assert "geometric mean" in page and "fast_1" in page


# -- the LLM narrative -------------------------------------------------------------------------------------------


def test_an_llm_narrative_is_written_from_the_facts_and_reviewed(run_file: Path, tmp_path: Path) -> None:
    facts = build_report(str(run_file)).page.facts
    best = float(facts.value("best.speedup") or 0)
    replies = {
        "good": f"## Results\n\nThe best reached {best:.2f}x [@best.speedup]. <script>alert('x')</script>"
        f" It was candidate {facts.value('best.candidate')} [@best.candidate].\n",
        "bad": f"## Results\n\nThe best reached {best * 1.5:.2f}x [@best.speedup], a clear breakthrough.\n",
    }
    seen: list[Request] = []

    def script(request: Request) -> Reply:
        seen.append(request)
        return Reply(replies["good" if len(seen) == 1 else "bad"])

    with ScriptedLLM(script) as server:
        model = f"openai:scripted-writer@{server.openai_url}"
        good = _report(str(run_file), "--out", str(tmp_path / "good"), "--model", model, "--check")
        bad = _report(str(run_file), "--out", str(tmp_path / "bad"), "--model", model, "--check")
    assert good[0] == 0, good[2]
    assert bad[0] == 1 and "contradicted: Narrative: Results" in bad[2]
    # The model saw the facts and nothing else of the run: no candidate's source.
    user = seen[0].user
    assert '"best.speedup"' in user and "class ModelNew" not in user
    page = (tmp_path / "good" / "report.html").read_text()
    assert "written by openai:scripted-writer" in page and "&lt;script&gt;" in page and "<script" not in page


def test_user_mistakes_get_one_sentence(run_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    code, _, stderr = _report(str(run_file), "--out", str(tmp_path / "k"), "--model", "openai:gpt-x")
    assert code == 2 and "no API key for openai:gpt-x" in stderr
    code, _, stderr = _report(str(run_file), "--model", "nobody:model")
    assert code == 2 and "PROVIDER" in stderr
    code, _, stderr = _report(str(tmp_path / "nothing-here"))
    assert code == 2 and stderr.count("\n") == 1 and "no run" in stderr
    code, _, stderr = _report(str(run_file), "--model", "openai:gpt-x", "--narrative", __file__)
    assert code == 2 and "not both" in stderr
    code, _, stderr = _report(str(tmp_path / "results.jsonl"))
    assert code == 2 and "no results file" in stderr


# -- the page in a real browser ----------------------------------------------------------------------------------


def _browser_or_skip() -> Any:
    """Playwright, when it and Debian's Chromium are here; in CI (CI=true) both must be, or the test fails."""
    missing = [] if CHROMIUM.exists() else ["Chromium (apt-get install chromium; .ci/run does)"]
    try:
        from playwright import sync_api
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI, and these are missing: {', '.join(missing)}")
        pytest.skip(f"not installed: {', '.join(missing)}")
    return sync_api


def test_the_page_renders_in_a_headless_browser(run_file: Path, tmp_path: Path) -> None:
    playwright = _browser_or_skip()
    write_report(build_report(str(run_file)), tmp_path / "run")
    crashed = EvalResult(verdict="crashed", message=HOSTILE, task="task_tanh")
    hostile = _stored_run(tmp_path / "hostile.sqlite", [(HOSTILE, crashed), ("fine", _verified(1.2, 0.3))])
    write_report(build_report(str(hostile)), tmp_path / "hostile")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            for name, figures in (("run", 4), ("hostile", 5)):
                page = browser.new_page()
                errors: list[str] = []
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto((tmp_path / name / "report.html").as_uri())
                page.wait_for_load_state("load")
                assert page.locator("h1").inner_text().startswith("assay optimize")
                images = page.locator("figure img")
                assert images.count() == figures
                for i in range(figures):
                    img = images.nth(i)
                    img.scroll_into_view_if_needed()
                    size = img.evaluate("e => [e.complete, e.naturalWidth, e.naturalHeight]")
                    box = img.bounding_box()
                    assert size[0] and size[1] > 100 and size[2] > 50, size
                    assert box is not None and box["width"] > 100 and box["height"] > 50
                assert page.evaluate("() => window.pwned") is None
                assert errors == [], errors
                page.close()
        finally:
            browser.close()
