"""From a genome to candidate source: apply the chosen rewrites to a copy of the traced graph, print it,
wrap it in the chosen compilation."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from assay.search._offline._analysis import Analysis
from assay.search._offline._codegen import print_graph
from assay.search._offline._genes import GENES, Genome, compile_settings
from assay.search._offline._pass_source import FUNCTION
from assay.search._offline._render import CompileChoice, render

HEADER_VERSION = 1


@dataclass(frozen=True)
class Built:
    source: str
    applied: dict[str, list[str]]  # gene -> what its rewrite changed (empty for a gene that found nothing)


def build(analysis: Analysis, genome: Genome, *, task: str, changed: list[str], stage: str) -> Built:
    graph = analysis.fresh_graph()
    forward = analysis.forward
    function: ast.FunctionDef | None = None
    applied: dict[str, list[str]] = {}
    for gene in GENES:
        option = genome.get(gene.name, "off")
        if option == "off":
            continue
        if gene.source_rewrite is not None:
            if forward is not None:
                rewritten, applied[gene.name] = gene.source_rewrite(forward, option)
                if rewritten is not None:
                    function = rewritten
                    forward = replace(forward, source=ast.unparse(rewritten).replace(FUNCTION, "forward", 1))
        elif gene.rewrite is None:
            applied[gene.name] = [option]
        elif graph is not None:
            applied[gene.name] = gene.rewrite(graph, option)
    mode, freezing = compile_settings(genome.get("compile", "off"))
    header = {
        "version": HEADER_VERSION,
        "proposer": "offline",
        "task": task,
        "stage": stage,
        "genes": dict(sorted(genome.items())),
        "changed": sorted(changed),
    }
    source = render(
        header=header,
        summary=_summary(analysis, applied),
        task_source=analysis.task_source,
        printed=print_graph(graph) if graph is not None else None,
        function=ast.unparse(function) if function is not None else None,
        helpers=graph.helpers if graph is not None else set(),
        compile_choice=CompileChoice(mode=mode, freezing=freezing),
        input_shapes=analysis.input_shapes,
    )
    return Built(source, applied)


def _summary(analysis: Analysis, applied: dict[str, list[str]]) -> str:
    if analysis.graph is None:
        lead = f"The forward is the task's own (it could not be traced: {analysis.trace_error[:200]})."
    else:
        lead = "The forward is printed from the traced graph of Model.forward."
    if not applied:
        return lead + " No transformation: a faithful translation."
    changes = "; ".join(f"{gene}: {', '.join(sorted(set(found))) or 'no match'}" for gene, found in applied.items())
    return f"{lead} Transformations: {changes}."
