"""What OCR misreads, mended against what is known to be there: ONDE's messages and rubriques
(closed lists kept as data, in the labels file) and the UAI's check letter.

A message is snapped to the closest known one when it is near enough (a few letters on a line);
one further off is kept as read. A UAI whose check letter does not fit is mended when exactly one
reading fits: a digit read as its look-alike (`8` for `3`), or the letter read as another.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TypeVar

from rapidfuzz import fuzz, process

from daemon.codes import UAI_LETTERS, is_valid_uai, uai_check_letter
from daemon.ingest.reports.labels import Labels
from daemon.ingest.reports.ocr.dates import MAY_BE, birth_years, mend_birth_date
from daemon.ingest.reports.records import AnomalyRow, CompteRendu, IneRow
from daemon.ingest.reports.text import key

MESSAGE_SCORE = 88.0  # rapidfuzz ratio (0-100) a message needs to be snapped to a known one
FIELD_SCORE = 80.0
WORD_SCORE = 80.0  # a word read is taken for a known word this close (rapidfuzz ratio)
KEPT = 0.75  # share of a known message's words a reading must keep, in order, to be it
INVENTED = 0.9  # share of the words read that must be the known message's

# Characters OCR reads in place of a digit (the digits it mistakes for each other: `MAY_BE`).
_AS_DIGIT = str.maketrans("OoQDIl|!iZzSsBGT", "0000111112255867")
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
_AS_LETTER = str.maketrans("015", "OIS")  # no name holds a digit
_LOOSE_JOIN = re.compile(r"\s*-\s*|(?<=['’])\s+|\s+(?=['’])")  # `N' GUYEN- LEFÈVRE`
_PART_START = re.compile(r"(?:^|(?<=[\s-]))[a-zà-ÿ]")
R = TypeVar("R", AnomalyRow, IneRow)
_ARCHIVE_DOT = re.compile(r"\s*[:;,·]\s*zip$", re.IGNORECASE)
_UAI_LIKE = re.compile(r"(?<![0-9A-Za-z])([0-9OoQDIl|!iZzSsBGT]{7})\s?([A-Za-z0-9])(?![0-9A-Za-z])")


def _uai_candidates(digits: str, letter: str) -> set[str]:
    letter = {"8": "B", "5": "S", "2": "Z", "6": "G"}.get(letter, letter.upper())
    found = set()
    if letter in UAI_LETTERS and letter in _LETTER_LOOKALIKES.get(uai_check_letter(digits), ""):
        found.add(digits + uai_check_letter(digits))
    if letter in UAI_LETTERS:
        for i, digit in enumerate(digits):
            for other in MAY_BE[digit]:
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


def _kept(read: list[str], known: list[str]) -> int:
    """How many words of `known` a reading keeps, in order: the longest common subsequence,
    a word counted when it is close to the known one (a letter misread)."""
    previous = [0] * (len(known) + 1)
    for word in read:
        current = [0]
        for j, other in enumerate(known):
            if fuzz.ratio(word, other) >= WORD_SCORE:
                current.append(previous[j] + 1)
            else:
                current.append(max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def snap_message(text: str | None, known: dict[str, str]) -> str | None:
    """A message snapped to the known one it spells within a few letters, or whose words it
    keeps in order with a few lost (OCR drops a short word at a cell's edge), inventing none:
    the known message most of whose words it keeps. Else the text as read."""
    snapped = snap(text, known, MESSAGE_SCORE)
    if snapped != text or not text:
        return snapped
    read = key(text).split()
    best: tuple[float, str] | None = None
    for known_key, spelling in known.items():
        words = known_key.split()
        kept = _kept(read, words)
        keeps = kept >= INVENTED * len(read) and kept >= KEPT * len(words)
        if keeps and (best is None or kept / len(words) > best[0]):
            best = (kept / len(words), spelling)
    return best[1] if best else text


def _joined(name: str) -> str:
    """A name's parts joined as written, without the space OCR reads beside a hyphen or an
    apostrophe (a monospace print's wide letters)."""
    return _LOOSE_JOIN.sub(lambda m: m.group(0).strip(), name)


def last_name(text: str | None) -> str | None:
    """A last name as ONDE writes it, in capitals: a letter OCR read small or as a digit
    (`OUEDRA0G0`, `DURANd`) mended, when most of the name is in capitals."""
    if not text:
        return text
    text = _joined(text)
    letters = [c for c in text if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 0.7 * len(letters):
        return text
    return text.translate(_AS_LETTER).upper()


def first_name(text: str | None) -> str | None:
    """A first name begins with a capital, each part of it too (`jean-Baptiste`, `inès`: a
    capital I or J read small); a digit inside it is a letter."""
    if not text:
        return text
    text = _joined(text).translate(_AS_LETTER)
    return _PART_START.sub(lambda m: m.group(0).upper(), text)


def _mend_names(row: R, years: range) -> R:
    """A row's names as ONDE writes them, and its birth date a pupil's."""
    last, first = last_name(row.last_name), first_name(row.first_name)
    born = mend_birth_date(row.birth_date, years)
    if (last, first, born) == (row.last_name, row.first_name, row.birth_date):
        return row
    return replace(row, last_name=last, first_name=first, birth_date=born)


def _field_apart(row: AnomalyRow, labels: Labels) -> AnomalyRow:
    """A rubrique run into its message (`Doubion Élève déjà scolarisé…`: no gap seen between
    the two columns) taken apart, when its first words are a known rubrique and the rest a
    known message."""
    if row.field is not None or not row.message:
        return row
    words = row.message.split()
    rubriques, messages = set(labels.rubriques.values()), set(labels.messages.values())
    for size in range(1, min(3, len(words) - 1) + 1):
        field = snap(" ".join(words[:size]), labels.rubriques, FIELD_SCORE)
        message = snap_message(" ".join(words[size:]), labels.messages)
        if field in rubriques and message in messages:
            category = labels.category(field, message)
            return replace(row, field=field, message=message, category=category)
    return row


def _mend_anomaly(row: AnomalyRow, labels: Labels, years: range) -> AnomalyRow:
    row = _field_apart(_mend_names(row, years), labels)
    field = snap(row.field, labels.rubriques, FIELD_SCORE)
    message = snap_message(row.message, labels.messages)
    if (field, message) == (row.field, row.message):
        return row
    return replace(row, field=field, message=message, category=labels.category(field, message))


def mend_result(result: CompteRendu, labels: Labels, header_texts: list[str]) -> CompteRendu:
    """Messages and rubriques snapped to the known ones, birth dates to a pupil's years (two
    to fourteen years before the compte rendu); a UAI OCR misread mended."""
    moment = result.submitted_at or result.processed_at
    years = birth_years(moment.date() if moment else None)
    anomalies = tuple(_mend_anomaly(row, labels, years) for row in result.anomalies)
    pupils = tuple(_mend_names(row, years) for row in result.ine.pupils)
    archive = result.archive
    if archive:  # `0441234C:zip`: the dot of the extension read as another mark
        archive = _ARCHIVE_DOT.sub(".zip", archive)
    result = replace(
        result, anomalies=anomalies, ine=replace(result.ine, pupils=pupils), archive=archive
    )
    if result.uai is not None:
        return result
    uai = recover_uai(header_texts)
    if uai is None:
        return result
    warnings = [w for w in result.warnings if not w.startswith("UAI ")]
    warnings.append(f"UAI lu par OCR et corrigé par sa lettre de contrôle : {uai}")
    return replace(result, uai=uai, warnings=tuple(warnings))
