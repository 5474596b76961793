"""Precompiled headers that only the trusted side builds, lent read-only to every sandbox.

Trusted side. Compiled candidates rebuilt the same large headers in every evaluation, because a sandbox's
`$TMPDIR` and build folders are a fresh tmpfs:

- `torch.compile` on the CPU: inductor precompiles `torch/csrc/inductor/cpp_prefix.h` (149 MB of `.gch`) into
  `$TMPDIR/torchinductor_<user>/precompiled_headers`, about 4.5 of a candidate's 17 s here;
- `load_inline`: every extension compiles `#include <torch/extension.h>` from source, about 13 of 26 s.

Those headers depend on torch, the compiler and its flags, never on the candidate, so a trusted process builds
each once per machine (our own fixed source and command lines, outside any sandbox) and publishes it by an
atomic rename. A worker, before any candidate code exists in it, links the inductor headers into its own
`precompiled_headers` folder and puts the `torch/extension.h.gch` folder on `CPATH` (GCC looks for
`name.gch` in each include folder before `name`, and `CPATH` folders come before the `-isystem` ones torch
passes). The cache's files and folders are read-only to every sandbox (Landlock, and a read-only bind where the
cache sits under a masked path such as /root or /home), so no candidate can write anything another one reads:
the cache is not a channel. A header the cache lacks or GCC finds invalid (other flags, `-march=native`) is built
in the sandbox as before: a miss costs what it always did.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("assay")

# Our own code, run in a trusted subprocess: compiles a small module the way the offline proposer's candidates do.
_FILL_INDUCTOR = """
import torch
torch._inductor.config.compile_threads = 1
model = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.GELU(), torch.nn.LayerNorm(16)).eval()
with torch.no_grad():
    torch.compile(model)(torch.randn(4, 16))
"""

# Our own code: precompiles torch/extension.h with the flags load_inline passes for a CPU extension
# (torch/utils/cpp_extension.py: the include folders as -isystem, -fPIC, the C++ standard), plus argv[2:], and puts
# a copy of the header beside it (it includes only <...> paths, which resolve from the normal search path).
_FILL_EXTENSION = """
import os, shutil, subprocess, sys, sysconfig
from torch.utils import cpp_extension
out = os.path.join(sys.argv[1], "torch", "extension.h.gch")
os.makedirs(os.path.dirname(out))
includes = [*cpp_extension.include_paths(), sysconfig.get_paths()["include"]]
header = os.path.join(includes[0], "torch", "extension.h")
command = ["c++", "-x", "c++-header", "-DTORCH_API_INCLUDE_EXTENSION_H"]
command += [flag for path in includes for flag in ("-isystem", path)]
command += ["-fPIC", "-std=c++20", *sys.argv[2:], header, "-o", out]
subprocess.run(command, check=True, capture_output=True)
# GCC that finds the .gch unusable (other flags, code before the #include) reads the header from this folder instead:
shutil.copyfile(header, os.path.join(sys.argv[1], "torch", "extension.h"))
"""

# A source that never names these cannot reach inductor's C++ backend or a C++ extension build.
_WANTS_INDUCTOR = re.compile(r"\bcompile\b|_inductor")
_WANTS_EXTENSION = re.compile(r"load_inline|cpp_extension")
_OPTIMIZES = re.compile(r"-O[123]|-Ofast")  # GCC takes an -O3 header for -O1 to -O3, and a plain one only without


@dataclass(frozen=True)
class Lent:
    """What one candidate's sandbox gets: folders it may read, never write."""

    inductor: Path | None = None  # linked into inductor's own precompiled_headers folder
    include: Path | None = None  # put on CPATH

    def folders(self) -> list[str]:
        return [str(p) for p in (self.inductor, self.include) if p is not None]

    def as_config(self) -> dict[str, str | None]:
        """The workers' `compile_cache` setting (worker/_boot.py)."""
        return {
            name: None if p is None else str(p) for name, p in (("inductor", self.inductor), ("include", self.include))
        }


