"""The "tableau d'effectif": pupils per class and level, with totals per level and cycle."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from daemon.codes import LEVELS, cycle_of

_CYCLE_ORDER = ("CYCLE I", "CYCLE II", "CYCLE III")


class Headcount:
    def __init__(self) -> None:
        self.total = 0
        self.by_level: Counter[str] = Counter()
        self.by_class: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, level: str | None, class_label: str | None) -> None:
        """One pupil; a pupil without a known level counts in the total only."""
        self.total += 1
        if level is None:
            return
        self.by_level[level] += 1
        if class_label:
            self.by_class[class_label][level] += 1

    def as_json(self) -> dict[str, Any]:
        by_cycle: Counter[str] = Counter()
        for level, n in self.by_level.items():
            by_cycle[cycle_of(level)] += n
        return {
            "total": self.total,
            "by_level": {lv: self.by_level[lv] for lv in LEVELS if self.by_level[lv]},
            "by_class": {
                label: {lv: counts[lv] for lv in LEVELS if counts[lv]}
                for label, counts in sorted(self.by_class.items())
            },
            "by_cycle": {c: by_cycle[c] for c in _CYCLE_ORDER if by_cycle[c]},
        }
