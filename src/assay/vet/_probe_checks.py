"""Task checks that run the task's own code (probe child): determinism, trivial answers, sensitivity, time.

Each check either passes or raises `ProbeFailure(code, message)`; the first failure is the task's one reason.
Outputs are compared with the evaluator's own `assay.verify.compare`, so "a trivial answer passes here"
means exactly "it would pass the evaluator's correctness check".
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import torch

from assay.tasks import apply_sizes
from assay.verify import compare
from assay.vet._probe_runtime import (
    Footprint,
    ProbeFailure,
    Reporter,
    as_float64,
    build,
    call,
    digest,
    load_module,
    make_inputs,
    median_call_s,
    meta_footprint,
    state_digest,
)

# Seeds: weights 0 and 1, inputs 1 and 2. Fixed, because the checker judges the task, not a candidate.
W0, W1, X0, X1 = 0, 1, 1, 2


def _first_call(module: ModuleType, report: Reporter, max_call_s: float) -> tuple[torch.Tensor, list[Any], float]:
    report.stage("build", deadline_s=120.0)
    model = build(module, W0)
    inputs = make_inputs(module, X0)
    pristine = [v.clone() if isinstance(v, torch.Tensor) else v for v in inputs]
    # Twice the limit plus time for first-call warm-up (oneDNN picks kernels, pages fault in). On this VM a first
    # call that faulted in 800 MB of fresh memory overran a 1 s allowance once in CI (KernelBench's softmax, shrunk
    # to 0.5 s calls); a runaway call is still stopped within seconds, and the timed calls keep `max_call_s`.
    report.stage("first-call", deadline_s=2 * max_call_s + 10.0)
    out, seconds = call(model, inputs)
    if seconds > max_call_s:
        out, seconds = call(model, make_inputs(module, X0))
        if seconds > max_call_s:
            raise ProbeFailure(
                "too_long",
                f"a reference call takes {seconds:.2f} s single-threaded, over the {max_call_s:g} s limit",
            )
    return out, pristine, seconds


def _run(module: ModuleType, weight_seed: int, input_seed: int) -> torch.Tensor:
    return call(build(module, weight_seed), make_inputs(module, input_seed))[0]


def _check_deterministic(module: ModuleType, ref: torch.Tensor) -> None:
    again = _run(module, W0, X0)
    if digest(again) != digest(ref):
        detail = ""
        if again.shape == ref.shape:
            differ = int((again.reshape(-1).view(torch.uint8) != ref.reshape(-1).view(torch.uint8)).sum())
            detail = f" ({differ} bytes differ)"
        raise ProbeFailure("nondeterministic", f"two runs with the same seeds gave different outputs{detail}")


def _trivial_answers(ref: np.ndarray, first_input: Any, uninit: np.ndarray | None) -> list[tuple[str, str, np.ndarray]]:
    answers: list[tuple[str, str, np.ndarray]] = [("zeros_pass", "an all-zeros output", np.zeros_like(ref))]
    if ref.size:
        mean = np.mean(ref)
        answers.append(
            ("constant_pass", f"a constant equal to the reference mean ({mean:.4g})", np.full_like(ref, mean))
        )
        if ref.ndim >= 1 and ref.shape[-1] > 1:  # with one element per row, the row mean IS the output
            row_mean = np.broadcast_to(np.mean(ref, axis=-1, keepdims=True), ref.shape)
            answers.append(
                (
                    "mean_pass",
                    "the mean of each row of the reference (over the last dimension), broadcast,",
                    row_mean,
                )
            )
    if isinstance(first_input, torch.Tensor) and tuple(first_input.shape) == ref.shape:
        answers.append(("passthrough_pass", "returning the first input unchanged", as_float64(first_input)))
    if uninit is not None:
        answers.append(("uninitialized_pass", "an uninitialized buffer (torch.empty)", uninit))
    return answers


def _bf16_output(module: ModuleType) -> np.ndarray | None:
    """The reference run in bfloat16 (model and floating inputs cast), widened back; None if bf16 fails."""
    model = build(module, W0).to(torch.bfloat16)
    inputs = [
        v.to(torch.bfloat16) if isinstance(v, torch.Tensor) and v.is_floating_point() else v
        for v in make_inputs(module, X0)
    ]
    try:
        return as_float64(call(model, inputs)[0].float())
    except ProbeFailure:
        return None  # an op without a bf16 kernel on this CPU: no cheap low-precision shortcut here either


def _close(expected: np.ndarray, actual: np.ndarray, atol: float, rtol: float) -> bool:
    """Whether `actual` passes the evaluator's check against `expected`; a different shape never does."""
    if expected.shape != actual.shape:
        return False
    # compare() views its arrays as raw bytes, which needs contiguous arrays of at least one dimension
    # (a broadcast mean or a 0-d loss is neither); flattening changes nothing element by element.
    flat = [np.ascontiguousarray(x).reshape(-1) for x in (expected, actual)]
    return compare(flat[0], flat[1], atol, rtol) is None


