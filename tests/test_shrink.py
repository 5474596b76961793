"""Size constants of KernelBench-style files, and shrinking a data-centre-sized problem to fit this machine."""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.errors import TaskError
from assay.tasks import apply_sizes, find_size_constants, is_size_name, load_task, size_floor
from assay.vet import shrink_sizes
from assay.vet._probe import ProbeSession
from assay.vet._shrink import ShrinkResult, shrink_with

KB = Path(__file__).parent / "fixtures" / "kernelbench_style"
MLP = Path(__file__).parent / "fixtures" / "shrink" / "mlp.py"  # hidden widths in a list: a level-3 MLP
STRUCTURAL = {"kernel_size", "stride", "padding", "dilation", "groups"}


@pytest.mark.parametrize(
    "name",
    [
        "batch_size",
        "in_channels",
        "out_channels",
        "features",
        "in_features",
        "hidden_size",
        "dim",
        "dim1",
        "d_model",
        "embed_dim",
        "seq_len",
        "height",
        "width",
        "depth",
        "N",
        "M",
        "K",
        "vocab_size",
        "num_classes",
    ],
)
def test_size_names(name: str) -> None:
    assert is_size_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "kernel_size",
        "stride",
        "padding",
        "output_padding",
        "dilation",
        "groups",
        "num_groups",
        "num_heads",
        "heads",
        "head_dim",
        "pool_kernel_size",
        "reduce_dim",
        "eps",
        "scale_factor",
        "num_layers",
        "negative_slope",
    ],
)
def test_structural_names(name: str) -> None:
    assert not is_size_name(name)


def test_find_size_constants_reads_literals_only() -> None:
    source = """
import torch
batch_size = 16
in_channels, out_channels = 3, 64
kernel_size = 3
stride = 2
groups = 4
height: int = 256
N = 2048 * 2
M = 1 << 10
dim = 393216
eps = 1e-5
width = height * 2          # computed from a name: left out
features = 128
features += 1               # rebound to something unreadable: dropped
flag = True
size = -4                   # not a size
K = 2 ** 100000             # refused, not evaluated
def get_inputs():
    seq_len = 99            # not module level
"""
    assert find_size_constants(source) == {
        "batch_size": 16,
        "in_channels": 3,
        "out_channels": 64,
        "height": 256,
        "N": 4096,
        "M": 1024,
        "dim": 393216,
    }


def test_fixtures_expose_their_sizes_but_not_structure() -> None:
    conv = find_size_constants((KB / "conv2d.py").read_text())
    assert conv == {"batch_size": 16, "in_channels": 64, "out_channels": 128, "height": 1024, "width": 1024}
    assert find_size_constants((KB / "matmul.py").read_text()) == {"M": 8192, "K": 8192, "N": 8192}


def test_apply_sizes_sets_globals_and_refuses_unknown_names() -> None:
    module = types.ModuleType("task")
    module.batch_size = 4096  # type: ignore[attr-defined]
    module.eps = 1e-5  # type: ignore[attr-defined]
    apply_sizes(module, {"batch_size": 8})
    assert module.batch_size == 8  # type: ignore[attr-defined]
    with pytest.raises(TaskError, match="dim"):
        apply_sizes(module, {"dim": 4})
    with pytest.raises(TaskError, match="eps"):
        apply_sizes(module, {"eps": 1})
    with pytest.raises(TaskError, match="positive"):
        apply_sizes(module, {"batch_size": 0})
    assert module.batch_size == 8  # type: ignore[attr-defined]  # nothing applied on error


# Small budgets keep the default run fast; the slow test below uses the real defaults.
TIME_BUDGET_S = 0.15  # conv2d at its floor sizes takes 5-20 ms, yet a noisy host once pushed it past 0.05 s in CI
MEMORY_BUDGET = 256 << 20


@pytest.fixture(scope="module")
def shrunk() -> Iterator[dict[str, tuple[ShrinkResult, float]]]:
    out: dict[str, tuple[ShrinkResult, float]] = {}
    with ProbeSession() as session:
        for name in ("softmax", "conv2d", "matmul", "mlp"):
            start = time.monotonic()
            path = MLP if name == "mlp" else KB / f"{name}.py"
            result = shrink_with(session, load_task(path), TIME_BUDGET_S, MEMORY_BUDGET)
            out[name] = (result, time.monotonic() - start)
    yield out


@pytest.mark.parametrize("name", ["softmax", "conv2d", "matmul"])
def test_shrink_fits_the_budgets_and_keeps_structure(name: str, shrunk: dict[str, tuple[ShrinkResult, float]]) -> None:
    result, seconds = shrunk[name]
    assert result.fits
    assert result.sizes and set(result.sizes) <= set(result.constants)
    assert not set(result.sizes) & STRUCTURAL
    assert all(1 <= v < result.constants[k] for k, v in result.sizes.items())
    assert result.memory_bytes is not None and result.memory_bytes <= MEMORY_BUDGET
    assert result.reference_s is not None and result.reference_s <= TIME_BUDGET_S
    # The full-size tensors were never allocated: softmax alone would need 12.9 GB (input and output).
    assert result.max_rss_bytes is not None and result.max_rss_bytes < 2 << 30
    assert seconds < 20, f"shrinking {name} took {seconds:.1f} s"


def test_size_floors() -> None:
    assert size_floor("batch_size", 4096) == 8 and size_floor("batch_size", 1) == 1
    assert size_floor("in_features", 16384) == 64 and size_floor("dim", 32) == 32 and size_floor("N", 8192) == 64


@pytest.mark.parametrize("name", ["softmax", "conv2d", "matmul", "mlp"])
def test_shrink_keeps_floors_and_shape_ratios(name: str, shrunk: dict[str, tuple[ShrinkResult, float]]) -> None:
    """No size below its floor; the constants still above theirs were divided by factors within 2x of each
    other. (Before the floors, the MLP came out as batch 32, input 32, output 32: a 4096-wide network fed
    32 features.)"""
    result, _ = shrunk[name]
    final = {**result.constants, **result.sizes}
    assert all(v >= size_floor(k, result.constants[k]) for k, v in final.items()), final
    factors = [result.constants[k] / v for k, v in final.items() if v > size_floor(k, result.constants[k])]
    if factors:
        assert max(factors) <= 2 * min(factors), final
    moved = [f"{k} {result.constants[k]} -> {v} " for k, v in result.sizes.items()]
    assert all(any(m in note for note in result.notes) for m in moved), result.notes


def test_shrink_keeps_divisibility_constraints(shrunk: dict[str, tuple[ShrinkResult, float]]) -> None:
    result, _ = shrunk["conv2d"]
    sizes = {**result.constants, **result.sizes}
    assert sizes["in_channels"] % 8 == 0 and sizes["out_channels"] % 8 == 0  # groups = 8


def test_shrink_sizes_leaves_a_small_problem_alone(tmp_path: Path) -> None:
    small = (KB / "softmax.py").read_text().replace("4096", "16").replace("393216", "4096")
    (tmp_path / "small_softmax.py").write_text(small)
    assert shrink_sizes(load_task(tmp_path / "small_softmax.py")) == {}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["softmax", "conv2d", "matmul"])
def test_shrink_with_default_budgets(name: str) -> None:
    start = time.monotonic()
    sizes = shrink_sizes(load_task(KB / f"{name}.py"))
    print(f"{name}: {sizes} in {time.monotonic() - start:.1f} s")
    assert sizes and not set(sizes) & STRUCTURAL
