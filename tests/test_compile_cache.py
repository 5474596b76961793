"""The trusted compile cache: built once outside any sandbox, used by the compilers inside it, read-only there.

Each candidate checks from inside its sandbox and raises when the cache was not used or could be written; the same
candidate without the cache shows that the check fails when it should.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assay.evaluate import EvalConfig, Evaluator, Verdict
from assay.evaluate._compile_cache import CompileCache
from tests.conftest import FIXTURES, QUICK

TASK = FIXTURES / "eval" / "task_tanh.py"
CONFIG: EvalConfig = replace(QUICK, construct_timeout_s=110)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_inductor_uses_the_trusted_headers_and_cannot_write_them(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path)
    candidate = FIXTURES / "eval" / "compiles_with_cache.py"
    with Evaluator(compile_cache=cache) as evaluator:
        lent = evaluator.evaluate(TASK, candidate, CONFIG)
        # "rebuilt in the sandbox": inductor built its own header; "wrote into the cache" or "planted a file": it
        # could change what the next candidate reads.
        assert lent.verdict == Verdict.VERIFIED, lent.message
        built = _files(cache.folder("inductor"))
        assert any(p.name.endswith(".h.gch") for p in built)
        assert all(not p.stat().st_mode & 0o222 for p in built)

        own = evaluator.evaluate(TASK, candidate, replace(CONFIG, compile_cache=False))
        assert own.verdict == Verdict.CRASHED
        assert "rebuilt in the sandbox" in own.message
    assert _files(cache.folder("inductor")) == built


def test_load_inline_uses_the_trusted_extension_header(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path)
    candidate = FIXTURES / "eval" / "extension_with_cache.py"
    with Evaluator(compile_cache=cache) as evaluator:
        lent = evaluator.evaluate(TASK, candidate, CONFIG)
        assert lent.verdict == Verdict.VERIFIED, lent.message
        # The candidate asks for -O3: the cache built the optimized header, and only that one.
        assert [p.name for p in (tmp_path / "compile").glob("*/*")] == ["extension-O3"]
        header = cache.folder("extension-O3") / "torch" / "extension.h.gch"
        assert not header.stat().st_mode & 0o222

        own = evaluator.evaluate(TASK, candidate, replace(CONFIG, compile_cache=False))
        assert own.verdict == Verdict.CRASHED
        assert "no precompiled torch/extension.h on CPATH" in own.message


def test_a_source_that_never_compiles_is_lent_nothing(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path)
    lent = cache.for_source("import torch\nclass ModelNew(torch.nn.Module):\n    pass\n")
    assert lent.folders() == []
    assert not cache.root.exists()  # nothing was built for it


class _NoCompiler(CompileCache):
    tries = 0

    def _fill_extension(self, out: Path, flags: list[str]) -> None:
        self.tries += 1
        raise OSError("no compiler")


def test_a_part_that_fails_to_build_is_not_tried_again(tmp_path: Path) -> None:
    cache = _NoCompiler(tmp_path)
    source = "from torch.utils.cpp_extension import load_inline  # -O3\n"
    assert cache.for_source(source).include is None
    assert cache.for_source(source).include is None
    assert cache.tries == 1
    assert not list((tmp_path / "compile").glob("*/*"))  # no half-built folder was published


class _Racer(CompileCache):
    """Its fill finishes second: another process publishes the same part while it builds."""

    def _fill_extension(self, out: Path, flags: list[str]) -> None:
        theirs = self.folder("extension") / "torch"
        theirs.mkdir(parents=True)
        (theirs / "extension.h.gch").write_text("theirs")
        (out / "torch").mkdir(parents=True)
        (out / "torch" / "extension.h.gch").write_text("ours")


def test_the_first_published_build_wins_and_the_second_is_cleaned_up(tmp_path: Path) -> None:
    cache = _Racer(tmp_path)
    lent = cache.for_source("from torch.utils.cpp_extension import load_inline\n")
    assert lent.include == cache.folder("extension")
    assert (lent.include / "torch" / "extension.h.gch").read_text() == "theirs"
    assert [p.name for p in cache.folder("extension").parent.iterdir()] == ["extension"]  # no staging left


def test_the_build_finds_modules_where_the_workers_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A torch importable only through PYTHONPATH must be the one the headers are built with: the build runs in a
    fixed environment, and it used to leave PYTHONPATH out (the build failed and every candidate compiled from
    scratch)."""
    extra = tmp_path / "site"
    extra.mkdir()
    (extra / "only_on_pythonpath.py").write_text("MARK = 7\n")
    monkeypatch.setenv("PYTHONPATH", str(extra))
    cache = CompileCache(tmp_path / "cache")
    cache._run("import only_on_pythonpath; assert only_on_pythonpath.MARK == 7", [], tmp_path)
    monkeypatch.delenv("PYTHONPATH")
    with pytest.raises(OSError, match="No module named 'only_on_pythonpath'"):
        cache._run("import only_on_pythonpath", [], tmp_path)
