"""The program database: verified candidates only, in islands, each island a MAP-Elites grid.

Only verified candidates ever enter it, so a failed program is never chosen as a parent (a complaint against
other evolutionary systems). Islands evolve apart and exchange their best along a ring every few generations;
within an island the grid keeps the fittest candidate of each cell (kind of program x size), so that a slower
but different approach survives as a stepping stone. Fitness is the low end of the verified speedup's interval.
Every choice takes its random numbers from the caller, derived from (run seed, step).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from assay.search._proposer import Parent


@dataclass(frozen=True)
class Entry:
    """A verified candidate: its fitness, its grid cell, and what proposers are shown of it."""

    id: int
    fitness: float
    cell: str
    parent: Parent


@dataclass
class _Island:
    members: dict[int, Entry] = field(default_factory=dict)
    elites: dict[str, Entry] = field(default_factory=dict)  # cell -> the fittest member there

    def add(self, entry: Entry) -> None:
        self.members[entry.id] = entry
        elite = self.elites.get(entry.cell)
        if elite is None or _rank_key(entry) < _rank_key(elite):
            self.elites[entry.cell] = entry


def _rank_key(entry: Entry) -> tuple[float, int]:
    return (-entry.fitness, entry.id)  # fittest first; on a tie the older one


class ProgramDatabase:
    def __init__(self, islands: int, explore_rate: float = 0.3) -> None:
        self._islands = [_Island() for _ in range(islands)]
        self._explore_rate = explore_rate
        self._all: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self._all)

    def add(self, entry: Entry, island: int) -> None:
        self._all[entry.id] = entry
        self._islands[island % len(self._islands)].add(entry)

    def best(self) -> Entry | None:
        return min(self._all.values(), key=_rank_key, default=None)

    def ranked(self) -> list[Entry]:
        return sorted(self._all.values(), key=_rank_key)

    def cells(self) -> dict[str, Entry]:
        """The grid over all islands: the fittest candidate of each cell."""
        grid: dict[str, Entry] = {}
        for entry in self.ranked():
            grid.setdefault(entry.cell, entry)
        return grid

    def parent(self, island: int, rng: random.Random) -> Entry:
        """A parent from the island (from everyone while the island is empty): usually by rank, sometimes a
        cell's elite drawn uniformly, so that every kind of program keeps being tried."""
        own = self._islands[island % len(self._islands)]
        members = sorted(own.members.values(), key=_rank_key) or self.ranked()
        if not members:
            raise ValueError("the database is empty")
        if rng.random() < self._explore_rate:
            elites = sorted(own.elites.values(), key=_rank_key) or sorted(self.cells().values(), key=_rank_key)
            return rng.choice(elites)
        return _by_rank(members, rng)

    def mate(self, first: Entry, island: int, rng: random.Random) -> Entry | None:
        """A second parent for crossover: preferably from another island or another cell than the first."""
        others = [e for e in self.ranked() if e.id != first.id]
        if not others:
            return None
        own = self._islands[island % len(self._islands)].members
        distant = [e for e in others if e.id not in own or e.cell != first.cell]
        return _by_rank(distant or others, rng)

    def inspirations(self, island: int, exclude: set[int], k: int, rng: random.Random) -> list[Entry]:
        """Up to k other candidates shown for ideas: the overall best, then elites of other cells."""
        if k <= 0:
            return []
        chosen: list[Entry] = []
        best = self.best()
        if best is not None and best.id not in exclude:
            chosen.append(best)
        pool = [e for e in self.cells().values() if e.id not in exclude and e not in chosen]
        rng.shuffle(pool)
        chosen.extend(pool[: k - len(chosen)])
        return chosen[:k]

    def migrate(self) -> None:
        """Ring migration: each island's best joins the next island (its grid decides whether it is an elite)."""
        bests = [min(i.members.values(), key=_rank_key) if i.members else None for i in self._islands]
        for n, best in enumerate(bests):
            if best is not None:
                self._islands[(n + 1) % len(self._islands)].add(best)


def _by_rank(ranked: list[Entry], rng: random.Random) -> Entry:
    """Rank-based choice with weights 1/(rank+1): the best is likeliest, yet every member has a chance. Ranks,
    not raw fitness, because two honest measurements of one program differ by a percent or so."""
    weights = [1.0 / (rank + 1) for rank in range(len(ranked))]
    return rng.choices(ranked, weights=weights, k=1)[0]
