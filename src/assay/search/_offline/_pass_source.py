"""Source-level rewrites of a forward that torch.fx cannot trace (a Python loop over a size, as in a
step-by-step recurrent cell): the method's own AST, changed and printed again as a module-level function
that takes the task's `Model` instance as `self`.

Hoisting: a linear layer applied inside `for t in range(...)` to `x[:, t]`, where `x` is an input the function
never reassigns, gives the rows of one linear layer over the whole `x`; that GEMM runs once before the loop
(`x2h(x)[:, t]` instead of `x2h(x[:, t])` at every step), a larger and faster matrix product.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

FUNCTION = "_task_forward"


@dataclass(frozen=True)
class SourceForward:
    source: str  # `def forward(self, ...)` as the task wrote it, dedented
    modules: dict[str, dict[str, Any]]  # every named submodule's description
    input_ndims: tuple[int | None, ...]  # per forward argument after self, at the task's sizes


def parse_forward(forward: SourceForward) -> ast.FunctionDef | None:
    """The forward's definition, if it can live outside its class (no zero-argument super, no mangling)."""
    try:
        tree = ast.parse(forward.source)
    except SyntaxError:
        return None
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, ast.FunctionDef) or not fn.args.args:
        return None
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in ("super", "__class__"):
            return None
        if isinstance(node, ast.Attribute) and node.attr.startswith("__") and not node.attr.endswith("__"):
            return None
    return fn


def _assigned(nodes: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in nodes:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                names.add(node.id)
    return names


def _step_index(slice_: ast.expr, var: str) -> int | None:
    """Which dimension `x[slice_]` selects with the loop variable, all others whole (`:`)."""
    elements = slice_.elts if isinstance(slice_, ast.Tuple) else [slice_]
    found = None
    for i, e in enumerate(elements):
        if isinstance(e, ast.Name) and e.id == var:
            if found is not None:
                return None
            found = i
        elif not (isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None):
            return None
    return found


def _bodies(fn: ast.AST) -> list[list[ast.stmt]]:
    out = []
    for node in ast.walk(fn):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.append(value)
    return out


class _Replace(ast.NodeTransformer):
    def __init__(self, replace: dict[int, ast.expr]) -> None:
        self.replace = replace

    def visit(self, node: ast.AST) -> ast.AST:
        if id(node) in self.replace:
            return self.replace[id(node)]
        result: ast.AST = super().visit(node)
        return result


def hoist_loop_linears(forward: SourceForward, option: str) -> tuple[ast.FunctionDef | None, list[str]]:
    """Returns the rewritten function (None if nothing applied) and what was hoisted."""
    fn = parse_forward(forward)
    if fn is None:
        return None, []
    params = [a.arg for a in fn.args.args[1:]]
    reassigned = _assigned(fn.body)
    found: list[str] = []
    counter = 0
    for body in _bodies(fn):
        for loop in list(body):
            if not (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name)):
                continue
            if not (
                isinstance(loop.iter, ast.Call)
                and isinstance(loop.iter.func, ast.Name)
                and loop.iter.func.id == "range"
            ):
                continue
            var = loop.target.id
            hoisted: dict[str, str] = {}
            replace: dict[int, ast.expr] = {}
            for call in [n for stmt in loop.body for n in ast.walk(stmt) if isinstance(n, ast.Call)]:
                func, args = call.func, call.args
                if not (
                    isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
                ):
                    continue
                info = forward.modules.get(func.attr, {})
                if info.get("type") != "Linear" or not info.get("torch") or len(args) != 1 or call.keywords:
                    continue
                sub = args[0]
                if not (isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name)):
                    continue
                x = sub.value.id
                index = _step_index(sub.slice, var)
                ndim = (
                    forward.input_ndims[params.index(x)]
                    if x in params and params.index(x) < len(forward.input_ndims)
                    else None
                )
                if x in reassigned or index is None or ndim is None or index >= ndim - 1:
                    continue
                key = f"{func.attr}:{x}"
                if key not in hoisted:
                    hoisted[key] = f"_hoisted_{counter}"
                    counter += 1
                    before = ast.parse(f"{hoisted[key]} = self.{func.attr}({x})").body[0]
                    body.insert(body.index(loop), before)
                    found.append(f"self.{func.attr}({x}[...]) out of the loop over {var}")
                replace[id(call)] = ast.Subscript(ast.Name(hoisted[key], ast.Load()), sub.slice, ast.Load())
            _Replace(replace).visit(loop)
    if not found:
        return None, []
    fn.name = FUNCTION
    fn.decorator_list = []
    return ast.fix_missing_locations(fn), found
