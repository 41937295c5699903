"""Text folded for comparisons and search (accents stripped): shared by the tables' search and
the readers above."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Accents stripped (é → e, œ → oe) for comparisons; never for display."""
    if text.isascii():
        return text  # nothing to strip (ASCII is its own NFKD form)
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
