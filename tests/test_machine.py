"""The machine profile: roofline arithmetic, the cache and when it goes stale, the CLI, one real measurement."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import assay.machine._profile as profile_mod
from assay.cli._machine import machine
from assay.errors import ConfigError
from assay.machine import MachineProfile, Peak, cache_path, load_cached, measure, roofline_floor_s, roofline_fraction

FAKE_RAW: dict[str, Any] = {
    "peaks": [
        {"threads": 1, "bandwidth_bytes_per_s": 20e9, "flops_per_s": {"float32": 100e9, "float64": 50e9}},
        {"threads": 4, "bandwidth_bytes_per_s": 40e9, "flops_per_s": {"float32": 400e9, "float64": 200e9}},
    ],
    "measure_seconds": 6.0,
    "load_average": 0.1,
}


def fake_profile(**overrides: Any) -> MachineProfile:
    data: dict[str, Any] = {
        **profile_mod.current_metadata(),
        **FAKE_RAW,
        "measured_at": datetime.now(UTC),
        **overrides,
    }
    return MachineProfile.model_validate(data)


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def fake_runs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Replace the measurement subprocess; records each call's `quick` flag."""
    calls: list[bool] = []

    def run(quick: bool = False) -> dict[str, Any]:
        calls.append(quick)
        return json.loads(json.dumps(FAKE_RAW))

    monkeypatch.setattr(profile_mod, "_run_measurement", run)
    return calls


def test_roofline_floor_is_the_slower_of_memory_and_compute() -> None:
    p = fake_profile()
    # 1 GB at 20 GB/s = 50 ms; 1 GFLOP at 100 GFLOP/s = 10 ms: memory-bound.
    assert roofline_floor_s(p, flops=1e9, bytes=1e9) == pytest.approx(0.05)
    # 10 GFLOP = 100 ms beats 50 ms of traffic: compute-bound; float64 halves the peak.
    assert roofline_floor_s(p, flops=10e9, bytes=1e9) == pytest.approx(0.1)
    assert roofline_floor_s(p, flops=10e9, bytes=1e9, dtype="float64") == pytest.approx(0.2)
    assert roofline_floor_s(p, flops=10e9, bytes=1e9, threads=4) == pytest.approx(0.025)
    assert roofline_fraction(p, 1e9, 1e9, seconds=0.1) == pytest.approx(0.5)


def test_peak_picks_the_largest_measured_thread_count_not_above_the_request() -> None:
    p = fake_profile()
    assert p.peak(1).threads == 1
    assert p.peak(3).threads == 1
    assert p.peak(64).threads == 4


def test_roofline_rejects_unmeasured_dtype_and_nonpositive_time() -> None:
    p = fake_profile()
    with pytest.raises(ConfigError, match="bfloat16"):
        roofline_floor_s(p, 1.0, 1.0, dtype="bfloat16")
    with pytest.raises(ConfigError):
        roofline_fraction(p, 1.0, 1.0, seconds=0.0)
    with pytest.raises(ConfigError):
        roofline_floor_s(p, -1.0, 1.0)


def test_measure_caches_and_refresh_remeasures(cache_home: Path, fake_runs: list[bool]) -> None:
    assert load_cached() is None
    first = measure()
    assert cache_path() == cache_home / "assay" / "machine.json"
    assert cache_path().is_file()
    assert measure() == first  # served from the cache
    assert load_cached() == first
    assert len(fake_runs) == 1
    measure(refresh=True)
    assert len(fake_runs) == 2


def test_a_profile_from_another_cpu_or_torch_is_stale(cache_home: Path, fake_runs: list[bool]) -> None:
    cache_path().parent.mkdir(parents=True)
    for field, value in (("cpu_model", "Some Other CPU"), ("cores", 999), ("torch_version", "0.0.1")):
        cache_path().write_text(fake_profile(**{field: value}).model_dump_json())
        assert load_cached() is None, field
    measure()
    assert len(fake_runs) == 1
    assert load_cached() is not None


def test_a_corrupt_or_old_cache_is_ignored(cache_home: Path) -> None:
    cache_path().parent.mkdir(parents=True)
    cache_path().write_text("{not json")
    assert load_cached() is None
    cache_path().write_text(fake_profile(version=0).model_dump_json())
    assert load_cached() is None


def test_cli_prints_json_and_a_table(cache_home: Path, fake_runs: list[bool]) -> None:
    as_json = CliRunner().invoke(machine, ["--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["version"] == 1 and data["peaks"][0]["flops_per_s"]["float32"] == 100e9
    table = CliRunner().invoke(machine, [])
    assert table.exit_code == 0
    assert "GB/s" in table.stdout and "float32 GFLOP/s" in table.stdout
    assert len(fake_runs) == 1


def test_cli_is_wired_into_the_main_group() -> None:
    from assay.cli import main

    assert "machine" in main.commands


def test_a_real_quick_measurement(cache_home: Path) -> None:
    profile = measure(refresh=True, quick=True)
    one = profile.peak(1)
    assert one.threads == 1
    assert one.bandwidth_bytes_per_s > 1e8
    assert set(one.flops_per_s) == {"float32", "float64", "bfloat16", "float16"}
    assert all(v > 1e6 for v in one.flops_per_s.values())
    assert load_cached() == profile
    assert isinstance(profile.peaks[0], Peak)


def test_a_busy_neighbour_during_the_measurement_is_counted_and_warned_about(cache_home: Path) -> None:
    # A real spin loop beside a real quick measurement: its CPU time is the neighbour's, not the measurement's.
    import subprocess
    import sys

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        profile = measure(refresh=True, quick=True)
    finally:
        spinner.kill()
        spinner.wait()
    assert profile.foreign_cpus > 0.5, profile.foreign_cpus
    table = CliRunner().invoke(machine, [])
    assert table.exit_code == 0
    assert "CPUs busy while measuring" in " ".join(table.stdout.split())  # however rich wraps it


def test_a_quiet_profile_carries_no_warning(cache_home: Path) -> None:
    cache_path().parent.mkdir(parents=True)
    cache_path().write_text(fake_profile(foreign_cpus=0.01).model_dump_json())
    table = CliRunner().invoke(machine, [])
    assert table.exit_code == 0 and "busy while" not in " ".join(table.stdout.split())