def default_root() -> Path:
    """`$ASSAY_CACHE_DIR`, else `$XDG_CACHE_HOME/assay`, else `~/.cache/assay`."""
    configured = os.environ.get("ASSAY_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "assay"


def _machine_key() -> str:
    """What the headers depend on: torch, the interpreter and the compiler (its version line)."""
    from importlib.metadata import version

    try:
        compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        compiler = "none"
    text = f"{version('torch')}|{os.path.realpath(sys.executable)}|{compiler.splitlines()[:1]}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CompileCache:
    """The trusted cache of precompiled headers under `root`/compile (one folder per torch, interpreter and
    compiler). A part that fails to build is not tried again by this object; its candidates build their own."""

    def __init__(self, root: Path | None = None, timeout_s: float = 600.0) -> None:
        self.root = (root or default_root()) / "compile"
        self.timeout_s = timeout_s
        self._failed: set[str] = set()
        self._key: str | None = None

    def folder(self, part: str) -> Path:
        if self._key is None:
            self._key = _machine_key()
        return self.root / self._key / part

    def for_source(self, source: str) -> Lent:
        """The folders to lend to the sandbox of a candidate with this source, built first where missing."""
        inductor = include = None
        if _WANTS_INDUCTOR.search(source):
            inductor = self._ensure("inductor", self._fill_inductor)
        if _WANTS_EXTENSION.search(source):
            flags = ["-O3"] if _OPTIMIZES.search(source) else []
            include = self._ensure(f"extension{''.join(flags)}", lambda out: self._fill_extension(out, flags))
        return Lent(inductor, include)

    def _ensure(self, part: str, fill: Callable[[Path], None]) -> Path | None:
        if part in self._failed:
            return None
        folder = self.folder(part)
        if folder.is_dir():
            return folder
        log.info("assay: building the compile cache's %s headers once, in %s", part, folder)
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f"fill-{part}-", dir=folder.parent))
        except OSError as exc:
            self._give_up(part, exc)
            return None
        try:
            out = staging / "out"
            fill(out)
            _read_only(out)
            try:
                # Moving a folder to another parent rewrites its "..": it must stay writable until it has moved.
                out.rename(folder)
                folder.chmod(0o555)
            except OSError:
                _writable(out)
                if not folder.is_dir():
                    raise
        except (OSError, subprocess.SubprocessError) as exc:
            self._give_up(part, exc)
            return None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder  # ours, or one that another process published first

    def _give_up(self, part: str, exc: Exception) -> None:
        self._failed.add(part)  # once per cache object: a broken compiler must not cost every evaluation a try
        log.warning("assay: the compile cache's %s headers could not be built (%s); compiling without", part, exc)

    def _run(self, script: str, args: list[str], home: Path) -> None:
        env = {
            "HOME": str(home),
            "TMPDIR": str(home),
            "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",  # as in the sandbox
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # Where the workers find torch, the build finds it too (the zygote lets these two through as well).
        env.update({name: os.environ[name] for name in ("PYTHONPATH", "VIRTUAL_ENV") if name in os.environ})
        proc = subprocess.run(
            [sys.executable, "-c", script, *args],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=self.timeout_s,
            check=False,
        )
        if proc.returncode != 0:
            raise OSError(f"the build exited with {proc.returncode}: {proc.stderr.strip()[-300:]}")

    def _fill_inductor(self, out: Path) -> None:
        home = out.parent
        self._run(_FILL_INDUCTOR, [], home)
        built = sorted(home.glob("torchinductor_*/precompiled_headers/*.h*"))
        if not any(p.suffix == ".gch" for p in built):
            raise OSError("inductor precompiled no header")
        out.mkdir()
        for path in built:
            shutil.move(path, out / path.name)

    def _fill_extension(self, out: Path, flags: list[str]) -> None:
        self._run(_FILL_EXTENSION, [str(out), *flags], out.parent)


def _read_only(folder: Path) -> None:
    """Everything under `folder` read-only; `folder` itself stays writable until it is published."""
    for path in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):  # files before their folders
        path.chmod(0o555 if path.is_dir() else 0o444)


def _writable(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
