"""The header every corpus file starts with, and the catalog ids it may name.

# attack: <catalog id>            (or "# control: <name>" for an honest candidate)
# variant: <short name>
# weakness: <the harness weakness it abuses>
# seen: <where it was seen, or "inferred">
# task: <folder under the corpus's tasks/>
# expect: not-verified | not-faster | incorrect | flagged:<flag-id> | crashed | limit | timeout | verified
# side-effect: none | tcp-listener | file:<path> | process | secret   (comma-separated when several)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assay.errors import UserError

# Rows of docs/exploits.md, in table order.
CATALOG_IDS = (
    "stale-output-mem", "partial-output", "answer-introspection", "expected-poison", "input-id-memo",
    "content-memo", "cross-call-batch", "side-stream", "thread-defer", "lazy-output", "eq-override",
    "timer-patch-py", "timer-patch-native", "harness-patch", "checker-lib-patch", "fake-result-emit",
    "early-exit", "ref-fallback", "precompute-fixtures", "shape-specialize", "precision-downgrade",
    "input-mutation", "phase-detect", "graph-replay", "ub-garbage-read", "edit-tests-or-env",
    "copy-reference-artifact", "module-shadow", "limit-evasion", "sandbox-egress", "static-evasion",
    "impossible-score", "degenerate-task", "input-passthrough", "baseline-sabotage", "feedback-leak",
)  # fmt: skip
# Sandbox attacks of docs/sandbox.md section 2.2 that no docs/exploits.md row names.
SANDBOX_IDS = ("read-secret", "ptrace-parent", "proc-mem-parent", "kill-parent", "signal-stop")
# Attacks on assay's own mechanisms, written by reading its source: the estimator, the freeze of the side that
# is not timed, the reference's clock, the output channel, the worker protocol, the terminal report.
DESIGN_IDS = (
    "estimator-hide", "freeze-escape", "reference-harm", "output-alias", "protocol-garbage", "report-forgery",
)  # fmt: skip
# Catalog rows the corpus leaves out, and why.
NOT_COVERED = {
    "side-stream": "needs CUDA streams; its CPU analogue is thread-defer",
    "graph-replay": "needs CUDA graphs; the caching it relies on is covered by input-id-memo",
    "feedback-leak": "needs a multi-turn loop; assay scores one offline evaluation at a time",
}
VERDICTS = ("verified", "incorrect", "flagged", "crashed", "timeout", "limit")
FIELDS = ("variant", "weakness", "seen", "task", "expect", "side-effect")
SIDE_EFFECT = re.compile(r"^(none|tcp-listener|process|secret|file:\S+)$")


class HeaderError(UserError):
    """A corpus file's header is missing a field or names something unknown."""


@dataclass(frozen=True)
class CorpusEntry:
    """One corpus file and what its header promises."""

    path: Path
    kind: Literal["attack", "control"]
    id: str
    variant: str
    weakness: str
    seen: str
    task: str
    expect: str
    side_effects: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


def _fields(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        key, sep, value = line[2:].partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _check_expect(expect: str, kind: str, where: str) -> None:
    verdict, _, flag = expect.partition(":")
    if kind == "control" and expect != "verified":
        raise HeaderError(f"{where}: a control must expect verified, not {expect!r}")
    if kind == "attack" and (expect == "verified" or (verdict not in (*VERDICTS, "not-verified", "not-faster"))):
        raise HeaderError(f"{where}: unknown expectation {expect!r}")
    if (verdict == "flagged") != bool(flag):
        raise HeaderError(f"{where}: write flagged:<flag-id>, got {expect!r}")


def parse_entry(path: Path) -> CorpusEntry:
    """Read and validate one corpus file's header.

    Raises:
        HeaderError: a field is missing, empty or unknown.
    """
    fields = _fields(path)
    kind: Literal["attack", "control"] = "attack" if "attack" in fields else "control"
    ident = fields.get(kind, "")
    missing = [f for f in (kind, *FIELDS) if not fields.get(f)]
    if missing:
        raise HeaderError(f"{path}: header lacks {', '.join(missing)}")
    if kind == "attack" and ident not in CATALOG_IDS + SANDBOX_IDS + DESIGN_IDS:
        raise HeaderError(f"{path}: unknown attack id {ident!r}")
    _check_expect(fields["expect"], kind, str(path))
    effects = tuple(e.strip() for e in fields["side-effect"].split(","))
    bad = [e for e in effects if not SIDE_EFFECT.match(e) or (e == "none" and len(effects) > 1)]
    if bad:
        raise HeaderError(f"{path}: unknown side effect {bad[0]!r}")
    return CorpusEntry(
        path=path,
        kind=kind,
        id=ident,
        variant=fields["variant"],
        weakness=fields["weakness"],
        seen=fields["seen"],
        task=fields["task"],
        expect=fields["expect"],
        side_effects=effects,
    )


def load_corpus(corpus: Path) -> list[CorpusEntry]:
    """Every attack and control of a corpus folder (attacks/ and controls/), sorted by path.

    Raises:
        UserError: the folder is missing or holds no corpus file.
        HeaderError: a file's header is malformed.
    """
    if not corpus.is_dir():
        raise UserError(f"red-team corpus not found: {corpus}")
    files = sorted(p for sub in ("attacks", "controls") for p in (corpus / sub).glob("*.py"))
    if not files:
        raise UserError(f"{corpus} holds no attacks/*.py or controls/*.py")
    return [parse_entry(p) for p in files]


def uncovered(entries: list[CorpusEntry]) -> dict[str, str]:
    """Catalog rows no attack in `entries` names, with the reason when the omission is deliberate."""
    named = {e.id for e in entries if e.kind == "attack"}
    return {i: NOT_COVERED.get(i, "no attack yet") for i in CATALOG_IDS if i not in named}
