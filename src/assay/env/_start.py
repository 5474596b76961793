"""A starting solution for a task without `start.py`: the task's `Model`, renamed `ModelNew`, nothing else changed.

Text only: the task's code is never run on the trusted side. Every `Model` name token becomes `ModelNew` (so
`super(Model, self).__init__()` keeps working), and the task's `get_inputs` / `get_init_inputs` are left out;
the rest (imports, size constants, helpers) stays as written.
"""

from __future__ import annotations

import ast
import io
import tokenize

from assay.errors import TaskError

_DROPPED = ("get_inputs", "get_init_inputs")
HEADER = "# Starting solution: the task's Model, renamed ModelNew. Make it faster.\n"


def _rename(source: str) -> str:
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    # Replace from the end, so that earlier columns stay valid.
    for tok in reversed(tokens):
        if tok.type == tokenize.NAME and tok.string == "Model":
            (row, col), (_, end) = tok.start, tok.end
            line = lines[row - 1]
            lines[row - 1] = line[:col] + "ModelNew" + line[end:]
    return "".join(lines)


def _drop_input_functions(source: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in _DROPPED and node.end_lineno is not None:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            spans.append((first - 1, node.end_lineno))
    for first, end in sorted(spans, reverse=True):
        del lines[first:end]
    return "".join(lines).rstrip() + "\n"


def model_as_start(task_source: str, filename: str) -> str:
    """The starting solution's source.

    Raises:
        TaskError: the task does not parse or defines no class `Model`.
    """
    try:
        tree = ast.parse(task_source, filename=filename)
        renamed = _rename(task_source)
    except (SyntaxError, tokenize.TokenError) as exc:
        raise TaskError(f"cannot derive a starting solution from {filename}: {exc}") from None
    if not any(isinstance(n, ast.ClassDef) and n.name == "Model" for n in tree.body):
        raise TaskError(f"cannot derive a starting solution from {filename}: it defines no class Model")
    return HEADER + _drop_input_functions(renamed)
