"""The checks of each block, made by the orchestrator from outside the frozen candidate.

Trusted side. The candidate's inputs must be unchanged, no thread it started may outlive a call, and every
output of every call must have the reference's type, dtype and shape, keep the bytes it had at return, and
match the reference's element by element (`assay.verify`). Failures raise `Outcome`: a flag for an
integrity violation, `incorrect` for a wrong answer.
"""

from __future__ import annotations

import math
import time
from typing import Any

from assay.evaluate._outcome import Outcome
from assay.evaluate._result import Flag, Verdict
from assay.evaluate._workers import Worker
from assay.tasks import TaskSpec
from assay.verify import compare, from_bytes, same_bytes
from assay.worker import tensor_nbytes


def _flag(flag_id: str, evidence: str, message: str) -> Outcome:
    return Outcome(Verdict.FLAGGED, message, (Flag(id=flag_id, evidence=evidence),))


class Checks:
    """The checks of one evaluation; `calls_checked` counts the candidate's calls that passed them all."""

    def __init__(self, ref: Worker, cand: Worker, spec: TaskSpec, thread_baseline: int) -> None:
        self.ref = ref
        self.cand = cand
        self.spec = spec
        self.tolerance = spec.effective_tolerance()
        self.thread_baseline = thread_baseline  # the candidate's threads once constructed, before any call
        self.calls_checked = 0

    def settled_threads(self) -> int:
        """The candidate's thread count after a call, allowing joined threads a moment to finish exiting.

        A thread joined before return can stay listed in /proc for a few milliseconds. Waiting is safe: the
        outputs are already captured, so work done now cannot count, and the candidate is still unfrozen.
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
        where = f" at sizes {sizes}" if sizes else ""
        raise _flag(
            "input-mutated",
            f"call {self.calls_checked + changed + 1}{where}: an input tensor's bytes changed during "
            "the call (read back by the orchestrator after the call)",
            "the candidate modified its inputs in place, which the task does not allow",
        )

    # ---------------------------------------------------------------- checks
    def block(
        self,
        cand_reply: dict[str, Any],
        ref_reply: dict[str, Any],
        ref_calls: list[dict[str, Any]],
        cand_calls: list[dict[str, Any]],
        at_return: list[memoryview],
        threads: int,
        sizes: dict[str, int] | None,
    ) -> None:
        """One block's reply, against the reference's: form, threads left running, then every output.

        `at_return` holds each output as read when its call returned, `threads` the most candidate threads
        alive after a call; the candidate is frozen now.
        """
        ref = self.ref
        outputs, times = cand_reply.get("outputs"), cand_reply.get("times")
        k = len(cand_calls)
        if not (isinstance(outputs, list) and isinstance(times, list)) or not (
            len(outputs) == len(times) == k
            and all(isinstance(t, float | int) and math.isfinite(t) and t >= 0 for t in times)
            and all(isinstance(o, dict) for o in outputs)
        ):
            raise _flag(
                "protocol-violation",
                f"malformed reply: {str(cand_reply)[:200]}",
                "the candidate's worker broke the result protocol",
            )
        if threads > self.thread_baseline:
            raise _flag(
                "thread-left-running",
                f"{threads} threads alive after a call returned, {self.thread_baseline} before the first call",
                "the candidate left threads running after a call returned (deferred work is not counted as done)",
            )
        where = f" at sizes {sizes}" if sizes else ""
        for i, (got, expected) in enumerate(zip(outputs, ref_reply["outputs"], strict=True)):
            label = f"call {self.calls_checked + 1}{where}"
            self._output(label, got, expected, at_return[i], cand_calls[i]["out_offset"])
            actual = from_bytes(at_return[i], expected["dtype"], expected["shape"])
            nbytes = len(at_return[i])
            reference = from_bytes(ref.view(ref_calls[i]["out_offset"], nbytes), expected["dtype"], expected["shape"])
            mismatch = compare(reference, actual, self.tolerance.atol, self.tolerance.rtol)
            if mismatch is not None:
                raise Outcome(Verdict.INCORRECT, f"{label}: {mismatch.describe()}")
            self.calls_checked += 1

    def _output(
        self, label: str, got: dict[str, Any], expected: dict[str, Any], at_return: memoryview, offset: int
    ) -> None:
        """Everything but the values: type, dtype, shape, deferred writes."""
        cand = self.cand
        if got.get("error") == "tensor-subclass":
            raise _flag(
                "tensor-subclass",
                str(got.get("detail")),
                "the candidate returned a tensor that is not a plain torch.Tensor",
            )
        if "error" in got:
            raise Outcome(Verdict.INCORRECT, f"{label}: {got.get('detail', got['error'])}")
        if got.get("dtype") != expected["dtype"]:
            raise Outcome(
                Verdict.INCORRECT,
                f"{label}: output dtype {got.get('dtype')} differs from the reference's {expected['dtype']}",
            )
        if got.get("shape") != expected["shape"]:
            shape = tuple(got.get("shape") or ())
            raise Outcome(
                Verdict.INCORRECT,
                f"{label}: output shape {shape} differs from the reference's {tuple(expected['shape'])}",
            )
        nbytes = tensor_nbytes(expected["dtype"], expected["shape"])
        if len(at_return) != nbytes or not same_bytes(cand.view(offset, nbytes), at_return):
            raise _flag(
                "output-changed-after-return",
                f"{label}: output bytes read at return differ from those read once the candidate was frozen",
                "the candidate kept writing its output after the call returned",
            )
