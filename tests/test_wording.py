"""French plurals and shares: one helper, used everywhere (never « élève(s) »)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from daemon.wording import agree, joined, percent, plural

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 rejet"), (1, "1 rejet"), (2, "2 rejets"), (1000, "1000 rejets")],
)
def test_zero_and_one_take_the_singular(count: int, expected: str) -> None:
    assert plural(count, "rejet") == expected


def test_a_phrase_gives_its_plural() -> None:
    assert plural(1, "élève sans INE", "élèves sans INE") == "1 élève sans INE"
    assert plural(3, "élève sans INE", "élèves sans INE") == "3 élèves sans INE"
    assert agree(2, "école désactivée", "écoles désactivées") == "écoles désactivées"


def test_words_ending_in_s_x_z_do_not_change() -> None:
    assert plural(2, "fois") == "2 fois"
    assert plural(3, "prix") == "3 prix"


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 264, "0 %"),
        (1, 264, "< 1 %"),
        (3, 264, "1 %"),
        (132, 264, "50 %"),
        (263, 264, "> 99 %"),
        (264, 264, "100 %"),
        (0, 0, "—"),
    ],
)
def test_shares_never_round_to_a_lie(part: int, whole: int, expected: str) -> None:
    assert percent(part, whole) == expected


def test_lists_end_with_et() -> None:
    assert joined([]) == ""
    assert joined(["a"]) == "a"
    assert joined(["a", "b", "c"]) == "a, b et c"


# What a person reads is built in daemon/ and templates/: no « (s) » is left there.
PARENTHESISED_PLURAL = re.compile(r"[a-zé]\(s\)")


def _code_lines(path: Path) -> list[tuple[int, str]]:
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith(("#", "{#")):
            continue
        lines.append((number, line))
    return lines


def lines_matching(pattern: re.Pattern[str], endings: tuple[str, ...]) -> list[str]:
    """The lines of daemon/ and templates/ (outside comments) where `pattern` is found."""
    tracked = subprocess.run(
        ["git", "ls-files", "daemon", "templates"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        f"{name}:{number}: {line.strip()}"
        for name in tracked
        if name.endswith(endings)
        for number, line in _code_lines(REPO / name)
        if pattern.search(line)
    ]


def test_no_parenthesised_plural_reaches_a_person() -> None:
    assert lines_matching(PARENTHESISED_PLURAL, (".py", ".html", ".txt", ".toml")) == []


# A plural made by hand next to the text (`"s" if n > 1`) is a second helper: there is one.
HAND_MADE_PLURAL = re.compile(r"""["']s["']\s+if\b""")


def test_no_plural_is_made_by_hand() -> None:
    assert lines_matching(HAND_MADE_PLURAL, (".py", ".html", ".txt")) == []
