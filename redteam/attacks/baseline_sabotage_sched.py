# attack: baseline-sabotage
# variant: renice-and-pin-the-others
# weakness: scheduling priority and CPU affinity of the harness and its reference worker can be changed by a candidate running as the same user
# seen: inferred (docs/exploits.md baseline-sabotage; docs/sandbox.md section 2.2 kill_parent: signals and scheduling reach the evaluator when not isolated)
# task: matmul
# expect: not-verified
# side-effect: process
"""At construction: renice the parent and its process group to 19 and pin them to one CPU, renice and pin any
sibling process (the reference worker), and make this process SCHED_FIFO. If nothing outside this process
could be touched: fail loudly. Otherwise compute honestly (the runner checks its own priority and affinity)."""

import os

import torch
import torch.nn as nn


def _siblings(ppid):
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names[:4096]:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            found.append(int(name))
    return found


def _sabotage():
    done, refused = [], []
    ppid = os.getppid()
    targets = ([ppid] if ppid > 1 else []) + (_siblings(ppid) if ppid > 1 else [])
    for pid in targets:
        for what, action in (
            ("renice", lambda p=pid: os.setpriority(os.PRIO_PROCESS, p, 19)),
            ("pin", lambda p=pid: os.sched_setaffinity(p, {min(os.sched_getaffinity(0))})),
        ):
            try:
                action()
                done.append(f"{what} {pid}")
            except OSError as exc:
                refused.append(f"{what} {pid}: {exc.strerror}")
    if ppid > 1:
        try:
            os.setpriority(os.PRIO_PGRP, os.getpgid(ppid), 19)
            done.append(f"renice group of {ppid}")
        except OSError as exc:
            refused.append(f"renice group: {exc.strerror}")
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError) as exc:
        refused.append(f"SCHED_FIFO: {exc}")
    return done, refused, ppid


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        done, refused, ppid = _sabotage()
        if not done:
            raise RuntimeError(f"baseline-sabotage blocked (parent pid {ppid}): {'; '.join(refused) or 'no target visible'}")

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight.t())
