"""Claims: a write-up as sentences, each with the facts it cites and the numbers it states.

A sentence cites facts with markers, `The best speedup was 1.27x [@best.speedup].` (several: `[@a, @b]`). The
report's own sentences are made by `say`, which fills a template from facts and remembers which span of the text
came from which fact; a narrative (an LLM's, or one a person wrote) is parsed from Markdown by `parse_narrative`.
Either way the reviewer gets the same structure: the sentence, its citations, and every number found in it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from assay._text import plain
from assay.report._facts import Facts

# A number that stands on its own: not inside a word (`l1_softmax`, `fast_1.5`) or after a decimal point. A
# unit may follow, after at most one space; letters stuck to the number (`8GB`, `2nd`) are kept as its unit.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<usd>\$)?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s?(?P<unit>x|×|%|ms|s|sec|seconds?|mins?|minutes?|h|hours?)(?![\w%])|(?P<glued>[A-Za-z]+))?"
)
_UNITS = {"×": "x", "sec": "s", "second": "s", "seconds": "s", "min": "min", "mins": "min", "minute": "min"}
_UNITS |= {"minutes": "min", "hour": "h", "hours": "h"}
_MARKER = re.compile(r"\s*\[@([\w.\-]+(?:\s*[,;]\s*@?[\w.\-]+)*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(frozen=True)
class Number:
    """A number as a sentence states it: `1.27x` is 1.27 with 2 decimals, unit `x`."""

    text: str
    value: float
    decimals: int
    unit: str  # x, %, s, ms, min, h, usd, "" (none), or the letters stuck to it
    start: int
    end: int


@dataclass(frozen=True)
class Claim:
    """One sentence. `tags` are the spans (start, end, fact id) that a template filled from a fact."""

    text: str
    cites: tuple[str, ...] = ()
    tags: tuple[tuple[int, int, str], ...] = ()

    def marked(self) -> str:
        """The sentence with its citations as markers, before its final punctuation (the narrative's form)."""
        if not self.cites:
            return self.text
        body = self.text.rstrip()
        end = len(body.rstrip(".!?:;"))
        return f"{body[:end]} [{', '.join('@' + c for c in self.cites)}]{body[end:]}"

    def tag_at(self, number: Number) -> str | None:
        return next((fid for start, end, fid in self.tags if start <= number.start and number.end <= end), None)


def find_numbers(text: str, mask: tuple[str, ...] = ()) -> list[Number]:
    """Every number in `text`, but those inside one of the `mask` strings (a run id, a task or model name)."""
    hidden = text
    for name in sorted(mask, key=len, reverse=True):
        if len(name) >= 2:
            hidden = hidden.replace(name, "#" * len(name))
    numbers = []
    for m in _NUMBER.finditer(hidden):
        digits = m["int"].replace(",", "") + (m["frac"] or "")
        value = float(digits)
        before = text[: m.start()]
        if before.endswith(("-", "−")) and (len(before) == 1 or before[-2] in " \t\n([:="):
            value = -value
        unit = "usd" if m["usd"] else _UNITS.get(m["unit"] or "", m["unit"] or m["glued"] or "")
        decimals = len(m["frac"]) - 1 if m["frac"] else 0
        end = m.end("frac") if m["frac"] else m.end("int")
        if m["unit"] or m["glued"]:
            end = m.end()
        numbers.append(Number(text[m.start() : end], value, decimals, unit, m.start(), end))
    return numbers


def _format(value: object, conversion: str | None, spec: str) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, int | float) and not isinstance(value, bool):
        scale = {"m": 1 / 60, "h": 1 / 3600, "p": 100.0}.get(conversion or "", 1.0)
        return format(value * scale if scale != 1.0 else value, spec)
    return format(plain(value, one_line=True), spec)


def say(facts: Facts, template: str, *, cite: tuple[str, ...] = ()) -> Claim:
    """A sentence filled from facts: `{best.speedup:.3f}` is the fact's value in that format; conversions `!m`
    and `!h` turn seconds into minutes and hours, `!p` a fraction into a percentage. Every fact filled in is
    cited, and so is every id in `cite` (for a sentence that states no value of the fact it rests on).

    Raises:
        KeyError: the template names a fact that `facts` does not have (a bug in the report, not in the data).
    """
    parts: list[str] = []
    tags: list[tuple[int, int, str]] = []
    cites: list[str] = []
    position = 0
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(literal)
        position += len(literal)
        if field is None:
            continue
        text = _format(facts[field].value, conversion, spec or "")
        tags.append((position, position + len(text), field))
        parts.append(text)
        position += len(text)
        cites.append(field)
    ids = tuple(dict.fromkeys([*cites, *cite]))
    return Claim("".join(parts), ids, tuple(tags))


def can_say(facts: Facts, template: str, cite: tuple[str, ...] = ()) -> bool:
    """Whether every fact the template fills in (and every one it cites) is stored and has a value."""
    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    return all(facts.value(f) is not None for f in [*fields, *cite])


def prose(facts: Facts, *templates: str | tuple[str, tuple[str, ...]]) -> tuple[Claim, ...]:
    """The sentences whose facts are all stored (a template with a tuple: the facts it cites without stating)."""
    out = []
    for item in templates:
        template, cite = (item, ()) if isinstance(item, str) else item
        if can_say(facts, template, cite):
            out.append(say(facts, template, cite=cite))
    return tuple(out)


def _split_markers(text: str) -> tuple[str, tuple[str, ...]]:
    ids: list[str] = []
    for m in _MARKER.finditer(text):
        ids += [part.strip().lstrip("@") for part in re.split(r"[,;]", m[1]) if part.strip().lstrip("@")]
    stripped = _MARKER.sub("", text)
    stripped = re.sub(r"\s+([.,;:!?])", r"\1", stripped).strip()
    return stripped, tuple(dict.fromkeys(ids))


def parse_sentences(paragraph: str) -> list[Claim]:
    """A paragraph's sentences with their citations. A marker just after a sentence's full stop (`... 1.27x.
    [@best.speedup]`) belongs to that sentence, not the next."""
    pieces = [p for p in _SENTENCE_END.split(paragraph.strip()) if p.strip()]
    merged: list[str] = []
    for piece in pieces:
        lead = re.match(r"(?:\s*\[@[^\]]*\])+", piece)
        if lead and merged:
            merged[-1] += " " + lead.group(0).strip()
            piece = piece[lead.end() :].strip()
        if piece:
            merged.append(piece)
    claims = []
    for piece in merged:
        text, cites = _split_markers(piece)
        if text.strip(" .!?"):
            claims.append(Claim(text, cites))
    return claims


def parse_narrative(text: str) -> list[tuple[str, list[Claim]]]:
    """Markdown (headings, paragraphs, list items) as sections of claims. Text before any heading goes under
    "Narrative". The text is untrusted: control characters are removed, nothing in it is interpreted but the
    citation markers."""
    sections: list[tuple[str, list[Claim]]] = []
    title, lines = "Narrative", list[str]()

    def flush() -> None:
        paragraphs = re.split(r"\n\s*\n", "\n".join(lines))
        claims = [
            c for p in paragraphs for c in parse_sentences(" ".join(_LIST_ITEM.sub("", ln) for ln in p.splitlines()))
        ]
        if claims:
            sections.append((title, claims))

    for line in plain(text).splitlines():
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            flush()
            title, lines = heading[1].strip() or "Narrative", []
        elif _LIST_ITEM.match(line) and lines and lines[-1].strip():
            lines += ["", line]  # each list item is a paragraph of its own
        else:
            lines.append(line)
    flush()
    return sections
