"""Text folded for comparisons and search (accents stripped): shared by the tables' search and
the readers above."""

from __future__ import annotations

import re
import unicodedata
from re import Match


def fold(text: str) -> str:
    """Accents stripped (é → e, œ → oe) for comparisons; never for display."""
    if text.isascii():
        return text  # nothing to strip (ASCII is its own NFKD form)
    text = _NOT_ASCII.sub(_latin, text)  # French text is done here: its few accented runs
    if text.isascii():
        return text
    return _fold_each(text)


def _fold_each(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Folding works character by character (the combining marks that NFKD reorders are all
# dropped), so the Latin letters that fold to ASCII are looked up in a table computed once;
# any other character is left to `_fold_each`.
_LATIN = {
    code: _fold_each(chr(code)) for code in range(0x80, 0x250) if _fold_each(chr(code)).isascii()
}
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def _latin(run: Match[str]) -> str:
    return run.group().translate(_LATIN)
