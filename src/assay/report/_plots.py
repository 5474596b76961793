"""The report's plots, as SVG bytes: matplotlib with the Agg backend, imported only when a report is drawn.

Text is drawn as paths (`svg.fonttype = path`), so an SVG holds no text a browser could read as markup, and the
page embeds each as an `<img>` data URI, where an SVG cannot run scripts. Labels that come from data (task names)
are made plain and have `$` escaped, which matplotlib would otherwise read as mathtext.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay._text import plain

VERDICT_COLOURS = {
    "verified": "#2e7d32",
    "incorrect": "#c62828",
    "flagged": "#8e24aa",
    "crashed": "#d84315",
    "timeout": "#f9a825",
    "limit": "#ef6c00",
    "refused": "#6d4c41",
    "error": "#455a64",
    "rejected": "#9e9e9e",
}


@dataclass(frozen=True)
class Point:
    """One evaluation on a progress plot: x (seconds or the evaluation's number), its verdict and interval."""

    x: float
    verdict: str
    speedup: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Node:
    """A candidate in the lineage drawing."""

    id: int
    label: str
    verdict: str
    parents: tuple[int, ...]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "assay-report", "font.size": 9})
    return plt


def _svg(plt: Any, fig: Any) -> bytes:
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue()


def label(text: object, width: int = 40) -> str:
    """Data made fit for a matplotlib label: one plain line, `$` escaped, cut to `width`."""
    out = plain(text, one_line=True)
    out = out if len(out) <= width else out[: width - 1] + "…"
    return out.replace("\\", "/").replace("$", r"\$")


def progress_plot(points: Sequence[Point], xlabel: str, title: str) -> bytes:
    """Each verified evaluation with its interval, the best low end so far as a step line, failures as crosses."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    verified = [p for p in points if p.verdict == "verified" and p.speedup is not None]
    if verified:
        xs = [p.x for p in verified]
        ys = [p.speedup for p in verified]
        below = [p.speedup - p.low if p.speedup and p.low else 0 for p in verified]
        above = [p.high - p.speedup if p.speedup and p.high else 0 for p in verified]
        ax.errorbar(xs, ys, yerr=[below, above], fmt="o", ms=4, color="#2e7d32", label="verified (95% CI)")
    best: list[tuple[float, float]] = []
    top = None
    for p in points:
        if p.verdict == "verified" and p.low is not None:
            top = p.low if top is None else max(top, p.low)
        if top is not None:
            best.append((p.x, top))
    if best:
        end = max(p.x for p in points)
        ax.step([b[0] for b in best] + [end], [b[1] for b in best] + [best[-1][1]], where="post", color="#1565c0",
                lw=2, label="best so far (low end of its CI)")  # fmt: skip
    failed = [p for p in points if p.verdict != "verified"]
    if failed:
        floor = min([1.0, *(p.low for p in verified if p.low is not None)]) * 0.97
        colours = [VERDICT_COLOURS.get(p.verdict, "#455a64") for p in failed]
        ax.scatter([p.x for p in failed], [floor] * len(failed), marker="x", c=colours, label="not verified")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("speedup over the task's Model")
    ax.set_title(title)
    if points:
        ax.legend(fontsize="small", loc="best")
    else:
        ax.text(0.5, 0.5, "no evaluation", ha="center", va="center", transform=ax.transAxes)
    return _svg(plt, fig)


def verdict_plot(counts: dict[str, int], title: str) -> bytes:
    """How many of each verdict (and of candidates turned away before evaluation)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    names = [label(n, 16) for n in counts]
    values = list(counts.values())
    bars = ax.bar(names, values, color=[VERDICT_COLOURS.get(n, "#455a64") for n in counts])
    ax.bar_label(bars, padding=2)
    ax.set_ylabel("count")
    ax.set_ylim(0, max([1, *values]) * 1.2)
    ax.set_title(title)
    return _svg(plt, fig)


