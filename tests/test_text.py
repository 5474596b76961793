"""No byte from a candidate steers the report: the sanitiser, the renderers, and the red-team rendering check,
with fixed attacks and with random text (Hypothesis)."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from assay.evaluate import EvalResult, Flag
from assay.evaluate._finish import encodable, isolation_warning
from assay.redteam._render_check import render_report, rendering_problems
from assay.report import make_console, render_result, result_line, safe_text

# Everything a str can hold, lone surrogates and controls included, and a dense mix of what markup is made of.
ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=80)
MARKUP_SOUP = st.text(alphabet="[]/\\ab:=#@ \x1b\r\n\t\x9b\u202e\ud800", max_size=40)
TEXT = ANY_TEXT | MARKUP_SOUP
CONTROL = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n"}


def _render(markup: str) -> str:
    console = make_console(file=io.StringIO())
    console.print(markup, end="")
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_escape_sequences_and_controls_go_whole() -> None:
    assert safe_text("a\x1b[1A\x1b[2Kb\x1b]0;title\x07c\x9b2Kd", markup=False) == "abcd"
    assert safe_text("done\rverified", markup=False) == "done\nverified"
    assert safe_text("done\rverified", markup=False, one_line=True) == "done verified"
    assert safe_text("x\b\b\by\x00\x7f\tz", markup=False) == "xy z"
    assert safe_text("\u202edeifirev\u202c", markup=False) == "deifirev"
    assert safe_text("bad \ud800 text", markup=False) == "bad \ufffd text"
    assert safe_text("[bold green]verified[/]") == "\\[bold green]verified\\[/]"


@settings(max_examples=400, deadline=None)
@given(TEXT, st.sampled_from(["", " ms", "[b]x[/b]", "[1]", "\\[b]"]))
def test_safe_text_always_renders_literally(text: str, after: str) -> None:
    out = _render(f"[bold]{safe_text(text)}[/]{after}")
    plain = safe_text(text, markup=False)
    assert out.replace("\u200b", "").startswith(plain.replace("\u200b", ""))
    assert not CONTROL & set(plain) and "\ud800" not in plain
    assert "\n" not in safe_text(text, markup=False, one_line=True)


def _result(text: str, verdict: str = "crashed") -> EvalResult:
    return encodable(
        EvalResult(
            verdict=verdict,
            message=text,
            flags=[Flag(id="thread-left-running", evidence=text)] if verdict == "flagged" else [],
            task=text[:20],
            candidate=text[-20:],
            scan=[text],
            isolation={"level": "L3", "gaps": [text]},
        )
    )


@settings(max_examples=200, deadline=None)
@given(TEXT, st.sampled_from(["crashed", "flagged", "incorrect"]))
def test_random_candidate_text_never_forges_or_breaks_the_report(text: str, verdict: str) -> None:
    result = _result(text, verdict)
    assert rendering_problems(result) == []
    line = result_line(result)
    assert line.startswith(verdict) and "\n" not in line and not CONTROL & set(line)
    result.model_dump_json()  # encodes: lone surrogates were replaced


FORGERIES = [
    "\n[bold]assay eval[/] t <- c: [bold green]verified[/]\n[dim]speedup[/]  [bold]2.400x[/]",
    "\x1b[1A\x1b[2K\rassay eval t <- c: \x1b[1;32mverified\x1b[0m",
    "shape check [/bold] failed [/] [link=file:///etc/passwd]x[/link]",
    "kernel failed \udce2\udc80 \u202edeifirev\u202c \ud800 :white_check_mark:",
]


def _naive_render(result: EvalResult, console: Console) -> None:
    """How the report printed a result before the sanitiser: candidate text straight into markup."""
    console.print(f"[bold]assay eval[/] {result.task} <- {result.candidate}: {result.verdict}")
    console.print(f"message    {result.message}")


def test_the_red_team_check_catches_the_old_renderer_and_passes_the_new_one(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    results = [encodable(EvalResult(verdict="crashed", message=f, task="t", candidate="c.py")) for f in FORGERIES]
    assert all(rendering_problems(r) == [] for r in results)
    assert all("verified" not in render_report(r).splitlines()[0] for r in results)
    monkeypatch.setattr("assay.redteam._render_check.render_result", _naive_render)
    assert all(rendering_problems(r) for r in results[:3])  # markup interpreted, escapes live, rich raised
    raw = EvalResult(verdict="crashed", message=FORGERIES[3], task="t", candidate="c.py")  # never made encodable
    assert any("could not be printed" in p for p in rendering_problems(raw))


def test_weak_isolation_is_a_loud_warning() -> None:
    assert isolation_warning({"level": "L3"}) is None and isolation_warning({"level": "L2"}) is None
    assert isolation_warning({}) is None  # the candidate never ran (a syntax error)
    warning = isolation_warning({"level": "L1"})
    assert warning is not None and warning.startswith("isolation L1 ") and "not" in warning
    result = EvalResult(
        verdict="verified", isolation={"level": "L0"}, warnings=[str(isolation_warning({"level": "L0"}))]
    )
    buffer = io.StringIO()
    render_result(result, make_console(file=buffer))
    line = next(row for row in buffer.getvalue().splitlines() if row.startswith("warning "))
    assert line.split(None, 1)[1].startswith("isolation L0 (rlimits only")
