"""`assay machine`: this machine's peak bandwidth and FLOP/s (measured once, then cached)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from assay.cli._common import one_line_errors
from assay.machine import BUSY_CPUS, MachineProfile, cache_path, load_cached, measure
from assay.report import make_console, safe_text


def render_profile(profile: MachineProfile, console: Console) -> None:
    console.print(
        f"[bold]{safe_text(profile.cpu_model)}[/], {profile.cores} cores, {profile.memory_bytes / 2**30:.1f} GiB, "
        f"torch {safe_text(profile.torch_version)}, {safe_text(profile.hostname)}"
    )
    dtypes = sorted({d for p in profile.peaks for d in p.flops_per_s}, key=lambda d: (d != "float32", d))
    table = Table(title=None)
    table.add_column("threads", justify="right")
    table.add_column("bandwidth GB/s", justify="right")
    for dtype in dtypes:
        table.add_column(f"{dtype} GFLOP/s", justify="right")
    for peak in profile.peaks:
        flops = [f"{peak.flops_per_s[d] / 1e9:.1f}" if d in peak.flops_per_s else "-" for d in dtypes]
        table.add_row(str(peak.threads), f"{peak.bandwidth_bytes_per_s / 1e9:.1f}", *flops)
    console.print(table)
    console.print(
        f"[dim]measured {profile.measured_at:%Y-%m-%d %H:%M} UTC in {profile.measure_seconds:.1f} s; "
        f"cached at {safe_text(cache_path())}[/]"
    )
    if profile.foreign_cpus >= BUSY_CPUS:
        console.print(
            f"[yellow]other processes kept {profile.foreign_cpus:.2f} CPUs busy while measuring, so these peaks "
            "are likely low; run `assay machine --refresh` on a quiet machine[/]"
        )


@click.command("machine")
@click.option("--refresh", is_flag=True, help="Measure again even if a valid cached profile exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the profile as one JSON object.")
@one_line_errors
def machine(refresh: bool, as_json: bool) -> None:
    """Measure (or show the cached) peak memory bandwidth and matmul FLOP/s of this machine.

    Single-threaded and all-threads peaks, for the roofline check. The profile is cached in
    ${XDG_CACHE_HOME:-~/.cache}/assay/machine.json and measured again when the CPU, the core count or the
    torch version changes.
    """
    if refresh or load_cached() is None:
        click.echo("measuring this machine (about 10 s)...", err=True)
    profile = measure(refresh=refresh)
    if as_json:
        click.echo(profile.model_dump_json(indent=2))
    else:
        render_profile(profile, make_console())
