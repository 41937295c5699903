"""What OCR misreads, mended against what is known to be there: ONDE's messages and rubriques
(closed lists kept as data, in the labels file) and the UAI's check letter.

A message is snapped to the closest known one when it is near enough (a few letters on a line);
one further off is kept as read. A UAI whose check letter does not fit is mended when exactly one
reading fits: a digit read as its look-alike (`8` for `3`), or the letter read as another.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz, process

from daemon.codes import UAI_LETTERS, is_valid_uai, uai_check_letter
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.records import AnomalyRow, CompteRendu
from daemon.ingest.reports.text import key

MESSAGE_SCORE = 88.0  # rapidfuzz ratio (0-100) a message needs to be snapped to a known one
FIELD_SCORE = 80.0

# Characters OCR reads in place of a digit, and the digits it mistakes for each other.
_AS_DIGIT = str.maketrans("OoQDIl|!iZzSsBGT", "0000111112255867")
_DIGIT_LOOKALIKES = {
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
_LETTER_LOOKALIKES = {
    "C": "GEO",
    "G": "C6",
    "E": "FB",
    "F": "EP",
    "H": "NM",
    "N": "HM",
    "M": "NH",
    "P": "RF",
    "R": "PBK",
    "B": "8ER",
    "U": "VJ",
    "V": "UY",
    "Y": "VX",
    "K": "XR",
    "X": "KY",
    "S": "5",
    "Z": "2",
}
_ARCHIVE_DOT = re.compile(r"\s*[:;,·]\s*zip$", re.IGNORECASE)
_UAI_LIKE = re.compile(r"(?<![0-9A-Za-z])([0-9OoQDIl|!iZzSsBGT]{7})\s?([A-Za-z0-9])(?![0-9A-Za-z])")


def _uai_candidates(digits: str, letter: str) -> set[str]:
    letter = {"8": "B", "5": "S", "2": "Z", "6": "G"}.get(letter, letter.upper())
    found = set()
    if letter in UAI_LETTERS and letter in _LETTER_LOOKALIKES.get(uai_check_letter(digits), ""):
        found.add(digits + uai_check_letter(digits))
    if letter in UAI_LETTERS:
        for i, digit in enumerate(digits):
            for other in _DIGIT_LOOKALIKES[digit]:
                mended = digits[:i] + other + digits[i + 1 :]
                if uai_check_letter(mended) == letter:
                    found.add(mended + letter)
    return found


def recover_uai(texts: list[str]) -> str | None:
    """The one UAI the texts spell once look-alikes are mended, or None (none, or several)."""
    exact: set[str] = set()
    mended: set[str] = set()
    for text in texts:
        for raw_digits, letter in _UAI_LIKE.findall(text):
            digits = raw_digits.translate(_AS_DIGIT)
            if sum(c.isdigit() for c in raw_digits) < 4 or not digits.isdigit():
                continue
            if is_valid_uai(digits + letter.upper()):
                exact.add(digits + letter.upper())
            else:
                mended |= _uai_candidates(digits, letter)
    if len(exact) == 1:
        return exact.pop()
    return mended.pop() if not exact and len(mended) == 1 else None


def snap(text: str | None, known: dict[str, str], score: float) -> str | None:
    """The known spelling closest to the text when it scores at least `score`; else the text."""
    if not text or not known:
        return text
    found = process.extractOne(key(text), list(known), scorer=fuzz.ratio, score_cutoff=score)
    return known[found[0]] if found else text


def _mend_anomaly(row: AnomalyRow, labels: Labels) -> AnomalyRow:
    field = snap(row.field, labels.rubriques, FIELD_SCORE)
    message = snap(row.message, labels.messages, MESSAGE_SCORE)
    if (field, message) == (row.field, row.message):
        return row
    return replace(row, field=field, message=message, category=labels.category(field, message))


def mend_result(result: CompteRendu, labels: Labels, header_texts: list[str]) -> CompteRendu:
    """Messages and rubriques snapped to the known ones; a UAI OCR misread mended."""
    anomalies = tuple(_mend_anomaly(row, labels) for row in result.anomalies)
    archive = result.archive
    if archive:  # `0441234C:zip`: the dot of the extension read as another mark
        archive = _ARCHIVE_DOT.sub(".zip", archive)
    result = replace(result, anomalies=anomalies, archive=archive)
    if result.uai is not None:
        return result
    uai = recover_uai(header_texts)
    if uai is None:
        return result
    warnings = [w for w in result.warnings if not w.startswith("UAI ")]
    warnings.append(f"UAI lu par OCR et corrigé par sa lettre de contrôle : {uai}")
    return replace(result, uai=uai, warnings=tuple(warnings))
