"""The whole evaluator run by an ordinary user: orchestrator, zygote and workers all unprivileged.

tests/sandbox/ drops privileges inside a forked test process to check each isolation layer as a plain uid; this
runs the real command line end to end as one, the way a user on a laptop runs it: the sandbox must reach its
level through a user namespace (no cgroup, no root-only mounts), or say plainly in `isolation` what it lacks.
It needs root to become that user, and an interpreter that user may execute (this project's venv may sit under
a home directory closed to others: then a system Python of the same version is used, with this environment's
packages put on its path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import assay

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "eval"
UID = GID = 65534  # nobody
# Attacks on the sandbox itself; the runner checks from outside that none of them left a trace.
SANDBOX_ATTACKS = (
    "egress_tcp,egress_subprocess,write_outside_scratch,detached_double_fork,fork_bomb,kill_all,secret_env"
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to become an ordinary user (as one, the whole suite is this test)"
)


def _as_user(args: list[str], home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{home / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(
        args, cwd=home, env=env, user=UID, group=GID, extra_groups=[], capture_output=True, text=True, timeout=timeout
    )


def _interpreter(home: Path) -> str | None:
    """A Python of this version that the ordinary user may run."""
    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.realpath(sys.executable), f"/usr/bin/{minor}", f"/usr/local/bin/{minor}"):
        if not os.path.isfile(candidate):
            continue
        try:
            probe = _as_user([candidate, "-c", "import sys; print(sys.version_info[:2])"], home, timeout=30)
        except PermissionError:  # under a directory closed to the user
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    return None


@pytest.fixture(scope="module")
def user_home() -> Iterator[Path]:
    """A home for the ordinary user holding a venv that sees this environment's packages and this assay."""
    home = Path(tempfile.mkdtemp(prefix="assay-unprivileged-", dir="/tmp"))
    try:
        os.chown(home, UID, GID)
        python = _interpreter(home)
        if python is None:
            pytest.skip(f"no Python {sys.version_info[:2]} that uid {UID} may execute")
        made = _as_user([python, "-m", "venv", "--without-pip", str(home / "venv")], home)
        assert made.returncode == 0, made.stderr
        purelib = Path(sysconfig.get_paths(vars={"base": str(home / "venv")})["purelib"])
        paths = [sysconfig.get_paths()["purelib"], str(Path(assay.__file__).resolve().parents[1])]
        pth = purelib / "assay-under-test.pth"
        pth.write_text("\n".join(paths) + "\n")
        os.chown(pth, UID, GID)
        check = _as_user(["python", "-c", f"import torch, assay; open({str(FIXTURES / 'honest.py')!r})"], home)
        if check.returncode != 0:
            pytest.skip(f"this environment or checkout is not readable by uid {UID}: {check.stderr.strip()[-200:]}")
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_an_ordinary_user_gets_a_verified_result_and_its_isolation(user_home: Path) -> None:
    task, candidate = FIXTURES / "task_tanh.py", FIXTURES / "honest.py"
    run = _as_user(["python", "-m", "assay", "eval", str(task), str(candidate), "--json"], user_home)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["verdict"] == "verified", result["message"]
    isolation = result["isolation"]
    assert isolation["uid"] == UID
    if isolation["level"] == "L3":
        assert "userns" in isolation["layers"], isolation
        assert not any(layer.startswith("cgroup") for layer in isolation["layers"]), isolation
    else:  # no user namespaces for ordinary users here: the result must say what is missing
        assert isolation["gaps"], isolation


def test_an_ordinary_users_sandbox_stops_the_sandbox_attacks(user_home: Path) -> None:
    run = _as_user(
        ["python", "-m", "assay", "redteam", str(ROOT / "redteam"), "--json", "--only", SANDBOX_ATTACKS],
        user_home,
        timeout=600,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads(run.stdout)
    rows = report["rows"]
    assert len(rows) == len(SANDBOX_ATTACKS.split(",")), [r["file"] for r in rows]
    for row in rows:
        assert row["passed"] and row["side_effects"] == "ok", row


def test_an_ordinary_users_compiled_candidate_reads_the_cache_and_cannot_write_it(user_home: Path) -> None:
    # The candidate raises if inductor rebuilt its header in the sandbox or if it could write the cache, which
    # the ordinary user owns (its home's ~/.cache/assay, here under the masked /tmp, bound back read-only). The
    # cache is built by this run or by the red-team run above (its torch.compile control), as this user.
    task, candidate = FIXTURES / "task_tanh.py", FIXTURES / "compiles_with_cache.py"
    run = _as_user(["python", "-m", "assay", "eval", str(task), str(candidate), "--json"], user_home, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    result = json.loads(run.stdout)
    assert result["verdict"] == "verified", result["message"]
    headers = list((user_home / ".cache" / "assay" / "compile").glob("*/inductor/*.gch"))
    assert headers and all(p.stat().st_uid == UID for p in headers)
