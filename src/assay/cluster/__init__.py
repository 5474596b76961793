"""Evaluations on a Ray cluster, with the same sandbox, protocol and verdicts as on one machine.

Each node declares how many evaluations it may run at once as the Ray resource `assay_timing_cpu` (one unit
per CPU it gives to evaluations); `RayEvaluator` starts one evaluator per unit, each pinned to a CPU of its
own, and sends each evaluation's task and candidate as text. Ray is imported only when a `RayEvaluator` is
made: importing this package costs nothing.

    from assay.cluster import RayEvaluator
    with RayEvaluator("auto") as cluster:
        result = cluster.evaluate("tasks/l1_softmax", "my_kernel.py")
"""

from assay.cluster._cpus import (
    CPUS_VAR,
    TIMING_RESOURCE,
    CpuClaim,
    claim_timing_cpu,
    evaluator_affinity,
    parse_cpu_list,
    timing_cpus,
)
from assay.cluster._driver import RayEvaluator, connect
from assay.cluster._job import JOB_VERSION, Job, materialize, parse_row
from assay.cluster._node import NodeEvaluator, NodeInfo

__all__ = [
    "CPUS_VAR",
    "JOB_VERSION",
    "TIMING_RESOURCE",
    "CpuClaim",
    "Job",
    "NodeEvaluator",
    "NodeInfo",
    "RayEvaluator",
    "claim_timing_cpu",
    "connect",
    "evaluator_affinity",
    "materialize",
    "parse_cpu_list",
    "parse_row",
    "timing_cpus",
]
