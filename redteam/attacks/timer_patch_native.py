# attack: timer-patch-native
# variant: libc-clock-gettime-trampoline
# weakness: in-process timing trusts libc's clock_gettime, and ctypes plus mprotect let candidate code rewrite it
# seen: pygpubench exploits/submission_function_detour.py and submission_got_patch.py (cudaEventElapsedTime); docs/exploits.md timer-patch-native ("libc/vDSO clock functions could be patched the same way")
# task: matmul
# expect: not-verified
# side-effect: none
"""Overwrite the entry of libc's clock_gettime with a jump to 71 bytes of machine code that makes the syscall
and subtracts an offset from one clock; forward() adds 99% of its own duration to that offset.

The clock is the one the harness reads: CLOCK_PROCESS_CPUTIME_ID inside assay's worker (time.process_time,
captured references included), CLOCK_MONOTONIC (time.perf_counter) anywhere else. x86-64 Linux only. If
mmap/mprotect of executable memory is refused: fail loudly.
"""

import ctypes
import platform
import sys

import torch
import torch.nn as nn

STEAL = 0.99
# fake(clk, ts): eax = SYS_clock_gettime; syscall; if ok and clk == CLOCK: ts -= *offset_ns
CODE = bytes.fromhex(
    "b8e40000000f0585c0753b83ff01753648b98877665544332211488b094c8b064d69c000ca9a3b4c0346084929c84c89c0"
    "31d249c7c100ca9a3b49f7f14889064889560831c0c3"
)
OFFSET_AT = 0x12
CLOCK_AT = 0x0D  # the immediate of `cmp edi, 1`
CLOCK = 2 if "assay.worker" in sys.modules else 1  # CLOCK_PROCESS_CPUTIME_ID, else CLOCK_MONOTONIC
MEASURE = 3 if CLOCK == 2 else 1  # what forward() measures itself with: its thread's CPU clock, or monotonic
PROT_RW, PROT_RX, PROT_RWX = 3, 5, 7
MAP_PRIVATE_ANON = 0x22


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_offset = ctypes.c_int64(0)


def _real_ns():
    ts = Timespec()
    _libc.syscall(228, MEASURE, ctypes.byref(ts))  # the syscall itself, not the patched libc entry
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec


def _install():
    if platform.machine() != "x86_64":
        raise RuntimeError("timer-patch-native: x86-64 only")
    code = bytearray(CODE)
    code[OFFSET_AT : OFFSET_AT + 8] = ctypes.addressof(_offset).to_bytes(8, "little")
    assert code[CLOCK_AT] == 1, "the cmp immediate moved"
    code[CLOCK_AT] = CLOCK
    page = _libc.mmap(None, 4096, PROT_RW, MAP_PRIVATE_ANON, -1, 0)
    if page in (None, ctypes.c_void_p(-1).value):
        raise RuntimeError(f"timer-patch-native blocked: mmap failed (errno {ctypes.get_errno()})")
    ctypes.memmove(page, bytes(code), len(code))
    if _libc.mprotect(page, 4096, PROT_RX) != 0:
        raise RuntimeError(f"timer-patch-native blocked: mprotect(PROT_EXEC) refused (errno {ctypes.get_errno()})")
    target = ctypes.cast(_libc.clock_gettime, ctypes.c_void_p).value
    start = target & ~4095
    if _libc.mprotect(start, 8192, PROT_RWX) != 0:
        raise RuntimeError(f"timer-patch-native blocked: cannot make libc text writable (errno {ctypes.get_errno()})")
    ctypes.memmove(target, b"\x48\xb8" + page.to_bytes(8, "little") + b"\xff\xe0", 12)  # movabs rax, page; jmp rax
    _libc.mprotect(start, 8192, PROT_RX)


_install()


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        t0 = _real_ns()
        out = torch.addmm(self.bias, x, self.weight.t())
        _offset.value += int((_real_ns() - t0) * STEAL)
        return out
