#!/usr/bin/env python
"""Check and time the bundled task suite (tasks/): Model, start.py and reference.py, single-threaded.

For every task folder: build Model, start's ModelNew and reference's ModelNew with the same seed,
check both solutions against Model within the task's tolerance on the default sizes and on every
`extra_sizes` entry, check that trivial outputs (zeros, a constant, the output's mean or row means, the
input itself, a bf16 computation) FAIL the tolerance check, then time the three implementations in
interleaved rounds (median per implementation). One line per task.

    .venv/bin/python bench/suite_timings.py [--rounds 15] [--reps 3] [NAME_SUBSTRING ...]

This is a development script, not a test: it runs trusted task code in-process.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks"
# load_inline needs ninja; the venv's bin folder holds it.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

import torch  # noqa: E402

DEFAULT_TOL = {"float32": (1e-4, 1e-4), "float64": (1e-7, 1e-7), "float16": (1e-2, 1e-2), "bfloat16": (1e-2, 1e-2)}
SEED_MODEL = 1234
SEEDS_INPUT = (11, 12)


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def close(out: torch.Tensor, ref: torch.Tensor, atol: float, rtol: float) -> tuple[bool, float]:
    """(passes, worst |out-ref| / (atol + rtol*|ref|)); NaN and infinities must match exactly."""
    if not isinstance(out, torch.Tensor) or type(out) is not torch.Tensor or out.shape != ref.shape:
        return False, float("inf")
    if out.dtype != ref.dtype:
        return False, float("inf")
    out = out.detach().float()
    ref = ref.detach().float()
    bad_ref = ~torch.isfinite(ref)
    bad_out = ~torch.isfinite(out)
    if bool(bad_ref.any()) or bool(bad_out.any()):
        if not torch.equal(bad_ref, bad_out) or not torch.equal(torch.isnan(out), torch.isnan(ref)):
            return False, float("inf")
        inf = torch.isinf(ref)
        if not torch.equal(out[inf], ref[inf]):
            return False, float("inf")
        out, ref = out[~bad_ref], ref[~bad_ref]
    if ref.numel() == 0:
        return True, 0.0
    ratio = (out - ref).abs_().div_(ref.abs().mul_(rtol).add_(atol)).max().item()
    return ratio <= 1.0, ratio


def make_inputs(task, seed: int, sizes: dict[str, int] | None):
    saved = {}
    if sizes:
        for k, v in sizes.items():
            if not hasattr(task, k):
                raise KeyError(f"extra_sizes names {k!r}, which task.py does not define")
            saved[k] = getattr(task, k)
            setattr(task, k, v)
    try:
        torch.manual_seed(seed)
        return task.get_inputs()
    finally:
        for k, v in saved.items():
            setattr(task, k, v)


def clone_all(xs):
    return [x.clone() if isinstance(x, torch.Tensor) else x for x in xs]


def trivial_passes(task, model, inputs, expected, atol, rtol) -> list[str]:
    """Names of trivial outputs that would pass the check (each one is a defect of the task)."""
    passed = []
    cands = {
        "zeros": torch.zeros_like(expected),
        "mean": torch.full_like(expected, expected.float().mean().item()),
        "constant1": torch.ones_like(expected),
    }
    if expected.dim() >= 1 and expected.numel():
        cands["row_mean"] = expected.float().mean(dim=-1, keepdim=True).expand_as(expected).to(expected.dtype)
    for x in inputs:
        if isinstance(x, torch.Tensor) and x.shape == expected.shape:
            cands["input"] = x
            break
    try:
        m16 = copy.deepcopy(model).to(torch.bfloat16)
        with torch.no_grad():
            cands["bf16"] = m16(
                *[x.to(torch.bfloat16) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs]
            ).float()
    except Exception as exc:  # some ops lack bf16 kernels on CPU, or the model mixes dtypes
        passed.append(f"(bf16 check skipped: {type(exc).__name__}: {str(exc)[:60]})")
    for name, c in cands.items():
        if close(c, expected, atol, rtol)[0]:
            passed.append(name)
    return passed


def time_round(fn, inputs, reps: int) -> tuple[float, float]:
    """Median (thread CPU time, wall time) of `reps` calls.

    With one thread every op runs on the calling thread, so its CPU clock (which counts page-fault work
    in the kernel too) measures the call while staying steady when other processes share the cores.
    """
    cpu, wall = [], []
    for _ in range(reps):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn(*inputs)
        t1, c1 = time.perf_counter(), time.thread_time()
        cpu.append(c1 - c0)
        wall.append(t1 - t0)
    return statistics.median(cpu), statistics.median(wall)


def run_task(folder: Path, rounds: int, reps: int) -> dict:
    name = folder.name
    spec = tomllib.loads((folder / "task.toml").read_text()) if (folder / "task.toml").is_file() else {}
    dtype = spec.get("dtype", "float32")
    atol, rtol = DEFAULT_TOL[dtype]
    if "tolerance" in spec:
        atol, rtol = spec["tolerance"]["atol"], spec["tolerance"]["rtol"]
    t0 = time.perf_counter()
    task = load_module(folder / "task.py", f"suite_{name}_task")
    start = load_module(folder / "start.py", f"suite_{name}_start")
    ref = load_module(folder / "reference.py", f"suite_{name}_reference")
    t_import = time.perf_counter() - t0

    init = task.get_init_inputs()
    models = {}
    for label, cls in (("model", task.Model), ("start", start.ModelNew), ("reference", ref.ModelNew)):
        torch.manual_seed(SEED_MODEL)
        models[label] = cls(*init)

    notes: list[str] = []
    ok = {"start": True, "reference": True}
    worst = {"start": 0.0, "reference": 0.0}
    configs: list[dict[str, int] | None] = [None, *spec.get("extra_sizes", [])]
    with torch.no_grad():
        for ci, sizes in enumerate(configs):
            for seed in SEEDS_INPUT:
                inputs = make_inputs(task, seed, sizes)
                expected = models["model"](*clone_all(inputs))
                if ci == 0 and seed == SEEDS_INPUT[0]:
                    if expected.dtype != torch.float32:
                        notes.append(f"output dtype {expected.dtype}")
                    if expected.numel() > 1 and (expected.float().std() < 1e-3 * expected.abs().max()).item():
                        notes.append("near-constant output")
                    triv = trivial_passes(task, models["model"], inputs, expected, atol, rtol)
                    notes += [t for t in triv if t.startswith("(")]
                    triv = [t for t in triv if not t.startswith("(")]
                    if triv:
                        notes.append("TRIVIAL PASSES: " + ",".join(triv))
                for label in ("start", "reference"):
                    xs = clone_all(inputs)
                    try:
                        out = models[label](*xs)
                    except Exception as exc:
                        ok[label] = False
                        notes.append(f"{label} crashed on {sizes}: {type(exc).__name__}: {str(exc)[:100]}")
                        continue
                    good, ratio = close(out, expected, atol, rtol)
                    worst[label] = max(worst[label], ratio)
                    if not good:
                        ok[label] = False
                        notes.append(f"{label} wrong on {sizes or 'default'} (err ratio {ratio:.3g})")
                    if label == "reference" and isinstance(out, torch.Tensor) and not out.is_contiguous():
                        notes.append("reference output not contiguous")
                    for a, b in zip(xs, inputs, strict=True):
                        if isinstance(a, torch.Tensor) and not torch.equal(a, b):
                            notes.append(f"{label} mutated its inputs")
                            ok[label] = False

        # Timing: default sizes, two input sets, interleaved rounds with a rotating order.
        sets = [make_inputs(task, s, None) for s in SEEDS_INPUT]
        labels = ["model", "start", "reference"]
        for lab in labels:  # warm-up
            for s in sets:
                models[lab](*s)
        times: dict[str, list[tuple[float, float]]] = {lab: [] for lab in labels}
        for r in range(rounds):
            order = labels[r % 3 :] + labels[: r % 3]
            for lab in order:
                times[lab].append(time_round(models[lab], sets[r % 2], reps))
    ms = {lab: 1e3 * statistics.median(c for c, _ in v) for lab, v in times.items()}
    wall_ms = {lab: 1e3 * statistics.median(w for _, w in v) for lab, v in times.items()}
    if not 2.0 <= ms["model"] <= 50.0:
        notes.append("Model time outside 2-50 ms")
    del models, sets
    gc.collect()
    return {
        "name": name,
        "ms": ms,
        "wall_ms": wall_ms,
        "load": os.getloadavg()[0],
        "ok": ok,
        "worst": worst,
        "notes": notes,
        "speedup": ms["start"] / ms["reference"],
        "import_s": t_import,
    }


def print_row(res: dict) -> None:
    ms = res["ms"]
    status = "OK" if all(res["ok"].values()) and not any("TRIVIAL" in n for n in res["notes"]) else "FAIL"
    extra = []
    if res["notes"]:
        extra.append("[" + "; ".join(dict.fromkeys(res["notes"])) + "]")
    if res["wall_ms"]["model"] > 1.3 * ms["model"]:
        wall = res["wall_ms"]
        extra.append(f"(wall: {wall['model']:.1f}/{wall['start']:.1f}/{wall['reference']:.1f}, load {res['load']:.1f})")
    if res["import_s"] > 2:
        extra.append(f"(import {res['import_s']:.0f}s)")
    print(
        f"{res['name']:30s} {ms['model']:9.2f} {ms['start']:9.2f} {ms['reference']:9.2f} {res['speedup']:7.2f}x  "
        f"{status:5s} {res['worst']['start']:8.2g} {res['worst']['reference']:8.2g} {res['rss_mib']:6.0f}  "
        + " ".join(extra),
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("filters", nargs="*", help="only tasks whose name contains one of these")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--plain-malloc",
        action="store_true",
        help="keep glibc's adaptive mmap/trim thresholds (default: pin them, see main())",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one task folder, print a JSON line
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.one:
        res = run_task(TASKS / args.one, args.rounds, args.reps)
        res["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(res))
        return 0

    folders = sorted(p for p in TASKS.iterdir() if (p / "task.py").is_file())
    if args.filters:
        folders = [p for p in folders if any(f in p.name for f in args.filters)]
    t_all = time.perf_counter()
    env = dict(os.environ)
    if not args.plain_malloc:
        # glibc adapts its mmap and trim thresholds to the allocation history, so whether a call's
        # 5-30 MB temporaries come from the heap or from fresh, page-faulting mmaps flips from one
        # process to the next: memory-bound Models then measure 2x-6x apart between runs. Pinning both
        # thresholds (mmap at glibc's 32 MiB maximum, trimming off) makes every process reuse freed
        # memory the same way, so runs are comparable. --plain-malloc shows the unpinned behaviour.
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(32 * 1024 * 1024))
        env.setdefault("MALLOC_TRIM_THRESHOLD_", str(1 << 40))
    print(
        f"malloc: {'glibc adaptive thresholds' if args.plain_malloc else 'pinned thresholds'}; "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    print("times: median thread CPU ms per call, single-threaded, interleaved rounds")
    print(
        f"{'task':30s} {'model ms':>9s} {'start ms':>9s} {'ref ms':>9s} {'speedup':>8s}  check "
        f"{'err st':>8s} {'err ref':>8s} {'RSS MiB':>6s}"
    )
    results = []
    for folder in folders:
        # One clean process per task: no allocator or thread-pool state carried between tasks,
        # and the peak RSS column is that task's own.
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                folder.name,
                "--rounds",
                str(args.rounds),
                "--reps",
                str(args.reps),
                "--threads",
                str(args.threads),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"{folder.name:30s} ERROR (exit {proc.returncode}): {tail}", flush=True)
            continue
        res = json.loads(line[len("RESULT ") :])
        results.append(res)
        print_row(res)
    n = len(results)
    if n:
        fast = sum(r["speedup"] > 1.10 for r in results)
        good = sum(all(r["ok"].values()) for r in results)
        geo = statistics.geometric_mean([r["speedup"] for r in results])
        print(
            f"\n{n}/{len(folders)} tasks ran: {good} correct, reference > 1.10x over start on {fast}/{n}, "
            f"geomean speedup {geo:.2f}x; total {time.perf_counter() - t_all:.0f}s; "
            f"load average at end {os.getloadavg()[0]:.1f}"
        )
    return 0 if n == len(folders) and all(all(r["ok"].values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
