"""What the search knows about a program without running it: its normalized form, near-duplicates, features.

Nothing here executes candidate code: everything is read from the source's syntax tree.
"""

from __future__ import annotations

import ast
import hashlib
import io
import math
import random
import tokenize
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher


def derive(seed: int, *parts: object) -> int:
    """A 63-bit number from the run's seed and a position (step, attempt, purpose): the same in every session,
    so a resumed run makes the choices an uninterrupted one makes (Python's `hash` of a str is salted)."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random(derive(seed, *parts))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Program:
    """A parsed candidate: its normalized form (for duplicates) and its MAP-Elites features."""

    normalized: str
    normalized_sha256: str
    tokens: tuple[str, ...]
    token_counts: tuple[tuple[str, int], ...]  # sorted (token, count): what the program is made of, in any order
    features: dict[str, str | int]

    @property
    def cell(self) -> str:
        return "/".join(str(v) for v in self.features.values())


def parse_program(source: str) -> Program | None:
    """None when the source does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    nodes = sum(1 for _ in ast.walk(tree))
    _strip_docstrings(tree)
    _Renamer(_bound_names(tree)).visit(tree)
    normalized = ast.unparse(tree)
    tokens = tuple(_tokens(normalized))
    return Program(
        normalized=normalized,
        normalized_sha256=sha256(ast.dump(tree, annotate_fields=False)),
        tokens=tokens,
        token_counts=tuple(sorted(Counter(tokens).items())),
        features={"approach": approach(source), "size": max(0, min(7, int(math.log2(max(nodes, 1))) - 4))},
    )


def approach(source: str) -> str:
    """The kind of program: a C++/CUDA extension, Triton, torch.compile, TorchScript, or eager PyTorch."""
    if "load_inline" in source or "cpp_extension" in source:
        return "extension"
    if "triton" in source:
        return "triton"
    if "torch.compile" in source:
        return "compile"
    if "torch.jit" in source:
        return "jit"
    return "eager"


def near_duplicate(a: Program, b: Program, threshold: float) -> bool:
    """The same program up to comments, docstrings, formatting and local names; or the same tokens (names,
    operators, constants), at least `threshold` in the same order: statements or imports moved about.

    A program that changes any token is never a near-duplicate, however long it is: `t.mul_(2.0)` for `t * 2.0`
    in a 40-line program is 99% the same text and 10% faster, and a block size of 64 for 128 is one token."""
    if a.normalized_sha256 == b.normalized_sha256:
        return True
    if threshold >= 1.0 or a.token_counts != b.token_counts:
        return False
    matcher = SequenceMatcher(None, a.tokens, b.tokens, autojunk=False)
    return (
        matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold
    )


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(getattr(first.value, "value", None), str):
                node.body = node.body[1:] or [ast.Pass()]


def _bound_names(tree: ast.AST) -> list[str]:
    """Names the program binds itself (assignments, arguments, loop variables), in order of first appearance;
    imported names, classes, functions and attributes keep their names (they are the program's interface)."""
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)) or isinstance(node, ast.arg):
            name = node.id if isinstance(node, ast.Name) else node.arg
            if name not in imported and name != "self":
                seen.setdefault(name, None)
    return list(seen)


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: list[str]) -> None:
        self.names = {name: f"v{i}" for i, name in enumerate(names)}

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.names.get(node.arg, node.arg)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.keyword:
        self.generic_visit(node)  # keyword names are part of the callee's interface: kept
        return node


def _tokens(source: str) -> list[str]:
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER, tokenize.COMMENT}
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return source.split()
