"""Which machine a result was measured on, and the sentence a report owes when results come from several.

A speedup is measured against the reference timed in the same evaluation, on the same CPU, so each one is
sound on its own; but the same code can be 1.3x faster on one CPU model and 1.1x on another. A result from a
Ray node carries `environment["node"]` (`assay.cluster.NodeInfo`); one from this machine carries none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assay.evaluate import EvalResult

LOCAL = "this machine"


@dataclass(frozen=True)
class Machine:
    """Where a result was measured: a Ray node (its id and host) with its CPU model, or `this machine`."""

    name: str
    cpu_model: str | None = None


def machine_of(result: EvalResult) -> Machine:
    node = result.environment.get("node")
    if not isinstance(node, dict):
        return Machine(LOCAL)
    name = f"{node.get('hostname', '?')} (node {str(node.get('node_id', '?'))[:8]})"
    model = node.get("cpu_model")
    return Machine(name, model if isinstance(model, str) else None)


def machines_note(results: Sequence[EvalResult]) -> str | None:
    """A sentence when `results` were measured on more than one machine, else None."""
    machines = sorted({machine_of(r) for r in results}, key=lambda m: m.name)
    if len(machines) < 2:
        return None
    models = sorted({m.cpu_model for m in machines if m.cpu_model})
    models += ["not recorded"] if any(m.cpu_model is None for m in machines) else []
    return (
        f"measured on {len(machines)} machines (CPU models: {', '.join(models)}): each speedup is against the "
        "reference timed on the same node, but speedups (and their geometric mean) from different machines "
        "compare machines as well as code"
    )


def same_machine(a: EvalResult, b: EvalResult) -> bool:
    """Whether two results were measured on one machine (two results without a node are taken as one machine's)."""
    return machine_of(a) == machine_of(b)
