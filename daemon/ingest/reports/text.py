"""Text as a person reads it, and the keys labels are compared on.

PDF text layers carry ligature glyphs (`ﬁ`), typographic apostrophes, soft hyphens and odd spaces;
`clean` gives the readable text, `key` the accent-, case- and spacing-insensitive comparison form.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from zoneinfo import ZoneInfo

from daemon.codes import fold

PARIS = ZoneInfo("Europe/Paris")

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SUBSTITUTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",  # a2ps prints `-` with the minus sign's glyph
        "\t": " ",
    }
)
_SPACES = re.compile(r"\s+")


_HAS_INVISIBLE = re.compile(f"[{''.join(map(chr, _INVISIBLE))}]")
_HAS_SUBSTITUTE = re.compile(f"[{re.escape(''.join(map(chr, _SUBSTITUTES)))}]")


def clean(text: str) -> str:
    """Readable text: ligatures undone (NFKC), straight apostrophes, one space between words.
    Each step only when the text needs it (most cells are already clean: a table asks for
    thousands of them)."""
    if not text.isascii():
        if _HAS_INVISIBLE.search(text):
            text = text.translate(_INVISIBLE)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _HAS_SUBSTITUTE.search(text):
            text = text.translate(_SUBSTITUTES)
    return " ".join(text.split())  # the same spaces as `\s+`


@functools.lru_cache(maxsize=8192)
def key(text: str) -> str:
    """Comparison form of a label: no accents, lower case, `'` apostrophes, single spaces
    (remembered: a table asks for the same cells' keys many times)."""
    return " ".join(fold(clean(text)).casefold().split())


def starts_with_label(line_key: str, label_key: str) -> bool:
    """True when the line begins with the label as whole words (`rejets` is not `rejet`)."""
    if not line_key.startswith(label_key):
        return False
    rest = line_key[len(label_key) : len(label_key) + 1]
    return not rest or not rest.isalnum()


# ---- dates ---------------------------------------------------------------------------------

_DATE_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})(?:\s*:\s*(\d{2}))?")


def parse_date(text: str) -> dt.date | None:
    """`03/05/2019`, `03/05/2 019` (split by extraction), `2019-05-03` → a date; else None."""
    compact = "".join(text.split())
    match = _DATE_DMY.fullmatch(compact)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _DATE_ISO.fullmatch(compact)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def iso_date(text: str) -> str | None:
    date = parse_date(text)
    return date.isoformat() if date else None


def parse_moment(text: str) -> str | None:
    """`14/09/2026 à 17:42`, `14/09/2026 17:42`, `14/09/2026 17h42` → ISO time in Europe/Paris."""
    value = clean(text)
    date_match = re.search(r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*[\d ]{4,5}|\d{4}-\d{1,2}-\d{1,2}", value)
    if not date_match:
        return None
    date = parse_date(date_match.group(0))
    if date is None:
        return None
    time_match = _TIME.search(value[date_match.end() :])
    hour = minute = second = 0
    if time_match:
        hour, minute = int(time_match.group(1)), int(time_match.group(2))
        second = int(time_match.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
    moment = dt.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=PARIS)
    return moment.isoformat()


def is_date_start(text: str) -> bool:
    """The beginning of a date cell, even when the extraction cut it (`03/05/2`)."""
    return bool(re.match(r"\d{1,2}\s*[/.]\s*\d|\d{1,2}-\d{1,2}-|\d{4}-\d", text.strip()))
