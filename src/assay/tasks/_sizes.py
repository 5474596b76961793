"""Size constants of KernelBench-style files: find them in the source, and override them before a run.

KernelBench problems keep their sizes in module-level constants (`batch_size = 4096`, `dim = 393216`) that
`get_inputs()`, `get_init_inputs()` and sometimes `Model` read when they are called, so setting the module's
globals after import and before those calls resizes the problem without editing the file. No torch here:
the trusted reference worker and the orchestrator both import this module.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from types import ModuleType

from assay.errors import TaskError

# Words that make a name a tensor extent. A name qualifies if one of its words is here and none of its
# words is in _NOT_SIZE_WORDS. Single letters are the matmul/conv habit (M, K, N, B, C, H, W, ...).
_SIZE_WORDS = frozenset(
    {
        *("batch", "batches", "channels", "channel", "features", "feature", "hidden", "dim", "dims"),
        *("model", "embed", "embedding", "emb", "length", "len", "seq", "sequence", "size", "width"),
        *("height", "depth", "classes", "vocab", "tokens", "nodes", "rows", "cols", "columns", "elements"),
        *("numel", "points", "samples", "units", "neurons", "filters", "planes", "spatial", "frames"),
        *("experts", "n", "m", "k", "l", "b", "c", "h", "w", "d", "t", "s", "e", "f"),
    }
)
# Structural or non-extent numbers: changing them changes what the operation is, not how big it is.
_NOT_SIZE_WORDS = frozenset(
    {
        *("kernel", "stride", "strides", "padding", "pad", "dilation", "groups", "group", "heads", "head"),
        *("eps", "momentum", "dropout", "p", "prob", "scale", "factor", "axis", "reduce", "layers", "layer"),
        *("alpha", "beta", "seed", "iters", "iterations", "steps", "top", "topk", "pool", "idx", "index"),
        *("offset", "bits", "margin", "temperature", "window", "shift"),
    }
)
_WORD_SPLIT = re.compile(r"[_\d]+")

_BINOPS: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
}


def is_size_name(name: str) -> bool:
    """Whether a constant's name says it is a tensor extent (batch_size, in_channels, M) and not a
    structural number (kernel_size, stride, padding, groups, num_heads)."""
    words = [w for w in _WORD_SPLIT.split(name.lower()) if w]
    return bool(words) and not set(words) & _NOT_SIZE_WORDS and bool(set(words) & _SIZE_WORDS)


# Floors for shrinking: below these a problem stops doing the work it was written to measure. A batch of 1 turns
# a batched kernel into a vector one, and a 1-wide layer into a scalar loop (a level-3 MLP was shrunk to batch 1,
# input 1, output 1 before these existed). A constant already under its floor keeps its own value.
BATCH_FLOOR = 8
SIZE_FLOOR = 64


def size_floor(name: str, original: int) -> int:
    """The smallest value shrinking may give a size constant: 8 for a batch, 64 for any other extent, or the
    original value when it is already smaller."""
    words = {w for w in _WORD_SPLIT.split(name.lower()) if w}
    return min(original, BATCH_FLOOR if words & {"batch", "batches"} else SIZE_FLOOR)


def _int_value(node: ast.expr) -> int | None:
    """The value of an integer literal or of simple arithmetic on integer literals, else None."""
    if isinstance(node, ast.Constant):
        value = node.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _int_value(node.left), _int_value(node.right)
        if left is None or right is None:
            return None
        # Bound the work: `2 ** 10**9` in a file must not hang the loader.
        if isinstance(node.op, ast.Pow | ast.LShift) and not 0 <= right <= 64:
            return None
        if isinstance(node.op, ast.FloorDiv) and right == 0:
            return None
        return _BINOPS[type(node.op)](left, right)
    return None


def _assignments(tree: ast.Module) -> list[tuple[str, ast.expr | None]]:
    """(name, value) for every module-level binding in order; value None for bindings we cannot read."""
    out: list[tuple[str, ast.expr | None]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.append((target.id, node.value))
                elif isinstance(target, ast.Tuple):
                    values = node.value.elts if isinstance(node.value, ast.Tuple) else None
                    for i, elt in enumerate(target.elts):
                        if isinstance(elt, ast.Name):
                            same_len = values is not None and len(values) == len(target.elts)
                            out.append((elt.id, values[i] if values is not None and same_len else None))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.append((node.target.id, node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            out.append((node.target.id, None))
    return out


def find_size_constants(source: str) -> dict[str, int]:
    """Module-level integer constants whose names look like tensor extents, in definition order.

    Only literal values count (`dim = 393216`, `N = 2048 * 2`); a constant computed from other names, or
    rebound later to something we cannot read, is left out so that overriding it can never be wrong.

    Raises:
        SyntaxError: `source` does not parse.
    """
    found: dict[str, int] = {}
    for name, value in _assignments(ast.parse(source)):
        number = _int_value(value) if value is not None else None
        if number is not None and number >= 1 and is_size_name(name):
            found[name] = number
        else:
            found.pop(name, None)
    return found


def apply_sizes(module: ModuleType, sizes: Mapping[str, int]) -> None:
    """Set size constants on an imported task module; call before get_init_inputs(), get_inputs(), Model.

    Raises:
        TaskError: a name is not a module-level integer of the task, or a value is not a positive integer.
    """
    for name, value in sizes.items():
        current = getattr(module, name, None)
        if not isinstance(current, int) or isinstance(current, bool):
            raise TaskError(f"task has no module-level integer {name!r} to resize")
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise TaskError(f"size {name}={value!r} must be a positive integer")
    for name, value in sizes.items():
        setattr(module, name, value)
