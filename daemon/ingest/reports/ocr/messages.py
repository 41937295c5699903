"""A message that OCR's row cut left in two rows, made whole against ONDE's closed list.

A long message wraps over several lines; when OCR reads the lines' heights a little off, the
row cut can give its last lines to the row below (`Commune de naissance inconnue dans le` on
one row, `référentiel INSEE … de l'élève Code postal incohérent …` on the next). When a row's
message is no known message, and the next row's message splits into the rest of it and a
known message, the lines go back where they belong.
"""

from __future__ import annotations

from dataclasses import replace

from rapidfuzz import fuzz

from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.ocr.correct import snap_message
from daemon.ingest.reports.records import AnomalyRow


def _split(head: str, tail: str, known: dict[str, str]) -> tuple[float, str, str] | None:
    """The best cut of `tail`'s words: its first words end `head`'s message, the rest is a
    message of its own; both known. (score, head's message, tail's message)."""
    spellings = set(known.values())
    words = tail.split()
    best: tuple[float, str, str] | None = None
    for cut in range(1, len(words)):
        first = f"{head} {' '.join(words[:cut])}"
        rest = " ".join(words[cut:])
        mended = snap_message(first, known), snap_message(rest, known)
        if mended[0] in spellings and mended[1] in spellings:
            score = fuzz.ratio(first, mended[0]) + fuzz.ratio(rest, mended[1])
            if best is None or score > best[0]:
                best = (score, mended[0] or "", mended[1] or "")
    return best


def rejoin_messages(rows: tuple[AnomalyRow, ...], labels: Labels) -> tuple[AnomalyRow, ...]:
    """The rows with the lines of a message cut by a wrong row cut given back to its row."""
    known = labels.messages
    spellings = set(known.values())
    found = list(rows)
    for i in range(len(found) - 1):
        row, after = found[i], found[i + 1]
        if not row.message or not after.message or row.message in spellings:
            continue
        split = _split(row.message, after.message, known)
        if split is None:
            continue
        _score, message, next_message = split
        found[i] = replace(row, message=message, category=labels.category(row.field, message))
        found[i + 1] = replace(
            after, message=next_message, category=labels.category(after.field, next_message)
        )
    return tuple(found)
