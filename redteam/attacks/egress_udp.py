# attack: sandbox-egress
# variant: udp-datagram-to-listener
# weakness: filters that cover TCP only (Landlock ABI 4-7 network rules) leave UDP open
# seen: docs/sandbox.md section 2.2 net_udp and P10 ("Landlock alone leaves UDP open")
# task: matmul
# expect: crashed
# side-effect: tcp-listener
"""At construction and on the first call: send a datagram to 127.0.0.1:47002 and wait 1 s for the listener's
"ack" datagram. No reply: fail loudly. Otherwise compute honestly."""

import os
import socket

import torch
import torch.nn as nn


def _try(stage):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(1.0)
            s.sendto(f"assay-redteam egress udp stage={stage} pid={os.getpid()}\n".encode(), ("127.0.0.1", 47002))
            data, _ = s.recvfrom(16)
            return data.startswith(b"ack"), "ack"
    except OSError as exc:
        return False, str(exc)


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / in_features**0.5)
        self.bias = nn.Parameter(torch.randn(out_features))
        self.ok, self.why = _try("construct")
        self.tried_call = False

    def forward(self, x):
        if not self.tried_call:
            self.tried_call = True
            ok, why = _try("call")
            self.ok, self.why = self.ok or ok, f"{self.why}; {why}"
        if not self.ok:
            raise RuntimeError(f"sandbox-egress blocked: UDP to 127.0.0.1:47002 got no reply ({self.why})")
        return torch.addmm(self.bias, x, self.weight.t())
