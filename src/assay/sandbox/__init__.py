"""OS sandbox for untrusted candidate code (docs/sandbox.md; docs/design.md section 4).

A trusted worker calls ``enter()`` before importing the candidate, builds the candidate (it may
still compile: fork and exec are allowed, writes only in scratch), then calls ``lockdown()``
before any timed or checked call. ``probe()`` predicts the level without changing anything.
The level reached is always reported, never assumed: L3 namespaces + Landlock + seccomp +
rlimits, L2 without namespaces, L1 seccomp + rlimits, L0 rlimits only.
"""

from assay.sandbox._cgroups import cleanup_cgroups
from assay.sandbox._config import Isolation, Limits, SandboxConfig
from assay.sandbox._enter import enter, host_pid, lockdown
from assay.sandbox._probe import probe

__all__ = [
    "Isolation",
    "Limits",
    "SandboxConfig",
    "cleanup_cgroups",
    "enter",
    "host_pid",
    "lockdown",
    "probe",
]
