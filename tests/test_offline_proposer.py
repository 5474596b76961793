"""The offline proposer: every stage on bundled tasks and a KernelBench file, determinism, no reading of a
task's solutions, real evaluations of what it proposes, and repair backing off the transformation at fault.

The analysis runs in a real child process (one per task, cached by the module's proposer); evaluations go
through the real evaluator and sandbox with the quick test configuration.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assay.evaluate import EvalResult, Evaluator, Verdict
from assay.search import OfflineProposer, Parent, Proposal, ProposalRequest, Stage
from assay.search._offline._render import read_header
from assay.tasks import Task, load_task
from tests.conftest import FIXTURES, QUICK

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks"
# Elementwise, attention (traced), an LSTM (untraceable: whole-module changes only), a CNN, a transformer
# layer, and a plain KernelBench file with gigabyte-sized inputs (analysed on fake tensors).
STAGE_TASKS = ["l1_swish", "l2_causal_attention", "l3_lstm", "l3_small_cnn", "l3_transformer_layer"]


@pytest.fixture(scope="module")
def proposer() -> OfflineProposer:
    return OfflineProposer()


def _task(name: str) -> Task:
    return load_task(FIXTURES / "kernelbench_style" / name if name.endswith(".py") else TASKS / name)


def _defines_modelnew(source: str | None) -> bool:
    assert source is not None
    compile(source, "candidate.py", "exec")  # compiled, never run: catches what ast.parse lets through
    tree = ast.parse(source)
    return any(isinstance(node, ast.ClassDef) and node.name == "ModelNew" for node in tree.body)


def _genes(proposal: Proposal) -> dict[str, str]:
    assert proposal.source is not None
    header = read_header(proposal.source)
    assert header is not None
    genes = header["genes"]
    assert isinstance(genes, dict)
    return genes


def _ask(
    proposer: OfflineProposer,
    task: Task,
    stage: Stage,
    *parents: Proposal,
    seed: int = 0,
    result: EvalResult | None = None,
    attempt: int = 0,
) -> Proposal:
    request = ProposalRequest(
        task=task,
        stage=stage,
        parents=tuple(Parent(i, p.source or "", result) for i, p in enumerate(parents)),
        seed=seed,
        attempt=attempt,
    )
    proposal = proposer.propose(request)
    assert proposal.proposer == "offline" and proposal.usage.cost_usd == 0 and proposal.usage.input_tokens == 0
    assert proposal.error == "" and proposal.description
    return proposal


@pytest.mark.parametrize("name", [*STAGE_TASKS, "matmul.py"])
def test_every_stage_yields_a_modelnew(proposer: OfflineProposer, name: str) -> None:
    task = _task(name)
    first = _ask(proposer, task, "translate")
    assert _defines_modelnew(first.source) and _genes(first) == {}
    a = _ask(proposer, task, "evolve", first, seed=1)
    assert _defines_modelnew(a.source)
    assert len(_genes(a)) == 1, "evolve makes one change to the translation"
    # Another single change, to a different transformation where the task offers one (the LSTM offers only
    # compilation).
    b = next(
        (
            p
            for p in (_ask(proposer, task, "evolve", first, seed=s) for s in range(2, 12))
            if set(_genes(p)) != set(_genes(a))
        ),
        a,
    )
    assert _defines_modelnew(b.source)
    child = _ask(proposer, task, "crossover", a, b, seed=3)
    assert _defines_modelnew(child.source)
    if b is not a:
        # (options may be adjusted: prepacked oneDNN weights become plain ones under torch.compile)
        assert set(_genes(a)) | set(_genes(b)) == set(_genes(child)), "crossover takes both parents' changes"
    broken = EvalResult(verdict=Verdict.INCORRECT, message="output 0 differs at element 17")
    fixed = _ask(proposer, task, "repair", a, result=broken)
    assert _defines_modelnew(fixed.source)
    assert _genes(fixed) != _genes(a)


def test_any_kernelbench_file(proposer: OfflineProposer, tmp_path: Path) -> None:
    """A file with a docstring, `from __future__` and a helper: the future import must open the candidate."""
    task_file = tmp_path / "gelu_scaled.py"
    task_file.write_text(
        '"""A KernelBench-style problem."""\n'
        "from __future__ import annotations\n\n"
        "import torch\nimport torch.nn as nn\n\n"
        "def _act(x):\n    return x * torch.sigmoid(x)\n\n"
        "class Model(nn.Module):\n"
        "    def __init__(self, n: int):\n"
        "        super(Model, self).__init__()\n"
        "        self.fc = nn.Linear(n, n)\n"
        "    def forward(self, x):\n"
        "        return _act(self.fc(x)) * 2.0\n\n"
        "def get_inputs():\n    return [torch.rand(8, 16)]\n\n"
        "def get_init_inputs():\n    return [16]\n"
    )
    task = load_task(task_file)
    first = _ask(proposer, task, "translate")
    assert _defines_modelnew(first.source)
    assert first.source is not None and first.source.index("from __future__") < first.source.index("import torch")
    for seed in range(6):
        assert _defines_modelnew(_ask(proposer, task, "evolve", first, seed=seed).source)


def test_same_seed_same_program_different_seeds_explore() -> None:
    task = _task("l3_transformer_layer")
    one, two = OfflineProposer(), OfflineProposer()
    base = _ask(one, task, "translate")
    assert base.source == _ask(two, task, "translate").source
    assert _ask(one, task, "evolve", base, seed=7).source == _ask(two, task, "evolve", base, seed=7).source
    changes = {json.dumps(_genes(_ask(one, task, "evolve", base, seed=s))) for s in range(12)}
    assert len(changes) >= 3, changes


def test_never_reads_a_tasks_solutions(proposer: OfflineProposer, tmp_path: Path) -> None:
    """Audited on both sides: file opens in this process while proposing, and every open in the analysis
    child (run here under an audit hook that logs each path)."""
    folder = tmp_path / "l2_ffn"
    shutil.copytree(TASKS / "l2_ffn", folder)
    assert (folder / "start.py").is_file() and (folder / "reference.py").is_file()
    opened: list[str] = []

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], str | Path):
            opened.append(str(args[0]))
        elif event == "subprocess.Popen":
            command = args[1]
            if isinstance(command, list | tuple):
                opened.extend(str(a) for a in command)

    sys.addaudithook(hook)
    task = load_task(folder)
    opened.clear()
    fresh = OfflineProposer()
    first = _ask(fresh, task, "translate")
    _ask(fresh, task, "evolve", first, seed=3)
    seen = list(opened)
    opened.clear()  # the hook stays installed (audit hooks cannot be removed); later opens are ignored
    assert any(p.endswith("task.py") for p in seen)
    assert not [p for p in seen if p.endswith(("start.py", "reference.py"))]

    log = tmp_path / "child-opens.txt"
    runner = (
        "import sys, runpy\n"
        f"log = open({str(log)!r}, 'w')\n"
        "sys.addaudithook(lambda e, a: e == 'open' and isinstance(a[0], str) and log.write(a[0] + '\\n'))\n"
        "sys.argv = ['trace', sys.argv[1], '[]']\n"
        "runpy.run_module('assay.search._offline._trace', run_name='__main__')\n"
        "log.flush()\n"
    )
    out = subprocess.run([sys.executable, "-c", runner, str(folder / "task.py")], capture_output=True, check=True)
    assert json.loads(out.stdout.decode().strip().splitlines()[-1])["traced"] is True
    child_opens = log.read_text().splitlines()
    assert any(p.endswith("task.py") for p in child_opens)
    assert not [p for p in child_opens if p.endswith(("start.py", "reference.py"))]


def test_repair_backs_off_the_transformation_at_fault(proposer: OfflineProposer) -> None:
    task = _task("l2_causal_attention")
    first = _ask(proposer, task, "translate")
    seeds = (_ask(proposer, task, "evolve", first, seed=s) for s in range(40))
    sdpa = next(p for p in seeds if _genes(p) == {"sdpa": "on"})
    compiled = next(
        p
        for p in (_ask(proposer, task, "evolve", sdpa, seed=s) for s in range(40))
        if _genes(p).get("compile") == "freezing"
    )
    assert _genes(compiled) == {"sdpa": "on", "compile": "freezing"}
    # A crash whose message names the compiler: compilation steps back, attention stays.
    crash = EvalResult(verdict=Verdict.CRASHED, message="torch._dynamo.exc.BackendCompilerFailed: inductor raised ...")
    fixed = _ask(proposer, task, "repair", compiled, result=crash)
    assert _genes(fixed) == {"sdpa": "on", "compile": "default"}
    # An incorrect output with nothing named: the latest change (compile) backs off; a second attempt turns
    # it off altogether.
    wrong = EvalResult(verdict=Verdict.INCORRECT, message="output 0 differs at element 3 by 0.5")
    assert _genes(_ask(proposer, task, "repair", compiled, result=wrong, attempt=1)) == {"sdpa": "on"}
    assert _genes(_ask(proposer, task, "repair", sdpa, result=wrong)) == {}
    # A parent from elsewhere (no header): back to the plain translation.
    foreign = Proposal(source="import torch\nclass ModelNew(torch.nn.Module):\n    pass\n", proposer="llm")
    assert _genes(_ask(proposer, task, "repair", foreign, result=wrong)) == {}


@pytest.mark.slow
def test_translation_and_a_transformation_are_verified(proposer: OfflineProposer, evaluator: Evaluator) -> None:
    task = _task("l1_swish")
    first = _ask(proposer, task, "translate")
    assert first.source is not None
    result = evaluator.evaluate(task, first.source, QUICK, name="translation")
    assert result.verdict == "verified", result.message
    silu = next(
        p
        for p in (_ask(proposer, task, "evolve", first, seed=s) for s in range(40))
        if _genes(p) == {"activations": "on"}
    )
    assert silu.source is not None and "silu" in silu.source
    result = evaluator.evaluate(task, silu.source, QUICK, name="silu")
    assert result.verdict == "verified", result.message
    assert result.speedup is not None and result.speedup > 1.0  # x * sigmoid(x) in one pass instead of three

    # Untraceable (a Python loop over the sequence length): the forward's own source, rewritten.
    lstm = _task("l3_lstm")
    first = _ask(proposer, lstm, "translate")
    hoisted = next(
        p
        for p in (_ask(proposer, lstm, "evolve", first, seed=s) for s in range(40))
        if _genes(p) == {"hoist_linear": "on"}
    )
    assert hoisted.source is not None and "_hoisted_0 = self.x2h(x)" in hoisted.source
    result = evaluator.evaluate(lstm, hoisted.source, QUICK, name="lstm-hoisted")
    assert result.verdict == "verified", result.message


@pytest.mark.slow
def test_combined_rewrites_are_verified(proposer: OfflineProposer, evaluator: Evaluator) -> None:
    """Every graph rewrite a task offers, at once (crossover of single changes), through the sandbox."""
    for name in ("l3_transformer_layer", "l3_small_cnn"):
        task = _task(name)
        first = _ask(proposer, task, "translate")
        singles = [_ask(proposer, task, "evolve", first, seed=s) for s in range(60)]
        rewrites = [p for p in singles if "compile" not in _genes(p)]
        child = rewrites[0]
        for other in rewrites[1:]:
            if not set(_genes(other)) <= set(_genes(child)):  # a new rewrite: the union is a new program
                child = _ask(proposer, task, "crossover", child, other, seed=1)
        genes = _genes(child)
        assert "compile" not in genes and len(genes) >= 3, genes
        result = evaluator.evaluate(task, child.source or "", QUICK, name=f"{name}-combined")
        assert result.verdict == "verified", (genes, result.message)