def _check_sensitivity(module: ModuleType, ref: np.ndarray, atol: float, rtol: float, notes: list[str]) -> None:
    if _close(ref, as_float64(_run(module, W0, X1)), atol, rtol):
        raise ProbeFailure(
            "input_insensitive",
            "output does not depend on the inputs: two input seeds give outputs within the tolerance",
        )
    model = build(module, W0)
    if not model.state_dict():
        return  # no weights at all (softmax, pooling): nothing to be sensitive to
    if state_digest(model) == state_digest(build(module, W1)):
        notes.append("weights do not depend on the seed, so weight sensitivity was not checked")
        return
    if _close(ref, as_float64(_run(module, W1, X0)), atol, rtol):
        raise ProbeFailure(
            "weight_insensitive",
            "output does not depend on the weights: two weight seeds give outputs within the tolerance",
        )


def _check_memory(fp: Footprint | None, budget: int) -> None:
    if fp is not None and fp.nbytes > budget:
        raise ProbeFailure(
            "too_large",
            f"one call needs at least {fp.nbytes / 2**30:.2f} GiB (weights, inputs, output), over the "
            f"{budget / 2**30:.2f} GiB budget; lower the sizes",
        )


def _uninitialized(fp: Footprint | None) -> np.ndarray | None:
    """torch.empty of the output's shape, taken before this process has run the reference even once."""
    if fp is None or fp.out_shape is None or fp.out_dtype is None:
        return None
    return as_float64(torch.empty(fp.out_shape, dtype=fp.out_dtype).clone())


def run_check(job: dict[str, Any], report: Reporter) -> dict[str, Any]:
    """Job `check`: every check of one task at the given sizes; the first failure wins."""
    report.stage("load", deadline_s=120.0)
    module = load_module(job["task_file"])
    apply_sizes(module, job.get("sizes") or {})
    atol, rtol, max_call_s = float(job["atol"]), float(job["rtol"]), float(job["max_call_s"])
    notes: list[str] = []
    footprint = meta_footprint(module)  # shapes only: nothing is allocated yet
    _check_memory(footprint, int(job["memory_budget_bytes"]))
    uninit = _uninitialized(footprint)
    out, pristine, _ = _first_call(module, report, max_call_s)
    report.stage("checks", deadline_s=None)
    _check_deterministic(module, out)
    ref = as_float64(out)
    first_input = next((v for v in pristine if isinstance(v, torch.Tensor)), None)
    for code, what, answer in _trivial_answers(ref, first_input, uninit):
        if _close(ref, answer, atol, rtol):
            raise ProbeFailure(code, f"{what} passes the tolerance (atol={atol:g}, rtol={rtol:g})")
    if job["dtype"] == "float32" and out.is_floating_point():
        low = _bf16_output(module)
        if low is not None and _close(ref, low, atol, rtol):
            raise ProbeFailure(
                "bf16_pass",
                f"the reference computed in bfloat16 passes the float32 tolerance (atol={atol:g}, rtol={rtol:g})",
            )
    _check_sensitivity(module, ref, atol, rtol, notes)
    report.stage("timing", deadline_s=None)
    seconds = median_call_s(build(module, W0), make_inputs(module, X0), budget_s=min(0.3, 3 * max_call_s))
    if seconds < float(job["min_call_s"]):
        raise ProbeFailure(
            "too_short",
            f"a reference call takes {seconds * 1e3:.3f} ms single-threaded, under the "
            f"{float(job['min_call_s']) * 1e3:g} ms needed to time it well",
        )
    if seconds > max_call_s:
        raise ProbeFailure(
            "too_long",
            f"a reference call takes {seconds:.2f} s single-threaded, over the {max_call_s:g} s limit",
        )
    return {"reason": None, "reference_s": seconds, "notes": notes}


def run_time(job: dict[str, Any], report: Reporter) -> dict[str, Any]:
    """Job `time`: the median single-threaded reference call at the given sizes (for `assay tasks list`)."""
    report.stage("load", deadline_s=120.0)
    module = load_module(job["task_file"])
    apply_sizes(module, job.get("sizes") or {})
    _check_memory(meta_footprint(module), int(job["memory_budget_bytes"]))
    _, _, first = _first_call(module, report, float(job["max_call_s"]))
    report.stage("timing", deadline_s=None)
    seconds = median_call_s(build(module, W0), make_inputs(module, X0), budget_s=min(0.5, 2 * first))
    return {"reason": None, "reference_s": seconds, "notes": []}
