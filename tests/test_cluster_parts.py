"""The parts of `--ray` that need no cluster: timing-CPU claims (real locks, a real killed holder), the job's
round trip, the results file's one verdict per key (two writers, a line cut short), the machines note, the
import rule (no Ray without `--ray`) and a cluster that cannot be reached."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assay.cli._results import ResultsFile
from assay.cluster import (
    CPUS_VAR,
    Job,
    claim_timing_cpu,
    evaluator_affinity,
    materialize,
    parse_cpu_list,
    parse_row,
    timing_cpus,
)
from assay.errors import ClusterError, ConfigError, TaskError
from assay.evaluate import EvalError, EvalResult, Verdict
from assay.report import machines_note, same_machine
from assay.tasks import load_task
from tests.conftest import FIXTURES, QUICK

TASK = FIXTURES / "bench_suite" / "suite" / "tanh_a"


def test_cpu_lists() -> None:
    assert parse_cpu_list("4-6, 9") == [4, 5, 6, 9] and parse_cpu_list("1") == [1]
    for bad in ("", "a", "3-", "-2", "1,,2"):
        with pytest.raises(ConfigError):
            parse_cpu_list(bad)


def test_with_named_timing_cpus_an_evaluator_keeps_its_own_and_the_spare_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    monkeypatch.delenv(CPUS_VAR, raising=False)
    assert evaluator_affinity(cpus[-1]) is None  # unnamed: the generator takes the lowest CPU, as locally
    monkeypatch.setenv(CPUS_VAR, ",".join(map(str, cpus)))
    assert evaluator_affinity(cpus[-1]) is None  # no spare CPU: left as it is
    # A larger node than this 2-core machine (its CPU set is the one thing faked): timing CPUs 2 and 3.
    monkeypatch.setattr("assay.cluster._cpus.os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setenv(CPUS_VAR, "2-3")
    assert evaluator_affinity(3) == {0, 1, 3} and evaluator_affinity(2) == {0, 1, 2}


def test_claims_take_distinct_cpus_and_a_killed_holder_frees_its_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cpus = sorted(os.sched_getaffinity(0), reverse=True)
    assert timing_cpus() == cpus
    monkeypatch.setenv(CPUS_VAR, str(cpus[0]))
    first = claim_timing_cpu(tmp_path)
    assert first.cpu == cpus[0]
    with pytest.raises(ClusterError, match="held by another evaluator"):  # one CPU, already held
        claim_timing_cpu(tmp_path)
    first.release()
    # A holder that dies by SIGKILL, as an evaluator does when its node is lost: the kernel drops its lock.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from assay.cluster import claim_timing_cpu; "
         "claim_timing_cpu(Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(ClusterError):
        claim_timing_cpu(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert claim_timing_cpu(tmp_path).cpu == cpus[0]
    monkeypatch.setenv(CPUS_VAR, "4096")
    with pytest.raises(ConfigError, match="may not use"):
        claim_timing_cpu(tmp_path)


def test_a_job_carries_text_only_and_rebuilds_the_task_and_options(tmp_path: Path) -> None:
    task = load_task(TASK)
    config = replace(QUICK, sizes={"dim": 64}, cpu=0)
    job = Job.read(task, FIXTURES / "cluster" / "tanh_a" / "honest.py", config, None)
    wire = json.loads(job.model_dump_json())
    assert set(wire) == {"version", "task_name", "task_source", "task_spec", "candidate_source", "name", "config"}
    assert wire["config"]["cpu"] is None  # the node picks its timing CPU
    received = Job.model_validate_json(job.model_dump_json())
    assert received.key() == job.key() and received.eval_config(1) == replace(config, cpu=1)
    copy = materialize(received, tmp_path)
    assert (copy.name, copy.spec, copy.source) == (task.name, task.spec, task.source)
    assert copy.root.is_relative_to(tmp_path) and materialize(received, tmp_path) == copy
    with pytest.raises(TaskError, match="plain file name"):
        materialize(received.model_copy(update={"task_name": "../x"}), tmp_path)


def test_a_nodes_answer_parses_as_a_result_or_an_error() -> None:
    result = EvalResult(verdict=Verdict.CRASHED, message="boom")
    error = EvalError(error="SandboxError", message="no namespaces")
    assert parse_row(result.model_dump_json()) == result
    assert parse_row(error.model_dump_json()) == error
    with pytest.raises(ValueError):
        parse_row('{"verdict": "nonsense"}')


def _row(verdict: Verdict, node: str | None = None, cpu: str = "CPU A") -> EvalResult:
    environment = {"node": {"node_id": node, "hostname": "h", "cpu_model": cpu}} if node else {}
    return EvalResult(verdict=verdict, task="t", candidate="c.py", environment=environment)


def test_each_keys_verdict_is_written_once_whoever_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    one, two = ResultsFile(path), ResultsFile(path)  # two writers (two runs) sharing one file
    error = EvalError(error="ClusterError", message="lost its node 3 times")
    assert one.record("k1", error) == error  # an error row is written, and does not count as done
    first = _row(Verdict.VERIFIED, "n1")
    assert one.record("k1", first) is first
    assert two.record("k1", _row(Verdict.INCORRECT, "n2")) == first  # the other writer finds it there
    assert one.record("k1", _row(Verdict.CRASHED)) == first
    with path.open("a") as f:
        f.write('{"verdict": "verified", "ta')  # a writer killed mid-line
    assert two.record("k2", _row(Verdict.CRASHED, "n2")).verdict == "crashed"
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[-1])["key"] == "k2"  # the cut line was ended, not merged
    assert [json.loads(line)["verdict"] for line in lines if line.startswith("{\"version")] == [
        None, "verified", "crashed"
    ]  # fmt: skip
    assert set(ResultsFile(path).verdicts) == {"k1", "k2"}


def test_results_from_several_machines_say_so() -> None:
    local, a1, a2 = _row(Verdict.VERIFIED), _row(Verdict.VERIFIED, "a"), _row(Verdict.VERIFIED, "a")
    b = _row(Verdict.VERIFIED, "b", "CPU B")
    assert machines_note([local, local]) is None and machines_note([a1, a2]) is None
    note = machines_note([a1, b])
    assert note is not None and note.startswith("measured on 2 machines (CPU models: CPU A, CPU B)")
    assert (machines_note([local, a1]) or "").startswith("measured on 2 machines (CPU models: CPU A, not recorded)")
    assert same_machine(a1, a2) and not same_machine(a1, b) and not same_machine(local, a1)


def test_no_ray_without_ray_and_an_unreachable_cluster_is_one_sentence(tmp_path: Path) -> None:
    check = "import sys, assay.cli, assay.cluster; from assay.cli import _bench, _optimize; print('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], capture_output=True, text=True).stdout == "False\n"
    suite = FIXTURES / "bench_suite" / "suite"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "bench", str(suite), str(FIXTURES / "cluster"), "--ray", "127.0.0.1:1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("assay: cannot reach a Ray cluster at 127.0.0.1:1"), proc.stderr
