"""The transformations the offline proposer chooses among, as genes: a name, its options (the first is off),
the rewrite that applies it, and words for descriptions. A genome maps gene names to chosen options.

Graph rewrites apply in the order listed here (earlier rewrites create what later ones look for: folded
weights become `F.linear`, which the oneDNN rewrite then fuses); compilation wraps the result.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from assay.search._offline._ir import Graph
from assay.search._offline._pass_attention import scale_on_query, scaled_dot_product
from assay.search._offline._pass_conv import channels_last, fold_batch_norm, onednn_conv
from assay.search._offline._pass_inplace import in_place
from assay.search._offline._pass_linear import fold_into_weights, fuse_shared_input, onednn_linear
from assay.search._offline._pass_pointwise import div_sqrt, max_to_amax, recognise_activations
from assay.search._offline._pass_source import SourceForward, hoist_loop_linears

Rewrite = Callable[[Graph, str], list[str]]
SourceRewrite = Callable[[SourceForward, str], tuple[ast.FunctionDef | None, list[str]]]
Genome = dict[str, str]


@dataclass(frozen=True)
class Gene:
    name: str
    options: tuple[str, ...]  # options[0] is "off"; later options are riskier (repair steps back one)
    rewrite: Rewrite | None  # None: not a graph rewrite (compilation, or a rewrite of the forward's source)
    words: str
    keywords: tuple[str, ...] = ()  # words in a crash message that point at this gene
    # How often evolve tries turning it on, relative to the others: the rewrites that remove whole passes
    # over memory (attention, activations, max without indices, folded batch norm) were worth most here.
    prior: float = 1.0
    source_rewrite: SourceRewrite | None = None  # for a forward that could not be traced


GENES: tuple[Gene, ...] = (
    Gene("activations", ("off", "on"), recognise_activations, "written-out activations as fused functions", prior=5),
    Gene("amax", ("off", "on"), max_to_amax, "max/min without indices", prior=5),
    Gene("rsqrt", ("off", "on"), div_sqrt, "division by a square root as a multiply by rsqrt", ("rsqrt",), prior=1),
    Gene(
        "sdpa",
        ("off", "on"),
        scaled_dot_product,
        "written-out attention as scaled_dot_product_attention",
        ("scaled_dot_product",),
        prior=6,
    ),
    Gene("scale_q", ("off", "on"), scale_on_query, "attention scale applied to q instead of the scores", prior=1),
    Gene(
        "fuse_linears",
        ("off", "on"),
        fuse_shared_input,
        "linear layers sharing an input as one GEMM",
        ("split", "view size", "reshape"),
        prior=3,
    ),
    Gene("fold_linear", ("off", "on"), fold_into_weights, "scales, offsets and centering folded into weights", prior=3),
    Gene("fold_bn", ("off", "on"), fold_batch_norm, "batch norm folded into convolutions", ("_fold_bn",), prior=4),
    Gene(
        "channels_last",
        ("off", "on"),
        channels_last,
        "channels-last convolutions",
        ("channels_last", "memory_format"),
        prior=2,
    ),
    Gene(
        "onednn_linear",
        ("off", "on", "packed"),
        onednn_linear,
        "oneDNN matmuls with fused post-ops",
        ("_linear_pointwise", "_reorder_linear_weight", "mkldnn"),
        prior=2,
    ),
    Gene(
        "onednn_conv",
        ("off", "on"),
        onednn_conv,
        "oneDNN convolutions with fused post-ops",
        ("_convolution_pointwise",),
        prior=2,
    ),
    Gene(
        "inplace",
        ("off", "on"),
        in_place,
        "in-place elementwise operations",
        ("in-place", "inplace", "modified by an inplace", "more than one element of the written-to tensor"),
        prior=2,
    ),
    Gene(
        "hoist_linear",
        ("off", "on"),
        None,
        "per-step linear layers hoisted out of Python loops as one GEMM",
        prior=4,
        source_rewrite=hoist_loop_linears,
    ),
    Gene(
        "compile",
        ("off", "default", "freezing", "max-autotune", "max-autotune+freezing"),
        None,
        "torch.compile (inductor), compiled and warmed up in the constructor",
        ("dynamo", "inductor", "compile", "Recompil", "CppCompileError", "subprocess", "guard"),
        prior=4,
    ),
)
BY_NAME = {g.name: g for g in GENES}
# Within compile: freezing (weights as constants: folded batch norm, prepacked oneDNN weights) paid most.
OPTION_WEIGHTS = {"compile": {"freezing": 3.0, "default": 2.0, "max-autotune": 1.0, "max-autotune+freezing": 1.0}}


def weight(name: str, current: str, option: str, genome: Genome, offered: dict[str, tuple[str, ...]]) -> float:
    """How likely evolve is to move gene `name` from `current` to `option` in `genome`.

    Compilation is tried late: an evaluation of a compiled program costs 25-90 s of compiling against 3-6 s
    for a rewritten one, and once a parent is compiled every child is. Its weight grows from 0.3 to 1 of its
    prior as the task's rewrites are switched on."""
    shares = OPTION_WEIGHTS.get(name, {})
    w = shares.get(option, 1.0) / sum(shares.values()) if shares else 1.0 / (len(BY_NAME[name].options) - 1)
    if name == "compile" and current == "off":
        rewrites = [g for g in offered if g != "compile"]
        if rewrites:
            w *= 0.3 + 0.7 * sum(g in genome for g in rewrites) / len(rewrites)
    if current == "off":
        return BY_NAME[name].prior * w  # a gene's options share its prior
    return 0.5 if option == "off" else 0.7 * w


def key(genome: Genome) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(genome.items()) if v != "off")


def applicable(
    graph: Graph | None, has_shapes: bool, forward: SourceForward | None = None
) -> dict[str, tuple[str, ...]]:
    """The genes this task offers, with the options that change its program."""
    out: dict[str, tuple[str, ...]] = {}
    for gene in GENES:
        if gene.source_rewrite is not None:
            if graph is None and forward is not None and gene.source_rewrite(forward, "on")[1]:
                out[gene.name] = gene.options
            continue
        if gene.rewrite is None:
            if has_shapes:
                out[gene.name] = gene.options
            continue
        if graph is None:
            continue
        working = [opt for opt in gene.options[1:] if gene.rewrite(graph.copy(), opt)]
        if working:
            out[gene.name] = ("off", *working)
    return out


def normalize(genome: Genome, offered: dict[str, tuple[str, ...]]) -> Genome:
    """Only offered genes and options; prepacked oneDNN weights are opaque to torch.compile, so compiled
    programs use plain ones."""
    out = {k: v for k, v in genome.items() if k in offered and v in offered[k] and v != "off"}
    if out.get("compile") and out.get("onednn_linear") == "packed":
        out["onednn_linear"] = "on"
    return out


def compile_settings(option: str) -> tuple[str | None, bool]:
    """(mode, freezing) for a compile option; mode None: not compiled."""
    if option == "off":
        return None, False
    mode = "max-autotune-no-cudagraphs" if option.startswith("max-autotune") else "default"
    return mode, option.endswith("freezing")


def describe(genome: Genome) -> str:
    parts = [
        f"{BY_NAME[name].words} ({option})" if option != "on" else BY_NAME[name].words
        for name, option in sorted(genome.items(), key=lambda kv: _ORDER[kv[0]])
    ]
    return "; ".join(parts) if parts else "no transformation"


_ORDER = {g.name: i for i, g in enumerate(GENES)}
