"""The static scan reports suspicious constructs as telemetry."""

from assay.candidates import scan_source


def test_scan_finds_patching_and_introspection() -> None:
    source = "import gc\nimport time\nimport ctypes\ntime.perf_counter = lambda: 0.0\nexec('1')\n"
    found = "\n".join(scan_source(source))
    assert "gc (object-graph introspection)" in found
    assert "ctypes" in found
    assert "time.perf_counter (monkeypatching)" in found
    assert "exec of dynamic code" in found


def test_plain_code_is_quiet() -> None:
    assert scan_source("import torch\nx = torch.ones(3) + 1\n") == []
    assert scan_source("def broken(:\n") == []
