"""The "tableau d'effectif": pupils per class and level, with totals per level and cycle."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from daemon.codes import LEVELS, cycle_of
from daemon.ingest.exports.records import HeadcountTable

_CYCLE_ORDER = ("CYCLE I", "CYCLE II", "CYCLE III")


class Headcount:
    def __init__(self) -> None:
        # pupils per (level, class label): the totals are summed up once, in `table`
        self.pairs: Counter[tuple[str | None, str | None]] = Counter()

    def add(self, level: str | None, class_label: str | None) -> None:
        """One pupil; a pupil without a known level counts in the total only."""
        self.pairs[level, class_label] += 1

    def add_all(self, pupils: Iterable[tuple[str | None, str | None]]) -> None:
        """Pupils given as (level, class label), as many `add`."""
        self.pairs.update(pupils)

    @property
    def total(self) -> int:
        return sum(self.pairs.values())

    def table(self) -> HeadcountTable:
        """The tableau d'effectif: levels in school order, classes by name."""
        by_level: Counter[str] = Counter()
        by_class: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (level, label), n in self.pairs.items():
            if level is None:
                continue
            by_level[level] += n
            if label:
                by_class[label][level] += n
        by_cycle: Counter[str] = Counter()
        for level, n in by_level.items():
            by_cycle[cycle_of(level)] += n
        return HeadcountTable(
            total=self.total,
            by_level={lv: by_level[lv] for lv in LEVELS if by_level[lv]},
            by_class={
                label: {lv: counts[lv] for lv in LEVELS if counts[lv]}
                for label, counts in sorted(by_class.items())
            },
            by_cycle={c: by_cycle[c] for c in _CYCLE_ORDER if by_cycle[c]},
        )
