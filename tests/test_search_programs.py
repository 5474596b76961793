"""What the search knows without running a program: duplicates, features, seeded choices, the program database."""

from __future__ import annotations

from assay.evaluate import EvalResult, Verdict
from assay.search import Entry, Parent, ProgramDatabase, near_duplicate, parse_program
from assay.search._programs import derive, rng

BASE = '''"""A candidate."""
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        y = torch.tanh(x)  # the activation
        return y * self.scale
'''


def _program(source: str):
    program = parse_program(source)
    assert program is not None
    return program


def test_cosmetic_changes_are_duplicates_and_knobs_are_not() -> None:
    base = _program(BASE)
    cosmetic = BASE.replace('"""A candidate."""\n', "").replace("  # the activation", "").replace("y", "out")
    cosmetic = cosmetic.replace("    def forward(self, x):", "    def forward(self, x):\n        '''Docs.'''")
    assert _program(cosmetic).normalized_sha256 == base.normalized_sha256  # comments, docstrings, local names
    assert near_duplicate(base, _program(cosmetic), 0.99)
    knob = BASE.replace("y * self.scale", "y * self.scale * 1.0")
    assert not near_duplicate(base, _program(knob), 0.5)  # a new constant: never a near-duplicate
    in_place = BASE.replace("y * self.scale", "y.mul_(self.scale)")
    assert not near_duplicate(base, _program(in_place), 0.5)  # a different operation: never either
    moved = BASE.replace(
        "        super().__init__()\n        self.scale = scale\n",
        "        self.scale = scale\n        super().__init__()\n",
    )
    assert near_duplicate(base, _program(moved), 0.8)  # the same tokens, moved about
    assert not near_duplicate(base, _program(moved), 0.99)
    assert not near_duplicate(base, _program(moved), 1.0)  # 1.0 keeps only exact (normalized) duplicates
    assert parse_program("def f(:\n") is None and parse_program("x = 1\0") is None


def test_features() -> None:
    assert _program(BASE).features == {"approach": "eager", "size": 1}  # 2**5 to 2**6 syntax nodes
    compiled = BASE + "\nModelNew.forward = torch.compile(ModelNew.forward)\n"
    extension = "from torch.utils.cpp_extension import load_inline\n" + BASE
    assert _program(compiled).features["approach"] == "compile"
    assert _program(extension).features["approach"] == "extension"
    assert _program(BASE * 20).features["size"] > _program(BASE).features["size"]


def test_randomness_depends_on_seed_and_position_only() -> None:
    assert derive(7, 3, "plan") == derive(7, 3, "plan") < 2**63
    assert len({derive(7, 3, "plan"), derive(7, 4, "plan"), derive(8, 3, "plan"), derive(7, 3, "propose")}) == 4
    assert rng(1, 2).random() == rng(1, 2).random()


def _entry(id: int, fitness: float, cell: str) -> Entry:
    result = EvalResult(verdict=Verdict.VERIFIED, speedup=fitness, speedup_ci=[fitness, fitness + 0.1])
    return Entry(id, fitness, cell, Parent(id, f"# program {id}\n", result))


def test_islands_grid_and_choices() -> None:
    db = ProgramDatabase(islands=2, explore_rate=0.0)
    db.add(_entry(1, 1.0, "eager/2"), island=0)
    db.add(_entry(2, 1.5, "eager/2"), island=0)  # same cell, fitter: the cell's elite
    db.add(_entry(3, 0.8, "compile/2"), island=0)  # slower, but the only one of its kind: kept as an elite
    db.add(_entry(4, 1.2, "eager/3"), island=1)
    assert [e.id for e in db.ranked()] == [2, 4, 1, 3] and db.best() is not None and db.best().id == 2
    assert {cell: e.id for cell, e in db.cells().items()} == {"eager/2": 2, "compile/2": 3, "eager/3": 4}
    # Parents come from the island, by rank: the fittest most often, every member sometimes.
    picks = [db.parent(0, rng(5, n)).id for n in range(300)]
    assert set(picks) == {1, 2, 3} and picks.count(2) > picks.count(1) > 0
    assert [db.parent(0, rng(5, n)).id for n in range(50)] == picks[:50]  # the same seeds, the same choices
    assert {db.parent(1, rng(5, n)).id for n in range(50)} == {4}
    # Exploration draws cells' elites uniformly: the slow but different program gets its share.
    explorer = ProgramDatabase(islands=1, explore_rate=1.0)
    for entry in (_entry(1, 1.0, "a"), _entry(2, 1.5, "a"), _entry(3, 0.8, "b")):
        explorer.add(entry, 0)
    explored = [explorer.parent(0, rng(9, n)).id for n in range(200)]
    assert set(explored) == {2, 3} and 60 < explored.count(3) < 140
    # A crossover mate is never the first parent, and comes from elsewhere when it can.
    first = db.parent(0, rng(1))
    assert all(db.mate(first, 0, rng(1, n)).id != first.id for n in range(50))
    assert db.inspirations(0, {2}, 2, rng(3))[0].id != 2
    # Ring migration: island 0's best joins island 1.
    db.migrate()
    assert 2 in {db.parent(1, rng(6, n)).id for n in range(100)}


def test_an_empty_island_borrows_from_the_others() -> None:
    db = ProgramDatabase(islands=3)
    db.add(_entry(1, 1.1, "eager/2"), island=0)
    assert db.parent(2, rng(0)).id == 1
    assert ProgramDatabase(2).mate(_entry(1, 1.0, "x"), 0, rng(0)) is None
