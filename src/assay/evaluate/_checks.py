"""The checks of each block, made by the orchestrator from outside the frozen candidate.

Trusted side. The candidate's inputs must be unchanged, no thread it started may outlive a call, and every
output of every call must have the reference's dtype and shape, keep the bytes it had at return, and match the
reference's element by element (`assay.verify`). The output bytes were copied out of the candidate's memory by
the orchestrator at return (`Rounds`); the reply's claims about them are only used to find them. Failures raise
`Outcome`: a flag for an integrity violation, `incorrect` for a wrong answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from assay._text import clean
from assay.evaluate._outcome import Outcome, flag
from assay.evaluate._result import Verdict
from assay.evaluate._workers import Worker
from assay.tasks import TaskSpec
from assay.verify import compare, from_bytes, same_bytes
from assay.worker import OutputProblem, Ran, tensor_nbytes


@dataclass(frozen=True)
class Expected:
    """The reference's output at one set of sizes: what every candidate output there must look like."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return tensor_nbytes(self.dtype, list(self.shape))


def matches(reply: Ran, expected: Expected) -> bool:
    """Whether a reply's output claims the expected dtype and shape (only then are its bytes read)."""
    out = reply.output
    return not isinstance(out, OutputProblem) and out.dtype == expected.dtype and tuple(out.shape) == expected.shape


class Checks:
    """The checks of one evaluation; `calls_checked` counts the candidate's calls that passed them all."""

    def __init__(self, cand: Worker, spec: TaskSpec, thread_baseline: int) -> None:
        self.cand = cand
        self.spec = spec
        self.tolerance = spec.effective_tolerance()
        self.thread_baseline = thread_baseline  # the candidate's threads once constructed, before any call
        self.calls_checked = 0

    def settled_threads(self) -> int:
        """The candidate's thread count after a call, allowing joined threads a moment to finish exiting.

        A thread joined before return can stay listed in /proc for a few milliseconds. Waiting is safe: the
        output is already captured, so work done now cannot count, and the candidate is still unfrozen.
        """
        deadline = time.monotonic() + 0.05
        threads = self.cand.thread_count()
        while threads > self.thread_baseline and time.monotonic() < deadline:
            time.sleep(0.002)
            threads = self.cand.thread_count()
        return threads

    def inputs(self, data: memoryview, inputs: list[list[dict[str, Any]]], sizes: dict[str, int] | None) -> None:
        """The candidate's inputs, compared in its (frozen) memfd: any change was made by the candidate."""
        cand = self.cand
        if self.spec.mutates_inputs or same_bytes(cand.view(0, len(data)), data):
            return
        changed = next(
            (
                i
                for i, specs in enumerate(inputs)
                for s in specs
                if "offset" in s
                and not same_bytes(cand.view(s["offset"], s["nbytes"]), data[s["offset"] : s["offset"] + s["nbytes"]])
            ),
            0,
        )
        raise flag(
            "input-mutated",
            f"call {self.calls_checked + changed + 1}{_where(sizes)}: an input tensor's bytes changed during "
            "the call (read back by the orchestrator after the call)",
            "the candidate modified its inputs in place, which the task does not allow",
        )

    def threads(self, threads: int) -> None:
        if threads > self.thread_baseline:
            raise flag(
                "thread-left-running",
                f"{threads} threads alive after a call returned, {self.thread_baseline} before the first call",
                "the candidate left threads running after a call returned (deferred work is not counted as done)",
            )

    def unchanged(self, at_return: memoryview, frozen: memoryview, call: int, sizes: dict[str, int] | None) -> None:
        """The block's last output, read at return and again once the candidate was frozen."""
        if len(at_return) != len(frozen) or not same_bytes(at_return, frozen):
            raise flag(
                "output-changed-after-return",
                f"call {self.calls_checked + call + 1}{_where(sizes)}: output bytes read at return differ from "
                "those read once the candidate was frozen",
                "the candidate kept writing its output after the call returned",
            )

    def output(
        self,
        reply: Ran,
        expected: Expected,
        reference: memoryview,
        got: memoryview | None,
        sizes: dict[str, int] | None,
    ) -> None:
        """One call's output against the reference's: what it is, then every element."""
        label = f"call {self.calls_checked + 1}{_where(sizes)}"
        out = reply.output
        if isinstance(out, OutputProblem):
            if out.error == "tensor-subclass":
                raise flag(
                    "tensor-subclass",
                    clean(out.detail, 100, 200),
                    "the candidate returned a tensor that is not a plain torch.Tensor",
                )
            raise Outcome(Verdict.INCORRECT, f"{label}: {clean(out.detail, 100, 200)}")
        if out.dtype != expected.dtype:
            raise Outcome(
                Verdict.INCORRECT, f"{label}: output dtype {out.dtype} differs from the reference's {expected.dtype}"
            )
        if tuple(out.shape) != expected.shape:
            raise Outcome(
                Verdict.INCORRECT,
                f"{label}: output shape {tuple(out.shape)} differs from the reference's {expected.shape}",
            )
        if got is None or len(got) != expected.nbytes:
            raise flag(
                "protocol-violation",
                f"{label}: the output's {expected.nbytes} bytes at address {out.address:#x} are not all readable "
                "in the candidate's memory",
                "the candidate's worker broke the result protocol",
            )
        shape = list(expected.shape)
        mismatch = compare(
            from_bytes(reference, expected.dtype, shape),
            from_bytes(got, expected.dtype, shape),
            self.tolerance.atol,
            self.tolerance.rtol,
        )
        if mismatch is not None:
            raise Outcome(Verdict.INCORRECT, f"{label}: {mismatch.describe()}")
        self.calls_checked += 1


def _where(sizes: dict[str, int] | None) -> str:
    return f" at sizes {sizes}" if sizes else ""
