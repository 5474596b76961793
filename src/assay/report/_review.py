"""The reviewer: every sentence of a write-up is checked against the stored facts.

For each sentence:

- a citation of a fact that does not exist is **untraceable**;
- a number the report's own template filled from a fact must read as that fact's value (a formatting bug would
  show here);
- any other number must match, within the rounding it is written with, a fact the sentence cites (or a protocol
  constant such as the 95% of "95% interval"). When it matches none of them it **contradicts** what the sentence
  cites if a cited fact is a number, and is **untraceable** otherwise. A sentence that cites nothing is checked
  against every fact by value: a free-text narrative without markers is still checked number by number;
- a sentence that cites a fact of a closed vocabulary (a verdict, a stage) and names another word of that
  vocabulary but not the fact's value **contradicts** it ("was verified" citing a verdict that is "crashed");
- a sentence that cites nothing and states no number that a fact holds makes a claim with **no evidence**.

"Within rounding": 1.27x matches 1.2741 (two decimals: +/-0.005); "about 1.3x" matches it too, "1.2x" does not.
Units convert: a fact in seconds matches "3.2 min", a fraction matches "84%".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from assay.report._claims import Claim, Number, find_numbers
from assay.report._facts import Fact, Facts

Kind = Literal["contradicted", "untraceable", "unsupported"]

# Number unit -> fact unit -> how the fact's value reads in the number's unit.
_CONVERT: dict[str, dict[str, float]] = {
    "x": {"x": 1.0, "": 1.0},
    "%": {"fraction": 100.0, "percent": 1.0, "": 1.0},
    "s": {"s": 1.0, "ms": 0.001, "min": 60.0, "": 1.0},
    "ms": {"ms": 1.0, "s": 1000.0},
    "min": {"s": 1 / 60, "min": 1.0},
    "h": {"s": 1 / 3600, "min": 1 / 60},
    "usd": {"usd": 1.0, "": 1.0},
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    section: str
    sentence: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.section}: {self.sentence!r}: {self.detail}"


@dataclass(frozen=True)
class Trace:
    """A number of a sentence and the fact it was traced to (None: to none)."""

    number: str
    fact: str | None


@dataclass(frozen=True)
class Checked:
    section: str
    claim: Claim
    traces: tuple[Trace, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def _readings(fact: Fact, unit: str) -> list[float]:
    """The fact's value as a number in `unit` could state it."""
    if not fact.numeric or (fact.unit == "id" and unit != ""):
        return []
    value = float(fact.value)  # type: ignore[arg-type]
    table = _CONVERT.get(unit)
    if table is None:  # no unit, or one we do not know: the value as it is
        return [value]
    scale = table.get(fact.unit)
    return [] if scale is None else [value * scale]


def matches(number: Number, fact: Fact) -> bool:
    """Whether `number`, as written, is `fact`'s value rounded (its own decimals decide the tolerance)."""
    tolerance = 0.5 * 10.0**-number.decimals
    return any(abs(number.value - r) <= tolerance * (1 + 1e-9) + 1e-12 for r in _readings(fact, number.unit))


def _describe(fact: Fact) -> str:
    value = f"{fact.value:.6g}" if isinstance(fact.value, float) else str(fact.value)
    unit = {"x": "x", "s": " s", "ms": " ms", "usd": " USD"}.get(fact.unit, "")
    return f"{fact.id} = {value}{unit}"


def _mask(facts: Facts, claim: Claim) -> tuple[str, ...]:
    """Text values (run ids, task and model names) that hold digits but are names, not numbers."""
    names = (f.value for f in facts.facts if isinstance(f.value, str) and any(ch.isdigit() for ch in f.value))
    return tuple(name for name in names if name in claim.text)


def check_claim(facts: Facts, section: str, claim: Claim) -> Checked:
    findings: list[Finding] = []
    traces: list[Trace] = []

    def found(kind: Kind, detail: str) -> None:
        findings.append(Finding(kind, section, claim.text, detail))

    cited = [f for f in (facts.get(c) for c in claim.cites) if f is not None]
    for c in claim.cites:
        if facts.get(c) is None:
            found("untraceable", f"it cites [@{c}], which is not a stored fact")
    ambient = [f for f in facts.facts if f.id.startswith("protocol.")]
    pool = cited + ambient if claim.cites else list(facts.facts)
    for number in find_numbers(claim.text, _mask(facts, claim)):
        tagged = claim.tag_at(number)
        if tagged is not None and facts.get(tagged) is not None:
            fact = facts[tagged]
            traces.append(Trace(number.text, fact.id))
            if fact.numeric and not matches(number, fact):
                found("contradicted", f"{number.text} was filled from {_describe(fact)} but does not read as it")
            continue
        hit = next((f for f in pool if matches(number, f)), None)
        traces.append(Trace(number.text, hit.id if hit else None))
        if hit is not None:
            continue
        near = {c.split(".")[0] for c in claim.cites}  # facts about the same thing first: best.*, cand.8.*
        others = sorted((f for f in facts.facts if matches(number, f)), key=lambda f: f.id.split(".")[0] not in near)
        elsewhere = [f.id for f in others][:3] if claim.cites else []
        hint = f" (it matches {', '.join(elsewhere)}, which the sentence does not cite)" if elsewhere else ""
        numeric = [f for f in cited if f.numeric and f.unit not in ("id",)]
        if numeric:
            said = "; ".join(_describe(f) for f in numeric[:4])
            found("contradicted", f"it says {number.text}, but the facts it cites say {said}{hint}")
        else:
            found("untraceable", f"no stored fact has the value {number.text}{hint}")
    findings += _vocabulary(claim, cited, section)
    if not claim.cites and not any(t.fact for t in traces):
        found("unsupported", "it cites no stored fact and states no value that one holds: a claim with no evidence")
    return Checked(section, claim, tuple(traces), tuple(findings))


def _vocabulary(claim: Claim, cited: Iterable[Fact], section: str) -> list[Finding]:
    out = []
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", claim.text)}
    for fact in cited:
        if not fact.choices or not isinstance(fact.value, str):
            continue
        named = sorted(c for c in fact.choices if c in words)
        if named and fact.value not in words:
            out.append(
                Finding(
                    "contradicted", section, claim.text, f"it says {'/'.join(named)}, but {fact.id} is {fact.value!r}"
                )
            )
    return out


def review(facts: Facts, sections: Sequence[tuple[str, Sequence[Claim]]]) -> list[Checked]:
    """Every claim of every section, checked."""
    return [check_claim(facts, title, claim) for title, claims in sections for claim in claims]


def findings(checked: Iterable[Checked]) -> list[Finding]:
    return [f for c in checked for f in c.findings]