def lineage_plot(nodes: Sequence[Node], best: int) -> bytes:
    """The ancestry of the best candidate: first translations on the left, the best on the right, an arrow from
    each parent to its child."""
    plt = _pyplot()
    by_id = {n.id: n for n in nodes}
    depth: dict[int, int] = {}

    def level(i: int, seen: frozenset[int] = frozenset()) -> int:
        if i not in depth:
            parents = [p for p in by_id[i].parents if p in by_id and p not in seen]
            depth[i] = 1 + max((level(p, seen | {i}) for p in parents), default=-1)
        return depth[i]

    for n in nodes:
        level(n.id)
    columns: dict[int, list[int]] = {}
    for i in sorted(by_id):
        columns.setdefault(depth[i], []).append(i)
    tallest = max((len(c) for c in columns.values()), default=1)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.9 * len(columns)), max(1.6, 1.1 * tallest)))
    where = {i: (d, (len(col) - 1) / 2 - k) for d, col in columns.items() for k, i in enumerate(col)}
    boxes = {}
    for n in nodes:
        x, y = where[n.id]
        edge = "#000000" if n.id == best else VERDICT_COLOURS.get(n.verdict, "#455a64")
        box = {"boxstyle": "round,pad=0.4", "fc": "#ffffff", "ec": edge, "lw": 2.5 if n.id == best else 1.5}
        text = "\n".join(label(line, 30) for line in n.label.splitlines())
        boxes[n.id] = ax.text(x, y, text, ha="center", va="center", bbox=box, fontsize=8, zorder=3)
    fig.canvas.draw()  # lay the boxes out, so that each arrow runs from a parent's box to its child's
    for n in nodes:
        for p in n.parents:
            if p in boxes:
                patches = {"patchA": boxes[p].get_bbox_patch(), "patchB": boxes[n.id].get_bbox_patch()}
                style = {"arrowstyle": "-|>", "color": "#607d8b", "lw": 1.2, **patches}
                ax.annotate("", xy=where[n.id], xytext=where[p], arrowprops=style, zorder=2)
    ax.set_xlim(-0.6, max(columns, default=0) + 0.6)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.axis("off")
    return _svg(plt, fig)


def roofline_plot(points: Sequence[tuple[str, float, float]], reference: float | None) -> bytes:
    """Each verified candidate as (speedup, share of the machine's peak): the roofline is 100%."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    xs, ys = [p[1] for p in points], [p[2] * 100 for p in points]
    ax.scatter(xs, ys, color="#2e7d32", zorder=3, label="verified candidate")
    for name, x, y in zip((p[0] for p in points), xs, ys, strict=True):
        ax.annotate(label(name, 12), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axhline(100, color="#c62828", lw=1.2, label="machine peak (roofline)")
    if reference is not None:
        ax.axhline(reference * 100, color="grey", lw=0.8, ls="--", label="the task's Model")
    ax.set_xlabel("speedup over the task's Model")
    ax.set_ylabel("% of the machine's peak")
    ax.set_ylim(0, max([105.0, *ys]) * 1.05)
    ax.legend(fontsize="small", loc="best")
    return _svg(plt, fig)


def speedup_bars(rows: Sequence[Point], names: Sequence[str], title: str) -> bytes:
    """One bar per row (a task's candidate): the speedup with its interval; rows not verified are drawn at 0."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.32 * len(rows) + 1.0)))
    ys = list(range(len(rows)))[::-1]
    widths = [r.speedup if r.verdict == "verified" and r.speedup else 0.0 for r in rows]
    low = [w - r.low if w and r.low else 0.0 for w, r in zip(widths, rows, strict=True)]
    high = [r.high - w if w and r.high else 0.0 for w, r in zip(widths, rows, strict=True)]
    colours = [VERDICT_COLOURS.get(r.verdict, "#455a64") for r in rows]
    ax.barh(ys, widths, xerr=[low, high], color=colours, capsize=3)
    ax.set_yticks(ys, [label(n, 48) for n in names])
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("verified speedup (95% CI); not verified: no bar")
    ax.set_title(title)
    return _svg(plt, fig)
