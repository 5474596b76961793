"""Loading tasks: KernelBench files unchanged, task folders, and one clear sentence for bad ones."""

from pathlib import Path

import pytest

from assay.errors import TaskError
from assay.tasks import load_suite, load_task

TASK = """import torch
import torch.nn as nn

batch_size = 8


class Model(nn.Module):
    def forward(self, x):
        return x * 2


def get_inputs():
    return [torch.randn(batch_size, 4)]


def get_init_inputs():
    return []
"""


def test_kernelbench_file_loads_unchanged(tmp_path: Path) -> None:
    (tmp_path / "19_ReLU.py").write_text(TASK)
    task = load_task(tmp_path / "19_ReLU.py")
    assert task.name == "19_ReLU" and task.spec.dtype == "float32"
    assert task.spec.effective_tolerance().atol == 1e-4


def test_folder_with_toml(tmp_path: Path) -> None:
    (tmp_path / "task.py").write_text(TASK)
    (tmp_path / "task.toml").write_text(
        'version = 1\ndescription = "double"\nextra_sizes = [{batch_size = 3}]\n[tolerance]\natol = 1e-5\nrtol = 1e-5\n'
    )
    (tmp_path / "start.py").write_text("class ModelNew: pass\n")
    task = load_task(tmp_path)
    assert task.spec.extra_sizes == ({"batch_size": 3},)
    assert task.spec.effective_tolerance().atol == 1e-5
    assert task.start_file is not None and task.reference_file is None


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({}, "has no task.py"),
        ({"task.py": "def broken(:\n"}, "syntax error at line 1"),
        ({"task.py": "import torch\nclass Model: pass\n"}, "does not define get_inputs, get_init_inputs"),
        ({"task.py": TASK, "task.toml": "dtype = 'float8'\n"}, "field dtype"),
        ({"task.py": TASK, "task.toml": "bogus = 1\n"}, "field bogus"),
        ({"task.py": TASK, "task.toml": "dtype = \n"}, "not valid TOML"),
    ],
)
def test_bad_tasks_get_one_clear_sentence(tmp_path: Path, files: dict[str, str], fragment: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(TaskError, match=fragment) as info:
        load_task(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_task(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="task not found"):
        load_task(tmp_path / "nope.py")


def test_suite_finds_folders_and_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "task.py").write_text(TASK)
    (tmp_path / "b.py").write_text(TASK)
    (tmp_path / "notes.py").write_text("x = 1\n")
    assert [t.name for t in load_suite(tmp_path)] == ["a", "b"]
