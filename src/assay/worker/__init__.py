"""Code that runs in worker processes, not in the orchestrator.

Trust boundary: everything in this package executes in processes forked from the zygote. `zygote.py`,
`_reference.py` and the protocol are trusted. `_candidate.py` and `_serve.py` also run INSIDE the sandbox,
next to untrusted candidate code: once the candidate is imported, nothing that process says is trusted, so
the orchestrator validates every reply (`_messages`) and re-checks every claim it makes (outputs, times,
thread counts) from outside.
"""

from assay.worker._messages import (
    Failure,
    InputSpec,
    LaidOut,
    Layout,
    Output,
    OutputProblem,
    Ran,
    Ready,
    Run,
    ScalarSpec,
    TensorSpec,
    parse_laid_out,
    parse_ran,
    parse_ready,
)
from assay.worker._protocol import (
    CANDIDATE_MESSAGE_CAP,
    DTYPE_SIZES,
    TRUSTED_MESSAGE_CAP,
    ProtocolError,
    recv,
    recv_body,
    send,
    tensor_nbytes,
)

__all__ = [
    "CANDIDATE_MESSAGE_CAP",
    "DTYPE_SIZES",
    "TRUSTED_MESSAGE_CAP",
    "Failure",
    "InputSpec",
    "LaidOut",
    "Layout",
    "Output",
    "OutputProblem",
    "ProtocolError",
    "Ran",
    "Ready",
    "Run",
    "ScalarSpec",
    "TensorSpec",
    "parse_laid_out",
    "parse_ran",
    "parse_ready",
    "recv",
    "recv_body",
    "send",
    "tensor_nbytes",
]
