"""The exception tree. Infrastructure failures raise; candidate failures are verdicts, never exceptions.

AssayError
├── UserError (ValueError)            the caller gave bad input: one sentence, exit code 2
│   ├── TaskError                     a task that cannot be loaded or is malformed
│   └── ConfigError                   a bad option or configuration value
└── InfrastructureError (RuntimeError) assay itself could not do its job
    ├── SandboxError                  the sandbox could not start, or strict isolation is unavailable
    ├── WorkerError                   a trusted worker (zygote, reference) failed or broke protocol
    │   └── WorkerTimeout (TimeoutError)
    └── ClusterError                  a Ray cluster could not be reached, offers no timing CPU, or lost every node
"""

from __future__ import annotations


class AssayError(Exception):
    """Root of every error assay raises on purpose."""


class UserError(AssayError, ValueError):
    """The caller's input is wrong; the message is one sentence the user can act on."""


class TaskError(UserError):
    """A task file or folder is missing, malformed or fails to load."""


class ConfigError(UserError):
    """An option or configuration value is invalid."""


class InfrastructureError(AssayError, RuntimeError):
    """assay could not do its job for a reason that is not the candidate's fault."""


class SandboxError(InfrastructureError):
    """The sandbox could not be set up, or the requested isolation level is unavailable."""


class WorkerError(InfrastructureError):
    """A trusted worker process failed or broke the protocol."""


class WorkerTimeout(WorkerError, TimeoutError):
    """A trusted worker did not answer in time."""


class ClusterError(InfrastructureError):
    """A Ray cluster could not be reached, declares no timing CPU, or has no node left to evaluate on."""


__all__ = [
    "AssayError",
    "ClusterError",
    "ConfigError",
    "InfrastructureError",
    "SandboxError",
    "TaskError",
    "UserError",
    "WorkerError",
    "WorkerTimeout",
]
