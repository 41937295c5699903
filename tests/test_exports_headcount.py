"""The tableau d'effectif: per class and level, totals per level and cycle."""

from __future__ import annotations

from daemon.ingest.exports.headcount import Headcount


def test_pupils_are_counted_per_class_level_and_cycle() -> None:
    count = Headcount()
    for level, label in [("CE1", "CP-CE1"), ("CP", "CP-CE1"), ("CP", "CP-CE1"), ("PS", "PS")]:
        count.add(level, label)
    count.add(None, None)
    assert count.table().as_json() == {
        "total": 5,
        "by_level": {"PS": 1, "CP": 2, "CE1": 1},
        "by_class": {"CP-CE1": {"CP": 2, "CE1": 1}, "PS": {"PS": 1}},
        "by_cycle": {"CYCLE I": 1, "CYCLE II": 3},
    }


def test_an_empty_headcount() -> None:
    assert Headcount().table().as_json() == {
        "total": 0,
        "by_level": {},
        "by_class": {},
        "by_cycle": {},
    }


def test_pupils_added_all_at_once_count_as_added_one_by_one() -> None:
    pupils = [("CE1", "CP-CE1"), ("CP", "CP-CE1"), (None, "CP-CE1"), ("PS", None), (None, None)]
    one_by_one, at_once = Headcount(), Headcount()
    for level, label in pupils:
        one_by_one.add(level, label)
    at_once.add_all(pupils)
    at_once.add("CP", "CP-CE1")
    one_by_one.add("CP", "CP-CE1")
    assert at_once.table() == one_by_one.table()
    assert at_once.table().total == 6
    assert at_once.table().by_level == {"PS": 1, "CP": 2, "CE1": 1}
