"""Dates read by OCR, checked by their own rules and mended when they break them.

A birth date is `DD/MM/YYYY`: a day of its month, a month of twelve, and — a pupil of a primary
school — a year a few years before the compte rendu. OCR misreads some digits as others that
look alike (a monospace printer's slashed `0` reads `8` or `6`), a separator as `:` or `,`, a
digit as a letter (`O`, `l`, `G`). A date that breaks a rule is mended by the fewest look-alike
changes that keep every rule, when exactly one reading is the cheapest; a reading as `0` is
the likeliest (the slashed zero, the most common digit of a date). A date that keeps its rules
is left as read: nobody can tell a misread `18` from a `10` by the rules alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

# Characters read in place of a digit (a letter, a mark), as the digit.
_AS_DIGIT = str.maketrans("OoQDC©@IlLi|!ZzSsBGTb", "000000011111122558676")
# The digits OCR reads in place of each digit: what each digit read may really be.
MAY_BE = {
    "0": "689",
    "1": "47",
    "2": "7",
    "3": "89",
    "4": "19",
    "5": "68",
    "6": "058",
    "7": "12",
    "8": "03569",
    "9": "0348",
}
_DATE_LIKE = re.compile(
    r"^([0-9A-Za-z©@|!]{1,2})[/:;,.|!]([0-9A-Za-z©@|!]{1,2})[/:;,.|!]([0-9A-Za-z©@|!]{4})$"
)
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
EARLIEST, LATEST = 1900, 2099  # years a date of a compte rendu can have, before any context
MAX_CHANGES = 3  # a date needing more look-alike changes is left as read


def _valid(day: str, month: str, year: str, years: range) -> bool:
    try:
        return int(year) in years and dt.date(int(year), int(month), int(day)) is not None
    except ValueError:
        return False


def _readings(digits: str) -> list[tuple[int, str]]:
    """Every reading of the digits with at most MAX_CHANGES look-alikes, and its cost: a
    change to `0` costs 1, another change 2; the cheapest first."""
    found = [(0, digits)]
    for count in range(1, MAX_CHANGES + 1):
        for places in itertools.combinations(range(len(digits)), count):
            for others in itertools.product(*(MAY_BE[digits[i]] for i in places)):
                read = list(digits)
                for i, other in zip(places, others, strict=True):
                    read[i] = other
                cost = sum(1 if other == "0" else 2 for other in others)
                found.append((cost, "".join(read)))
    return sorted(found)


def mend_date(text: str, years: range = range(EARLIEST, LATEST + 1)) -> str:
    """`DD/MM/YYYY` mended by its rules (the year within `years`), or the text as read when
    it is no date, keeps its rules, or has no single cheapest mending."""
    match = _DATE_LIKE.match(text.strip())
    if match is None:
        return text
    day, month, year = (part.translate(_AS_DIGIT) for part in match.groups())
    if not (day + month + year).isdigit():
        return text
    if _valid(day, month, year, years):
        return f"{day}/{month}/{year}"
    cut = (len(day), len(day) + len(month))
    best: list[str] = []
    cheapest = -1
    for cost, digits in _readings(day + month + year):
        if best and cost > cheapest:
            break
        parts = digits[: cut[0]], digits[cut[0] : cut[1]], digits[cut[1] :]
        if _valid(*parts, years):
            best.append("/".join(parts))
            cheapest = cost
    return best[0] if len(best) == 1 else text


def misread(read: dt.date, date: dt.date, most: int = 2) -> bool:
    """Whether `read` may be `date` misread: at most `most` digits differ, each a look-alike
    of the digit printed."""
    pairs = zip(read.strftime("%d%m%Y"), date.strftime("%d%m%Y"), strict=True)
    changed = [(r, d) for r, d in pairs if r != d]
    return 0 < len(changed) <= most and all(d in MAY_BE[r] for r, d in changed)


def birth_years(reference: dt.date | None) -> range:
    """The years a primary school pupil is born in, for a compte rendu of `reference` (from
    two to fourteen years old); any year of a compte rendu when its date is not known."""
    if reference is None:
        return range(EARLIEST, LATEST + 1)
    return range(reference.year - 14, reference.year)


def mend_birth_date(date: dt.date | None, years: range) -> dt.date | None:
    """A birth date read whose year is not a pupil's, mended by look-alike digits."""
    if date is None or date.year in years:
        return date
    mended = mend_date(date.strftime("%d/%m/%Y"), years)
    found = _DATE.match(mended)
    if found is None or mended == date.strftime("%d/%m/%Y"):
        return date
    day, month, year = (int(g) for g in found.groups())
    return dt.date(year, month, day)
