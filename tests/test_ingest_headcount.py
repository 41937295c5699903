"""The tableau d'effectif: per class and level, totals per level and cycle."""

from __future__ import annotations

from daemon.ingest.headcount import Headcount


def test_pupils_are_counted_per_class_level_and_cycle() -> None:
    count = Headcount()
    for level, label in [("CE1", "CP-CE1"), ("CP", "CP-CE1"), ("CP", "CP-CE1"), ("PS", "PS")]:
        count.add(level, label)
    count.add(None, None)
    assert count.as_json() == {
        "total": 5,
        "by_level": {"PS": 1, "CP": 2, "CE1": 1},
        "by_class": {"CP-CE1": {"CP": 2, "CE1": 1}, "PS": {"PS": 1}},
        "by_cycle": {"CYCLE I": 1, "CYCLE II": 3},
    }


def test_an_empty_headcount() -> None:
    assert Headcount().as_json() == {"total": 0, "by_level": {}, "by_class": {}, "by_cycle": {}}
