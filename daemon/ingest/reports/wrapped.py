"""Lines a text printer wrapped: a fixed-width line longer than the page, cut at the page's
last column and continued at the start of the next printed line (`lp` prints 80 columns).

On a page of monospace text, a printed line that reaches the page's widest column and whose
next line goes on with it (a word cut in two, a rule of dashes continued) shows the printer's
width; every line reaching that width is then joined with the next one, character columns
kept, so that the table reads as the text that was printed.
"""

from __future__ import annotations

import itertools
from collections import Counter

from daemon.ingest.reports.words import RULE_CHARS

_DASHES = RULE_CHARS.replace("+", "").replace("|", "")  # a rule's run, not its corners

# orientation, x, y, size, text, advance (width of the text), lead (width of its first
# character), step (every character's advance in a monospace font, else None)
Fragment = tuple[int, float, float, float, str, float, float, float | None]
Row = list[Fragment]


def unwrap(pages: list[list[Fragment]]) -> list[list[Fragment]]:
    """Each page's fragments with the lines a printer wrapped joined again (a line cut at the
    bottom of a page goes on at the top of the next one)."""
    step = _body_step(pages)
    if step is None:
        return pages
    pages = [[f if f[7] == step else (*f[:7], None) for f in page] for page in pages]
    left = min(f[1] for page in pages for f in page if f[7] is not None)
    rows = [_rows(page) for page in pages]
    texts = [[_grid(row, left, step) for row in page] for page in rows]
    width = max((len(t) for page in texts for t in page), default=0)
    if not _printer_cut(texts, width):
        return pages
    joined = _Joiner(rows, texts, width, step, left)
    return [joined.page(number) for number in range(len(pages))]


def _body_step(pages: list[list[Fragment]]) -> float | None:
    """The character advance of the monospace font most text is printed in (a header's font
    is another), None when no text is monospace."""
    weights: Counter[float] = Counter()
    for page in pages:
        weights.update({f[7]: len(f[4]) for f in page if f[7] is not None})
    return weights.most_common(1)[0][0] if weights else None


def _printer_cut(texts: list[list[str]], width: int) -> bool:
    """Whether the printer cut lines at `width`: enough full lines go on in the next one (a
    page-wide table that fits has full lines that do not)."""
    lines = [t for page in texts for t in page if t]
    full = sum(len(line) == width for line in lines[:-1])
    cut = sum(_continues(a, b, width) for a, b in itertools.pairwise(lines))
    return cut >= 2 and cut >= 0.3 * full


class _Joiner:
    """Walks the printed lines in reading order, joining each line that fills the width with
    the line printed after it."""

    def __init__(
        self, rows: list[list[Row]], texts: list[list[str]], width: int, step: float, left: float
    ) -> None:
        self.rows, self.texts, self.width, self.step, self.left = rows, texts, width, step, left
        self.taken: set[tuple[int, int]] = set()  # printed lines joined to one above
        self.pitch = _pitch([row for page in rows for row in page])

    def page(self, number: int) -> list[Fragment]:
        out: list[Fragment] = []
        absorbed = 0  # printed lines of this page joined to the one above, so far
        for index, row in enumerate(self.rows[number]):
            if (number, index) in self.taken:
                absorbed += 1
                continue
            if row[0][7] is None:  # another font: the printer's header or footer
                out += row
                continue
            text = self._joined(number, index)
            _o, _x, y, size, *_rest = row[0]
            y -= absorbed * self.pitch  # the lines below move up by the lines joined above
            out.append((0, self.left, y, size, text, len(text.rstrip()) * self.step,
                        self.step, self.step))  # fmt: skip
        return out

    def _joined(self, number: int, index: int) -> str:
        text = self.texts[number][index]
        at = (number, index)
        while (after := self._after(*at)) is not None and _goes_on(
            self.texts[at[0]][at[1]], self.texts[after[0]][after[1]], self.width
        ):
            self.taken.add(after)
            text += self.texts[after[0]][after[1]]
            at = after
        return text

    def _after(self, number: int, index: int) -> tuple[int, int] | None:
        """The printed line right under this one: the next on its page one line below, or
        the first of the next page after its last."""
        rows = self.rows[number]
        following = [i for i in range(index + 1, len(rows)) if rows[i][0][7] is not None]
        if following:
            gap = rows[following[0]][0][2] - rows[index][0][2]
            close = abs(gap - self.pitch) <= 0.2 * self.pitch
            return (number, following[0]) if close else None
        if number + 1 < len(self.rows):
            body = self._body(self.rows[number + 1])
            return (number + 1, body) if body is not None else None
        return None

    def _body(self, rows: list[Row]) -> int | None:
        """The first printed line of a page's body: a line of the body's font with another
        right under it (a header in the same font stands apart)."""
        lines = [i for i, row in enumerate(rows) if row[0][7] is not None]
        for i, j in itertools.pairwise(lines):
            if abs(rows[j][0][2] - rows[i][0][2] - self.pitch) <= 0.2 * self.pitch:
                return i
        return lines[0] if lines else None


def _pitch(rows: list[Row]) -> float:
    gaps = sorted(b[0][2] - a[0][2] for a, b in itertools.pairwise(rows) if b[0][2] > a[0][2])
    return gaps[len(gaps) // 2] if gaps else 0.0


def _goes_on(line: str, following: str, width: int) -> bool:
    """Whether a printed line that fills the width goes on with the next one (printed right
    under it): cut anywhere, in a word, a number, a rule or between two cells; not a line
    of another kind that happens to fill it (a header's page number over the title)."""
    if len(line) != width or not following:
        return False
    last, first = line[-1], following[0]
    return not (last.isdigit() and first.isupper())


def _rows(fragments: list[Fragment]) -> list[Row]:
    """Fragments on one baseline, left to right; a row of another font stays apart."""
    rows: list[Row] = []
    for fragment in sorted(fragments, key=lambda f: (f[2], f[1])):
        last = rows[-1] if rows else None
        if last is not None and abs(fragment[2] - last[0][2]) <= 0.25 * fragment[3]:
            last.append(fragment)
        else:
            rows.append([fragment])
    return rows


def _grid(row: Row, left: float, step: float) -> str:
    """The row's text with each character at its column ("" for a row of another font)."""
    if any(f[7] is None for f in row):
        return ""
    text = ""
    for _o, x, _y, _size, piece, *_rest in row:
        column = max(round((x - left) / step), len(text))
        text = text.ljust(column) + piece
    return text


def _continues(line: str, following: str, width: int) -> bool:
    """Whether `following` goes on with `line` cut at the printer's width: a word or a rule
    of dashes cut in two."""
    if len(line) != width or not following or not line.strip():
        return False
    last, first = line[-1], following[0]
    if last in _DASHES and first in _DASHES:
        return True
    return (last.isalpha() and first.isalpha() and first.islower()) or (
        last.isdigit() and first.isdigit()
    )
