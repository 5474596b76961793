"""`assay tasks check`: each bad-task fixture is rejected for its own reason; good tasks pass."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import assay.cli._tasks as cli_tasks
from assay.evaluate import EvalConfig
from assay.tasks import load_suite, load_task
from assay.vet import REASONS, CheckConfig, CheckResult, TaskSummary, check_suite, check_task

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad_tasks"
KB = FIXTURES / "kernelbench_style"
# Each folder is named after the reason it must be rejected for.
BAD_NAMES = sorted(p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_"))
# Evaluator settings for start.py: verdicts, not precision (as in conftest.QUICK).
QUICK_EVAL = EvalConfig(timeout_s=120, min_rounds=6, timing_budget_s=0.3, warmup_s=0.05, call_timeout_s=5)
# Small limits keep the run short: too_long is caught at 0.5 s, and KernelBench files shrink to ~50 ms.
FAST = CheckConfig(max_call_s=0.5, shrink_time_s=0.05, memory_budget_bytes=256 << 20, eval_config=QUICK_EVAL)


# Task code that takes the probe process down with it: the suite goes on, the task is rejected.
CRASHERS = {
    "segfaults": "import ctypes\nctypes.string_at(0)\n",
    "exits": "import sys\nsys.exit(3)\n",
    "prints_then_tuple": "print('noise on stdout')\n",
}
CRASHER_TAIL = """
import torch
class Model(torch.nn.Module):
    def forward(self, x):
        return x.relu(), x
def get_inputs():
    return [torch.randn(8, 8)]
def get_init_inputs():
    return []
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, CheckResult]]:
    crashers = tmp_path_factory.mktemp("crashers")
    for name, head in CRASHERS.items():
        (crashers / name).mkdir()
        (crashers / name / "task.py").write_text(head + CRASHER_TAIL)
    tasks = [
        *load_suite(BAD),
        load_task(BAD / "_good"),
        load_task(KB / "conv2d.py"),
        load_task(KB / "matmul.py"),
        *load_suite(crashers),
    ]
    start = time.monotonic()
    out = {r.task: r for r in check_suite(tasks, FAST)}
    print(f"checked {len(tasks)} tasks in {time.monotonic() - start:.1f} s")
    yield out


def test_every_reason_has_a_fixture() -> None:
    # An uninitialized buffer that passes where zeros fail needs allocator luck: checked, but no fixture.
    untested = {"uninitialized_pass"}
    assert set(BAD_NAMES) == set(REASONS) - untested


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_task_is_rejected_for_its_reason(name: str, results: dict[str, CheckResult]) -> None:
    result = results[name]
    assert result.reason == name, result
    assert result.message and "\n" not in result.message


def test_good_task_passes(results: dict[str, CheckResult]) -> None:
    good = results["_good"]
    assert good.ok, good
    assert good.reference_ms is not None and good.reference_ms >= 1.0
    assert not good.sizes


@pytest.mark.parametrize("name", ["conv2d", "matmul"])
def test_kernelbench_file_is_shrunk_then_passes(name: str, results: dict[str, CheckResult]) -> None:
    result = results[name]
    assert result.ok, result
    assert result.sizes, "a data-centre-sized file must be shrunk before it can be timed here"
    assert result.reference_ms is not None and result.reference_ms < 500


def test_messages_name_the_problem(results: dict[str, CheckResult]) -> None:
    assert "bais" in results["not_loading"].message
    assert "bfloat16" in results["bf16_pass"].message
    assert "start.py came back incorrect" in results["bad_start"].message
    assert "reference.py came back incorrect" in results["bad_reference"].message
    assert "GiB" in results["too_large"].message


def test_task_code_that_crashes_the_probe_is_rejected(results: dict[str, CheckResult]) -> None:
    assert results["segfaults"].reason == "not_loading"
    assert "signal 11" in results["segfaults"].message
    assert results["exits"].reason == "not_loading" and "SystemExit" in results["exits"].message
    assert results["prints_then_tuple"].reason == "not_loading"
    assert "tuple" in results["prints_then_tuple"].message


def test_task_code_in_the_probe_sees_no_secret_and_the_workers_allocator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The probe runs task code with the workers' environment: an allow-list, and malloc thresholds fixed as in
    # every worker (the times it measures must be the ones an evaluation sees).
    monkeypatch.setenv("ASSAY_TEST_API_KEY", "sk-not-for-task-code")
    (tmp_path / "envtask").mkdir()
    (tmp_path / "envtask" / "task.py").write_text(
        "import os\n"
        "assert 'ASSAY_TEST_API_KEY' not in os.environ, 'the secret reached task code'\n"
        "assert os.environ.get('MALLOC_MMAP_THRESHOLD_'), 'the allocator is not the workers\\' one'\n"
        + (BAD / "_good" / "task.py").read_text()
    )
    result = check_task(load_task(tmp_path / "envtask"), CheckConfig(evaluate_solutions=False))
    assert result.ok, result


