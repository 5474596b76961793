"""The house rules of the source tree: no import circle between subpackages, and no file too long to read."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "assay"
MAX_LINES = 300


def _package(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0].removesuffix(".py") if len(parts) > 1 else path.stem


def _edges() -> dict[str, set[str]]:
    """Subpackage -> subpackages it imports (anywhere in its modules, lazy imports included)."""
    edges: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        source = _package(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("assay."):
                names.append(node.module or "")
            elif isinstance(node, ast.Import):
                names += [a.name for a in node.names if a.name.startswith("assay.")]
            for name in names:
                target = name.split(".")[1]
                if target != source:
                    edges.setdefault(source, set()).add(target)
    return edges


def test_no_import_circle_between_subpackages() -> None:
    edges = _edges()

    def reaches(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    circles = sorted(p for p in edges if p in reaches(p))
    assert circles == [], f"subpackages on an import circle: {circles}"


def test_the_evaluator_imports_nothing_above_it() -> None:
    edges = _edges()
    above = {"search", "llm", "store", "report", "cli", "env", "cluster", "vet", "adapters", "redteam"}
    for low in ("evaluate", "worker", "sandbox", "timing", "verify", "tasks"):
        assert not edges.get(low, set()) & above, (low, edges.get(low))


def test_no_source_file_is_over_300_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
