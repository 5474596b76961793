"""Small functions a generated candidate may call, copied into its source when a rewrite uses them.

They run in the candidate's process (inside the sandbox), at construction for the folds.
"""

from __future__ import annotations

_HELPERS = {
    "_fold_bn": '''
def _fold_bn(weight, bias, mean, var, gamma, beta, eps):
    """Weight and bias of a convolution followed by batch norm with running statistics, as one convolution."""
    scale = _torch.rsqrt(var + eps)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale if bias is None else (bias - mean) * scale
    if beta is not None:
        shift = shift + beta
    shape = [-1] + [1] * (weight.dim() - 1)
    return (weight * scale.reshape(shape)).contiguous(), shift.contiguous()
''',
}


def helper_source(name: str) -> str:
    return _HELPERS[name].strip("\n") + "\n"
