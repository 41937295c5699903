"""The reader's input: words with their box on a page, and the lines drawn on it.

Whatever read the page gives `Page`s of `Word`s, in points with y growing downwards: pypdf's
text layer (`pdf.py`), a fixed-width text file (`fixed.py`), or OCR. `page_lines` turns a page
into the `Line`s the compte-rendu reader reads, in reading order:
- words grouped into lines by their vertical centre, left to right;
- a line made only of dashes (`----  -----`, `====`, `+----+`) is a rule line: layout, whose
  runs give the columns of a fixed-width table;
- drawn horizontal rules (table borders) are rule lines too, at their height.
A `Word` may hold several words of one cell (`Lieu de naissance`); a reader that knows where
cells end (2 spaces or more, a `|`) splits them first (see `pieces`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from daemon.ingest.reports.lines import Cell, Line
from daemon.ingest.reports.text import clean

RULE_CHARS = "-=_+|~\u2212\u2500\u2501\u2550\u2012\u2013\u2014\u2015"
_RULE_OR_SPACE = RULE_CHARS + " "
_RULE = re.compile(f"[{re.escape(RULE_CHARS)}]+")
# A piece between cell breaks: words one space or tab apart
_PIECE = re.compile(r"[^ \t|]+(?:[ \t][^ \t|]+)*")
RULE_GAP = 1.0  # points: drawn segments closer than this in height are one rule


@dataclass(slots=True)
class Word:
    """Text and its box; `x1` NaN when the reader cannot tell where the text ends, `lead` the
    width of its first character when known (else estimated from the box). Not frozen: a
    page holds thousands, and a frozen dataclass is four times slower to make."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    lead: float = math.nan


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal line drawn on the page (a table rule, a cell border), from x0 to x1 at y."""

    x0: float
    x1: float
    y: float


@dataclass(slots=True)
class Page:
    number: int
    top: float  # the page's box, in the same coordinates as its words
    bottom: float
    words: list[Word] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)


def pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of the parts of a text that a fixed-width layout separates: runs of 2
    spaces or more, and `|` (a drawn column border); without their outer spaces."""
    found: list[tuple[int, int]] = []
    for match in _PIECE.finditer(text):
        part = match.group()
        stripped = part.strip()  # other spaces (no-break) at its ends
        if stripped:
            first = match.start() + len(part) - len(part.lstrip())
            found.append((first, first + len(stripped)))
    return found


def rule_spans(words: list[Word]) -> list[tuple[float, float]] | None:
    """The runs of a line made only of dashes (`---- ------`, `+----+----+`), else None."""
    spans: list[tuple[float, float]] = []
    for word in words:
        text = word.text
        if text.strip(_RULE_OR_SPACE) or math.isnan(word.x1):
            return None
        step = (word.x1 - word.x0) / max(len(text), 1)
        spans += [
            (word.x0 + m.start() * step, word.x0 + m.end() * step)
            for m in _RULE.finditer(text.replace("+", " ").replace("|", " "))
        ]
    runs = sum(1 for w in words for _ in _RULE.finditer(w.text))
    longest = max((b - a for a, b in spans), default=0.0)
    height = max((w.bottom - w.top for w in words), default=10.0)
    return spans if runs and longest >= 1.5 * height else None


def _cell(word: Word) -> Cell:
    size = max(word.bottom - word.top, 1.0)
    text = clean(word.text)
    lead = word.lead
    if math.isnan(lead) and not math.isnan(word.x1) and text:
        lead = (word.x1 - word.x0) / len(text)
    return Cell(word.x0, text, size, word.x1, lead)


def _rows(words: Iterable[Word]) -> list[tuple[list[Word], float]]:
    """Words on one line (their centres within a quarter of their height), left to right,
    with the line's centre."""
    lines: list[tuple[list[Word], float, float]] = []  # words, centre, height
    for word in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        if not word.text.strip():
            continue
        centre, height = (word.top + word.bottom) / 2, word.bottom - word.top
        if lines and abs(centre - lines[-1][1]) <= max(1.0, 0.25 * min(height, lines[-1][2])):
            lines[-1][0].append(word)
        else:
            lines.append(([word], centre, height))
    for group, _centre, _height in lines:
        group.sort(key=lambda w: w.x0)
    return [(group, centre) for group, centre, _height in lines]


def _group(number: int, words: Iterable[Word]) -> list[Line]:
    found: list[Line] = []
    for group, centre in _rows(words):
        spans = rule_spans(group)
        if spans is not None:
            found.append(Line(number, centre, [], rule=spans))
        elif cells := [cell for cell in map(_cell, group) if cell.text]:
            found.append(Line(number, centre, cells))
    return found


def phrases(
    words: Iterable[Word], space: float = 0.5, apart: Callable[[Word, Word], bool] | None = None
) -> list[Word]:
    """Words one space apart on a line joined into one `Word` (the text of one cell), for a
    reader that gives single words (OCR): a gap under `space` times the words' height is a
    space between two words of a cell, a wider one the gap between two cells. `apart(left,
    right)` says when two close words are in two cells all the same (a drawn border between
    them, a column that begins there)."""
    found: list[Word] = []
    for group, _centre in _rows(words):
        last: Word | None = None
        for word in group:
            height = min(word.bottom - word.top, last.bottom - last.top) if last else 0.0
            if (
                last is not None
                and 0 <= word.x0 - last.x1 < space * height
                and not (apart is not None and apart(last, word))
            ):
                last = Word(
                    f"{last.text} {word.text}", last.x0, min(last.top, word.top), word.x1,
                    max(last.bottom, word.bottom), last.lead,
                )  # fmt: skip
                found[-1] = last
            else:
                last = word
                found.append(word)
    return found


def _drawn(number: int, rules: list[Rule]) -> list[Line]:
    """The drawn horizontal rules as rule lines: segments at one height merged."""
    found: list[Line] = []
    for rule in sorted(rules, key=lambda r: (r.y, r.x0)):
        last = found[-1] if found else None
        if last is not None and last.rule is not None and rule.y - last.y <= RULE_GAP:
            last.rule.append((rule.x0, rule.x1))
        else:
            found.append(Line(number, rule.y, [], rule=[(rule.x0, rule.x1)]))
    for line in found:
        line.rule = _merged(line.rule or [])
    return found


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + RULE_GAP:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def page_lines(page: Page) -> list[Line]:
    """The page's lines in reading order, text and rule lines mixed by height."""
    lines = _group(page.number, page.words) + _drawn(page.number, page.rules)
    lines.sort(key=lambda ln: ln.y)
    return lines
