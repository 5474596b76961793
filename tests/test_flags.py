"""The timing cross-checks on measured rounds (the rounds are built here; the evaluator's own runs are in
test_eval.py and the red-team corpus)."""

import numpy as np

from assay.evaluate._flags import timing_flags
from assay.evaluate._session import Block, Round


def _rounds(cand_inner: float, cand_extra: float, fixed: float, jitter: float, n: int = 20) -> list[Round]:
    """Rounds of a 3.2 ms call whose workers each spend `fixed` outside it (the output copy)."""
    rng = np.random.default_rng(0)
    rounds = []
    for i in range(n):
        ref_cpu = 3.2e-3 + fixed * (1 + jitter * rng.standard_normal())
        cand_cpu = 3.2e-3 + fixed * (1 + jitter * rng.standard_normal()) + cand_extra
        rounds.append(
            Round(
                calls=1,
                ref=Block(wall_s=ref_cpu, cpu_s=ref_cpu, inner_s=3.2e-3),
                cand=Block(wall_s=cand_cpu, cpu_s=cand_cpu, inner_s=cand_inner),
                ref_first=i % 2 == 0,
                cpu_clock=True,
            )
        )
    return rounds


def _ids(rounds: list[Round]) -> list[str]:
    return [f.id for f in timing_flags(rounds, 1, [0.0] * len(rounds))]


def test_a_large_output_copy_that_jitters_is_not_a_patched_clock() -> None:
    # 3.5 ms of copying beside a 3.2 ms call (l1_layernorm's 25 MB output), 0.4 ms more of it on the candidate's side.
    assert "clock-mismatch" not in _ids(_rounds(cand_inner=3.2e-3, cand_extra=0.4e-3, fixed=3.5e-3, jitter=0.05))


def test_a_clock_that_hides_the_work_is_flagged_even_beside_a_large_copy() -> None:
    assert "clock-mismatch" in _ids(_rounds(cand_inner=0.0, cand_extra=0.0, fixed=3.5e-3, jitter=0.05))
    assert "clock-mismatch" in _ids(_rounds(cand_inner=1.6e-3, cand_extra=0.0, fixed=3.5e-3, jitter=0.05))


def test_a_clock_that_hides_a_fifth_of_a_small_tasks_work_is_flagged() -> None:
    assert "clock-mismatch" in _ids(_rounds(cand_inner=2.5e-3, cand_extra=0.0, fixed=0.7e-3, jitter=0.05))
    assert "clock-mismatch" not in _ids(_rounds(cand_inner=3.2e-3, cand_extra=0.0, fixed=0.7e-3, jitter=0.05))
