"""The machine interface of `assay eval --json`, checked by the project's shared contract tool."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_eval_contract.py"


@pytest.mark.skipif(not CHECKER.is_file(), reason=f"the shared contract checker is not beside the repo ({CHECKER})")
def test_shared_contract_checker_passes() -> None:
    assay = shutil.which("assay", path=str(Path(sys.executable).parent)) or shutil.which("assay")
    assert assay, "the assay console script must be installed"
    proc = subprocess.run(
        [sys.executable, str(CHECKER), assay], capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "contract: all checks hold" in proc.stdout