@pytest.mark.slow
def test_good_solutions_verify() -> None:
    result = check_task(load_task(BAD / "_good_solutions"), CheckConfig(eval_config=QUICK_EVAL))
    assert result.ok, result


@pytest.mark.slow
def test_kernelbench_softmax_lets_zeros_pass_after_shrinking() -> None:
    # KernelBench's own softmax (batch 4096, dim 393216, uniform inputs): every probability is about
    # 1/dim, far below atol=1e-4, at the original size and at the size it shrinks to here.
    # The shrink aims at 0.5 s calls; the 2 s limit is not what this test is about, and in one CI run the shrunk
    # call (800 MB of fresh memory per call) took 2.0 s on this VM. A limit with room keeps the test on its point.
    config = CheckConfig(evaluate_solutions=False, max_call_s=8.0)
    result = check_task(load_task(KB / "softmax.py"), config)
    assert result.reason == "zeros_pass", result
    assert result.sizes and "dim" in result.sizes


# --- the command line, on canned results (the checks themselves are tested above) ---


def _fake_check(monkeypatch: pytest.MonkeyPatch, results: list[CheckResult]) -> None:
    def fake(tasks: Any, config: CheckConfig, on_result: Callable[[CheckResult], None]) -> list[CheckResult]:
        assert not config.evaluate_solutions and config.max_call_s == 3.0
        for r in results:
            on_result(r)
        return results

    monkeypatch.setattr(cli_tasks, "check_suite", fake)


def test_cli_check_prints_one_line_per_task_and_exits_1_on_a_rejection(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_check(
        monkeypatch,
        [
            CheckResult("a", None, "reference 3.1 ms", {"dim": 24576}, 3.1),
            CheckResult("b", "zeros_pass", "an all-zeros output passes the tolerance"),
        ],
    )
    out = CliRunner().invoke(cli_tasks.tasks, ["check", str(BAD), "--no-solutions", "--max-call", "3"])
    assert out.exit_code == 1, out.output
    lines = out.stdout.splitlines()
    assert lines[0].startswith("PASS") and "dim=24576" in lines[0]
    assert lines[1].startswith("REJECT b  zeros_pass: an all-zeros output")
    _fake_check(monkeypatch, [CheckResult("a", None, "reference 3.1 ms")])
    assert CliRunner().invoke(cli_tasks.tasks, ["check", str(BAD), "--no-solutions", "--max-call", "3"]).exit_code == 0


def test_cli_missing_suite_is_a_user_error(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli_tasks.tasks, ["check", str(tmp_path / "nope")])
    assert out.exit_code == 2
    assert out.stderr.strip().count("\n") == 0 and "suite not found" in out.stderr
    assert "Traceback" not in out.output


def test_cli_default_suite_is_tasks_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli_tasks.tasks, ["list", "--no-time"])
    assert out.exit_code == 2 and "tasks" in out.stderr


def test_cli_list_shows_sizes_and_shrinks(monkeypatch: pytest.MonkeyPatch) -> None:
    row = TaskSummary("softmax", 1, "Softmax", {"batch_size": 4096, "dim": 393216}, {"dim": 24576}, 274.0, 0.5)

    def fake(tasks: Any, **kwargs: Any) -> list[TaskSummary]:
        return [row]

    monkeypatch.setattr(cli_tasks, "summarize_suite", fake)
    monkeypatch.setenv("COLUMNS", "200")  # rich sizes its table from COLUMNS
    out = CliRunner().invoke(cli_tasks.tasks, ["list", str(KB)])
    assert out.exit_code == 0, out.output
    assert "dim=24576←393216" in out.stdout and "274" in out.stdout and "50%" in out.stdout


def test_cli_list_without_timing_runs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = CliRunner().invoke(cli_tasks.tasks, ["list", str(BAD), "--no-time"])
    assert out.exit_code == 0, out.output
    assert "zeros_pass" in out.stdout and "dim=131072" in out.stdout


def test_cli_is_wired_into_the_main_group() -> None:
    from assay.cli import main

    assert {"check", "list"} <= set(main.commands["tasks"].commands)  # type: ignore[attr-defined]
